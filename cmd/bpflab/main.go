// Command bpflab is the lab's CLI: the kernel matrix, kernel cache, running
// binaries inside a kernel, and operating the firewall and tracer. The
// commands live in internal/cli.
package main

import (
	"os"

	"github.com/bpflab/bpflab/internal/cli"
	"github.com/bpflab/bpflab/internal/guest"
)

// bpflab is also the guest runner: the qemu backend can boot this very
// binary as /init (the kernel passes BPFLAB_GUEST=1 from its command line).
func init() {
	if name, ok := guest.ModprobeRequest(os.Args[1:]); ok && os.Args[0] == "/init" {
		os.Exit(guest.Modprobe(name)) // the kernel's module request, bpflab being the guest's /init
	}
	if os.Getpid() == 1 && os.Getenv("BPFLAB_GUEST") == "1" {
		os.Exit(guest.Main(os.Args[1:]))
	}
}

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
