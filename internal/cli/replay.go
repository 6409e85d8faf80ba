package cli

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/initramfs"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/pseudofs"
	"github.com/bpflab/bpflab/internal/replay"
	"github.com/bpflab/bpflab/internal/vm"
)

// Guest paths of the replay's inputs (carried in the initramfs).
const (
	replayPcap   = "/bpflab/files/capture.pcap"
	replayPolicy = "/bpflab/files/policy"
	replayExpect = "/bpflab/files/expect"
)

const replayUsage = `usage: bpflab replay --pcap FILE [--kernel K] [--policy FILE] [--mode auto|native|generic] [--expect model|FILE]

Replays the Ethernet frames of a capture through the XDP firewall over a
veth pair and through BPF_PROG_TEST_RUN, and prints both verdicts of every
frame. With --expect, a third column says what each frame should get (from
the firewall's reference model under --policy, or from a file of
"FRAME pass|drop" lines), and a frame agrees only if both paths give that;
a frame shorter than Ethernet is shown as refused. Exit status: 0 when every frame's verdicts agree, 1 when one differs
or the replay failed, 2 on bad input, 125 when the VM failed.
`

// runReplay is `bpflab replay`: on the host it replays directly; for any
// other kernel it boots it with qemu and runs this same binary's replay
// inside (`--kernel host`), the files in the initramfs.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := command.NewFlags("replay", replayUsage, stdout)
	pcap := fs.String("pcap", "", "capture `FILE` to replay (pcap or pcapng, Ethernet)")
	kern := fs.String("kernel", "host", "kernel to replay on: host, or a manifest name such as 5.10")
	policyPath := fs.String("policy", "", "blocklist `FILE` (the `bpflab policy load` format)")
	mode := modeFlag(fs.FlagSet, "XDP attach mode on dut0")
	manifest := fs.String("manifest", "", "kernel manifest (default kernels/manifest of the repository)")
	cache := fs.String("cache", "", "kernel cache dir (default $"+kernel.EnvCache+" or ~/.cache/bpflab)")
	timeout := fs.Duration("timeout", 5*time.Minute, "deadline for the whole replay, boot included")
	label := fs.String("label", "", "kernel name in the heading (default --kernel; set for the run inside a guest)")
	expectSpec := fs.String("expect", "", "per-frame expectation column: `model` (the firewall's reference model) or a FILE of \"FRAME pass|drop\" lines")
	operands, err := fs.ParseArgs(args)
	if err != nil {
		return err
	}
	if *pcap == "" || len(operands) > 0 {
		return command.Usagef("want --pcap FILE [--kernel K] [--policy FILE] [--mode auto|native|generic], got %q", args)
	}
	// Check every input first: a bad file fails before a boot.
	m, err := ParseMode(*mode)
	if err != nil {
		return err
	}
	frames, err := replay.ReadCapture(*pcap)
	if err != nil {
		return command.AsUsage(err)
	}
	policy, err := readPolicyFile(*policyPath)
	if err != nil {
		return err
	}
	expect, err := replay.Expect(*expectSpec, frames, policy)
	if err != nil {
		return command.AsUsage(err)
	}
	if *label == "" {
		*label = *kern
	}
	if *kern == "host" {
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return replayHere(ctx, replay.Options{Frames: frames, Policy: policy, Mode: m, Expect: expect}, *label, stdout, stderr)
	}
	return replayInVM(ctx, replayJob{
		kernel: *kern, label: *label, pcap: *pcap, policy: *policyPath, mode: *mode, expect: *expectSpec,
		manifest: *manifest, cache: *cache, timeout: *timeout,
	}, stdout, stderr)
}

// replayHere replays on the running kernel and prints the verdicts.
func replayHere(ctx context.Context, o replay.Options, label string, stdout, stderr io.Writer) error {
	if err := pseudofs.Prepare(stderr); err != nil {
		return err
	}
	vs, err := replay.Run(ctx, o)
	if err != nil {
		return err
	}
	if err := replay.Write(stdout, label, vs); err != nil {
		return err
	}
	if replay.Disagreements(vs) > 0 {
		return &command.ExitError{Code: command.ExitFailure} // the table says which frames
	}
	return nil
}

func readPolicyFile(path string) ([]netip.Prefix, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, command.Usagef("--policy: %w", err)
	}
	defer f.Close()
	ps, err := ParsePolicy(f, path)
	return ps, command.AsUsage(err)
}

// replayJob is a replay to run inside a booted kernel.
type replayJob struct {
	kernel, label, pcap, policy, mode string
	expect                            string // "", replay.ExpectModel or a file
	manifest, cache                   string
	timeout                           time.Duration
}

func replayInVM(ctx context.Context, r replayJob, stdout, stderr io.Writer) error {
	k, err := execKernel(ctx, r.kernel, "", r.manifest, r.cache, stderr)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := initramfs.CheckStatic(self); err != nil {
		return command.Usagef("%w: build bpflab with CGO_ENABLED=0 (as make does) to replay inside a kernel", err)
	}
	// Inside the guest the same binary replays on "its host", reading the
	// files from the initramfs.
	files := map[string]string{replayPcap: r.pcap}
	guestArgs := []string{"replay", "--kernel", "host", "--label", r.label, "--pcap", replayPcap, "--mode", r.mode}
	if r.policy != "" {
		files[replayPolicy] = r.policy
		guestArgs = append(guestArgs, "--policy", replayPolicy)
	}
	switch r.expect {
	case "":
	case replay.ExpectModel:
		guestArgs = append(guestArgs, "--expect", r.expect)
	default:
		files[replayExpect] = r.expect
		guestArgs = append(guestArgs, "--expect", replayExpect)
	}
	log := func(f string, a ...any) { fmt.Fprintf(stderr, "bpflab replay: "+f+"\n", a...) }
	job := vm.Job{
		Kernel:   k,
		Binaries: []vm.Binary{{Name: "replay", Path: self, Args: guestArgs}},
		Modules:  []string{"veth"},
		Files:    files,
		Timeout:  r.timeout,
		Stream:   func(_ string, line []byte) { stdout.Write(line) },
	}
	// The guest's replay printed why it failed, if it did.
	return runInVM(ctx, qemuBackend(r.cache, log), job, "replay", false, false, stderr)
}
