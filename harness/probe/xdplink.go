package probe

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netns"
)

func uintptrOf[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// probeXDPLink attaches a pass-all XDP program through a BPF link to the
// loopback device of a fresh network namespace, so no real interface is
// touched. The namespace vanishes with its last reference.
func probeXDPLink() (supported bool, detail string, err error) {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.XDP,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}, // XDP_PASS
	})
	if err != nil {
		return fromCilium(fmt.Errorf("load XDP program: %w", err))
	}
	defer prog.Close()

	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return false, "", fmt.Errorf("get current netns: %w", err)
	}
	defer orig.Close()
	fresh, err := netns.New() // also switches this thread into it
	if err != nil {
		runtime.UnlockOSThread()
		return false, "", fmt.Errorf("create netns: %w", err)
	}
	defer fresh.Close()
	defer func() {
		// A thread that cannot go back stays locked and dies with the
		// goroutine instead of running other code in the wrong namespace.
		if rerr := netns.Set(orig); rerr != nil {
			err = errors.Join(err, fmt.Errorf("restore netns: %w", rerr))
			return
		}
		runtime.UnlockOSThread()
	}()

	const loIfindex = 1
	l, err := link.AttachRawLink(link.RawLinkOptions{Program: prog, Attach: ebpf.AttachXDP, Target: loIfindex,
		Flags: uint32(link.XDPGenericMode)})
	if err != nil {
		return fromCilium(fmt.Errorf("BPF_LINK_CREATE for XDP on lo: %w", err))
	}
	l.Close()
	return true, "BPF_LINK_CREATE attached XDP to lo in a fresh netns", nil
}
