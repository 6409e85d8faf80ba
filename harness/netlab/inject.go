package netlab

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// injector writes frames out of peer0. Every write happens on a thread
// pinned to one CPU: veth hands a frame to the receiving CPU's backlog of
// the sender (generic path) or to its single rx ring (native XDP path), so
// one CPU and one queue keep frames in order.
type injector struct {
	f   *os.File
	cpu int
}

func newInjector(ns *Namespace, ifindex int) (*injector, error) {
	f, err := openPacketSocket(ns, ifindex, 0)
	if err != nil {
		return nil, fmt.Errorf("open injection socket on %s: %w", PeerLink, err)
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		f.Close()
		return nil, fmt.Errorf("read CPU affinity: %w", err)
	}
	cpu := -1
	for i := range 1024 {
		if set.IsSet(i) {
			cpu = i
			break
		}
	}
	if cpu < 0 {
		f.Close()
		return nil, fmt.Errorf("no CPU in this process's affinity mask")
	}
	return &injector{f: f, cpu: cpu}, nil
}

func (in *injector) send(frames [][]byte) error {
	if in == nil || in.f == nil {
		return fmt.Errorf("inject: topology is closed")
	}
	ch := make(chan error, 1)
	go func() {
		// The pinned thread is never unlocked: it exits with this goroutine
		// instead of carrying a narrowed affinity mask back to the scheduler.
		runtime.LockOSThread()
		var set unix.CPUSet
		set.Set(in.cpu)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			ch <- fmt.Errorf("inject: pin thread to CPU %d: %w", in.cpu, err)
			return
		}
		for i, fr := range frames {
			n, err := in.f.Write(fr)
			if err != nil {
				ch <- fmt.Errorf("inject frame %d of %d (%d bytes) on %s: %w", i+1, len(frames), len(fr), PeerLink, err)
				return
			}
			if n != len(fr) {
				ch <- fmt.Errorf("inject frame %d of %d on %s: wrote %d of %d bytes", i+1, len(frames), PeerLink, n, len(fr))
				return
			}
		}
		ch <- nil
	}()
	return <-ch
}

func (in *injector) close() error {
	if in.f == nil {
		return nil
	}
	err := in.f.Close()
	in.f = nil
	if err != nil {
		return fmt.Errorf("close injection socket: %w", err)
	}
	return nil
}
