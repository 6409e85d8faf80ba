package netlab

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// injector writes frames out of peer0 from one OS thread pinned to one CPU.
// veth hands a frame either to the sending CPU's backlog (generic path) or
// to the receiver's single rx ring (native XDP path), so one CPU and one
// queue keep all frames, from all callers, in the order Inject was called.
type injector struct {
	f    *os.File
	cpu  int
	reqs chan injectReq
	done chan struct{}
}

type injectReq struct {
	frames [][]byte
	errc   chan error
}

func newInjector(ns *Namespace, ifindex int) (*injector, error) {
	f, err := openPacketSocket(ns, ifindex, 0)
	if err != nil {
		return nil, fmt.Errorf("open injection socket on %s: %w", PeerLink, err)
	}
	cpu, err := firstCPU()
	if err != nil {
		f.Close()
		return nil, err
	}
	in := &injector{f: f, cpu: cpu, reqs: make(chan injectReq), done: make(chan struct{})}
	ready := make(chan error, 1)
	go in.loop(ready)
	if err := <-ready; err != nil {
		f.Close()
		return nil, err
	}
	return in, nil
}

func firstCPU() (int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0, fmt.Errorf("read CPU affinity: %w", err)
	}
	for i := range len(set) * 64 {
		if set.IsSet(i) {
			return i, nil
		}
	}
	return 0, errors.New("no CPU in this process's affinity mask")
}

func (in *injector) loop(ready chan<- error) {
	defer close(in.done)
	// The pinned thread is never unlocked: it exits with this goroutine
	// instead of carrying a narrowed affinity mask back to the scheduler.
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(in.cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		ready <- fmt.Errorf("inject: pin sender thread to CPU %d: %w", in.cpu, err)
		return
	}
	ready <- nil
	for req := range in.reqs {
		req.errc <- in.write(req.frames)
	}
}

// ringFullDeadline bounds how long one frame waits for room on the
// receiving side (see writeFrame).
const ringFullDeadline = 10 * time.Second

func (in *injector) write(frames [][]byte) error {
	for i, fr := range frames {
		n, err := writeFrame(in.f.Write, fr, ringFullDeadline, time.Sleep)
		if err != nil {
			return fmt.Errorf("inject frame %d of %d (%d bytes) on %s: %w", i+1, len(frames), len(fr), PeerLink, err)
		}
		if n != len(fr) {
			return fmt.Errorf("inject frame %d of %d on %s: wrote %d of %d bytes", i+1, len(frames), PeerLink, n, len(fr))
		}
	}
	return nil
}

// writeFrame writes one frame, waiting while the kernel answers ENOBUFS.
// veth refuses a frame when the receiver's queue is full (native XDP: a
// 256-entry ring the receiver's NAPI drains), frees it undelivered and
// AF_PACKET returns ENOBUFS: sending it again after the receiver caught up
// delivers it exactly once. Under TCG the receiver can fall behind a burst
// (seen on 6.1: frame 257 of 400 refused). The wait backs off from 50 us
// to 5 ms and ends with an error after deadline.
func writeFrame(write func([]byte) (int, error), fr []byte, deadline time.Duration, sleep func(time.Duration)) (int, error) {
	wait, waited := 50*time.Microsecond, time.Duration(0)
	for {
		n, err := write(fr)
		if !errors.Is(err, unix.ENOBUFS) {
			return n, err
		}
		if waited >= deadline {
			return n, fmt.Errorf("receiver queue stayed full for %v: %w", waited, err)
		}
		sleep(wait)
		waited += wait
		wait = min(2*wait, 5*time.Millisecond)
	}
}

func (in *injector) send(frames [][]byte) error {
	if in == nil || in.f == nil {
		return errors.New("inject: topology is closed")
	}
	errc := make(chan error, 1)
	select {
	case in.reqs <- injectReq{frames: frames, errc: errc}:
	case <-in.done:
		return errors.New("inject: sender thread stopped")
	}
	return <-errc
}

func (in *injector) close() error {
	if in.f == nil {
		return nil
	}
	close(in.reqs)
	<-in.done
	err := in.f.Close()
	in.f = nil
	if err != nil {
		return fmt.Errorf("close injection socket: %w", err)
	}
	return nil
}
