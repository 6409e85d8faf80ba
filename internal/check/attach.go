package check

import (
	"fmt"
	"net"
	"runtime"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// attach attaches a loaded program where that needs no outside set-up, and
// detaches it at once. note says where it was attached, or starts with
// "not attached" and says why not; err is an attach failure.
func attach(prog *ebpf.Program, ps *ebpf.ProgramSpec) (note string, err error) {
	var l link.Link
	switch ps.Type {
	case ebpf.XDP:
		return inPrivateNetns(func() (string, error) {
			lo, err := net.InterfaceByName("lo")
			if err != nil {
				return "", err
			}
			l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: lo.Index, Flags: link.XDPGenericMode})
			if err != nil {
				return "", err
			}
			return "xdp (generic) on lo in a private netns", l.Close()
		})
	case ebpf.SchedCLS:
		return inPrivateNetns(func() (string, error) {
			lo, err := net.InterfaceByName("lo")
			if err != nil {
				return "", err
			}
			at := ebpf.AttachTCXIngress
			if ps.AttachType == ebpf.AttachTCXEgress || strings.Contains(ps.SectionName, "egress") {
				at = ebpf.AttachTCXEgress
			}
			l, err := link.AttachTCX(link.TCXOptions{Program: prog, Interface: lo.Index, Attach: at})
			if err != nil {
				return "", err
			}
			return "tcx on lo in a private netns", l.Close()
		})
	case ebpf.TracePoint:
		group, name, ok := strings.Cut(ps.AttachTo, "/")
		if !ok {
			return "not attached: section " + ps.SectionName + " names no tracepoint group/name", nil
		}
		l, err = link.Tracepoint(group, name, prog, nil)
		note = "tracepoint " + ps.AttachTo
	case ebpf.RawTracepoint, ebpf.RawTracepointWritable:
		if ps.AttachTo == "" {
			return "not attached: section " + ps.SectionName + " names no raw tracepoint", nil
		}
		l, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: ps.AttachTo, Program: prog})
		note = "raw tracepoint " + ps.AttachTo
	case ebpf.Kprobe:
		if ps.AttachTo == "" || strings.Contains(ps.SectionName, "multi") || strings.HasPrefix(ps.SectionName, "uprobe") ||
			strings.HasPrefix(ps.SectionName, "uretprobe") {
			return "not attached: " + ps.SectionName + " needs a target the check does not pick", nil
		}
		if strings.HasPrefix(ps.SectionName, "kretprobe") {
			l, err = link.Kretprobe(ps.AttachTo, prog, nil)
			note = "kretprobe " + ps.AttachTo
		} else {
			l, err = link.Kprobe(ps.AttachTo, prog, nil)
			note = "kprobe " + ps.AttachTo
		}
	case ebpf.Tracing:
		if ps.AttachType == ebpf.AttachTraceIter {
			return "not attached: iterators are read, not attached", nil
		}
		l, err = link.AttachTracing(link.TracingOptions{Program: prog})
		note = ps.AttachType.String() + " " + ps.AttachTo
	case ebpf.LSM:
		l, err = link.AttachLSM(link.LSMOptions{Program: prog})
		note = "lsm " + ps.AttachTo
	case ebpf.SocketFilter:
		fd, serr := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if serr != nil {
			return "", fmt.Errorf("socket for the filter: %w", serr)
		}
		defer unix.Close(fd)
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ATTACH_BPF, prog.FD()); err != nil {
			return "", fmt.Errorf("SO_ATTACH_BPF: %w", err)
		}
		return "socket filter on a UDP socket", nil
	default:
		return fmt.Sprintf("not attached: %s programs need set-up the check does not make (cgroup, device, map, ...)", ps.Type), nil
	}
	if err != nil {
		return note, err
	}
	return note, l.Close()
}

// inPrivateNetns runs fn on an OS thread moved into a new network
// namespace. The thread is never returned to the runtime's pool (it exits
// with the goroutine), so nothing else ever runs in that namespace.
func inPrivateNetns(fn func() (string, error)) (string, error) {
	type res struct {
		note string
		err  error
	}
	done := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // no Unlock: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- res{"", fmt.Errorf("private network namespace: %w", err)}
			return
		}
		n, err := fn()
		done <- res{n, err}
	}()
	r := <-done
	return r.note, r.err
}
