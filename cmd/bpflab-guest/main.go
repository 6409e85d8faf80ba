// Command bpflab-guest runs scenario binaries inside a kernel under test:
// as /init of the qemu backend's initramfs, or as a command inside a
// virtme-ng guest (`bpflab-guest --spec SPEC --results DIR`). Build it
// static: CGO_ENABLED=0 go build ./cmd/bpflab-guest.
package main

import (
	"os"

	"github.com/bpflab/bpflab/internal/guest"
)

func main() {
	os.Exit(guest.Main(os.Args[1:]))
}
