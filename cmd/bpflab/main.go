// Command bpflab is the lab's CLI: the kernel matrix, kernel cache, running
// binaries inside a kernel, and operating the firewall and tracer. The
// commands live in internal/cli.
package main

import (
	"os"

	"github.com/bpflab/bpflab/internal/cli"
	"github.com/bpflab/bpflab/internal/guest"
)

func main() {
	// One binary is host CLI, guest init and guest runner (see
	// guest.Dispatch); it returns only when this is the CLI.
	guest.Dispatch(os.Args)
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
