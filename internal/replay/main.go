package replay

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/operator"
)

// Exit statuses of Main.
const (
	ExitAgree    = 0 // every frame's verdicts agree
	ExitDisagree = 1 // at least one frame's verdicts differ
	ExitUsage    = 2 // bad input: nothing was replayed
	ExitInfra    = 3 // the replay itself failed (load, attach, topology)
)

// Main replays a capture on the running kernel and prints the verdicts:
// `--pcap FILE [--policy FILE] [--mode auto|native|generic] [--expect model|FILE]`. It is what
// `bpflab replay` runs on the host or inside a guest.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pcap := fs.String("pcap", "", "capture `FILE` (pcap or pcapng, Ethernet)")
	policyPath := fs.String("policy", "", "blocklist `FILE` as `bpflab policy load` reads it (one CIDR per line)")
	mode := fs.String("mode", "auto", "XDP attach mode on dut0: auto, native or generic")
	label := fs.String("kernel", "", "kernel name for the heading (default: uname -r)")
	expectSpec := fs.String("expect", "", "per-frame expectations: `model` (the firewall's reference model under --policy) or a FILE of \"FRAME pass|drop\" lines")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "replay: %v\n", err)
		return code
	}
	if *pcap == "" || fs.NArg() > 0 {
		return fail(ExitUsage, fmt.Errorf("want --pcap FILE [--policy FILE], got %q", args))
	}
	m, err := parseMode(*mode)
	if err != nil {
		return fail(ExitUsage, err)
	}
	frames, err := ReadCapture(*pcap)
	if err != nil {
		return fail(ExitUsage, err)
	}
	policy, err := readPolicy(*policyPath)
	if err != nil {
		return fail(ExitUsage, err)
	}
	expect, err := Expect(*expectSpec, frames, policy)
	if err != nil {
		return fail(ExitUsage, err)
	}
	if err := testenv.Prepare(); err != nil {
		return fail(ExitInfra, err)
	}
	vs, err := Run(ctx, Options{Frames: frames, Policy: policy, Mode: m, Expect: expect})
	if err != nil {
		return fail(ExitInfra, err)
	}
	name := *label
	if name == "" {
		name = release()
	}
	if err := Write(stdout, name, vs); err != nil {
		return fail(ExitInfra, err)
	}
	if Disagreements(vs) > 0 {
		return ExitDisagree
	}
	return ExitAgree
}

func readPolicy(path string) ([]netip.Prefix, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	return operator.ParsePolicy(f, path)
}

func parseMode(s string) (firewall.Mode, error) {
	switch s {
	case "auto":
		return firewall.ModeAuto, nil
	case "native":
		return firewall.ModeNative, nil
	case "generic":
		return firewall.ModeGeneric, nil
	}
	return 0, fmt.Errorf("--mode %q: want auto, native or generic", s)
}
