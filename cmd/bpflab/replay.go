package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bpflab/bpflab/internal/initramfs"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/replay"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/qemu"
)

// Guest paths of the replay's inputs (carried in the initramfs).
const (
	replayPcap   = "/bpflab/files/capture.pcap"
	replayPolicy = "/bpflab/files/policy"
	replayExpect = "/bpflab/files/expect"
)

// runReplay is `bpflab replay --pcap FILE --kernel K [--policy FILE]`:
// on the host it replays directly; for any other kernel it boots it with
// qemu and runs this same binary's replay inside, the files in the
// initramfs.
func runReplay(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	pcap := fs.String("pcap", "", "capture `FILE` to replay (pcap or pcapng, Ethernet)")
	kern := fs.String("kernel", "host", "kernel to replay on: host, or a manifest name such as 5.10")
	policy := fs.String("policy", "", "blocklist `FILE` (the `bpflab policy load` format)")
	mode := fs.String("mode", "auto", "XDP attach mode on dut0: auto, native or generic")
	manifest := fs.String("manifest", "", "kernel manifest (default kernels/manifest of the repository)")
	cache := fs.String("cache", "", "kernel cache dir (default $"+kernel.EnvCache+" or ~/.cache/bpflab)")
	timeout := fs.Duration("timeout", 5*time.Minute, "deadline for the whole replay, boot included")
	label := fs.String("label", "", "kernel name in the heading (default --kernel; set for the run inside a guest)")
	expect := fs.String("expect", "", "per-frame expectation column: `model` (the firewall's reference model) or a FILE of \"FRAME pass|drop\" lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pcap == "" || fs.NArg() > 0 {
		return usageError{"usage: bpflab replay --pcap FILE [--kernel K] [--policy FILE] [--mode auto|native|generic] [--expect model|FILE]"}
	}
	// Check the inputs on the host first: a bad file fails before a boot.
	if _, err := replay.ReadCapture(*pcap); err != nil {
		return usageError{err.Error()}
	}
	if *label == "" {
		*label = *kern
	}
	inner := []string{"--pcap", *pcap, "--mode", *mode, "--kernel", *label}
	if *policy != "" {
		inner = append(inner, "--policy", *policy)
	}
	if *expect != "" {
		inner = append(inner, "--expect", *expect)
	}
	if *kern == "host" {
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return replayExit(replay.Main(ctx, inner, os.Stdout, os.Stderr))
	}

	k, err := execKernel(ctx, *kern, "", *manifest, *cache)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := initramfs.CheckStatic(self); err != nil {
		return usageError{fmt.Sprintf("%v: build bpflab with CGO_ENABLED=0 (as make does) to replay inside a kernel", err)}
	}
	// Inside the guest the same binary replays on "its host", reading the
	// files from the initramfs.
	files := map[string]string{replayPcap: *pcap}
	guestArgs := []string{"replay", "--kernel", "host", "--label", *label, "--pcap", replayPcap, "--mode", *mode}
	if *policy != "" {
		files[replayPolicy] = *policy
		guestArgs = append(guestArgs, "--policy", replayPolicy)
	}
	switch *expect {
	case "", replay.ExpectModel:
		if *expect != "" {
			guestArgs = append(guestArgs, "--expect", *expect)
		}
	default:
		files[replayExpect] = *expect
		guestArgs = append(guestArgs, "--expect", replayExpect)
	}
	work, err := os.MkdirTemp("", "bpflab-replay-")
	if err != nil {
		return err
	}
	b := &qemu.Backend{CacheDir: *cache, Log: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "bpflab replay: "+f+"\n", a...) }}
	if b.CacheDir == "" {
		if d, err := kernel.DefaultCacheDir(); err == nil {
			b.CacheDir = d
		}
	}
	if _, err := qemu.FindGuest(); err != nil {
		b.GuestBinary = self
	}
	job := vm.Job{
		Kernel:   k,
		Binaries: []vm.Binary{{Name: "replay", Path: self, Args: guestArgs}},
		Modules:  []string{"veth"},
		Files:    files,
		WorkDir:  work,
		Timeout:  *timeout,
		Stream:   func(_ string, line []byte) { os.Stdout.Write(line) },
	}
	run, err := b.Run(ctx, job)
	if err != nil || run == nil || len(run.Results) != 1 {
		if err == nil {
			err = errors.New("the guest reported no result")
		}
		fmt.Fprintf(os.Stderr, "bpflab replay: kernel %s: %v\nbpflab replay: console log in %s\n", k.Name, err, filepath.Join(work, "console.log"))
		return exitError{exitInfra}
	}
	os.RemoveAll(work)
	return replayExit(run.Results[0].ExitCode)
}

func replayExit(code int) error {
	switch code {
	case replay.ExitAgree:
		return nil
	case replay.ExitUsage:
		return exitError{2}
	}
	return exitError{code}
}
