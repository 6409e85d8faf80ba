package netlab

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// Namespace is an anonymous network namespace held open by a file
// descriptor.
type Namespace struct {
	Name   string // label for messages ("dut", "peer")
	handle netns.NsHandle
}

// newNamespace creates a network namespace without entering it: the
// unshare happens on a throw-away locked thread.
func newNamespace(name string) (*Namespace, error) {
	type result struct {
		h   netns.NsHandle
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("get current netns: %w", err)}
			return
		}
		defer orig.Close()
		h, err := netns.New()
		if err != nil {
			// New may have failed after unsharing; restore or lose the thread.
			if netns.Set(orig) == nil {
				runtime.UnlockOSThread()
			}
			ch <- result{err: fmt.Errorf("unshare network namespace: %w", err)}
			return
		}
		if err := netns.Set(orig); err != nil {
			// Keep the thread locked: it exits with this goroutine instead
			// of running other goroutines in the wrong namespace.
			ch <- result{h: h, err: fmt.Errorf("restore netns after creating %s: %w", name, err)}
			return
		}
		runtime.UnlockOSThread()
		ch <- result{h: h}
	}()
	r := <-ch
	if r.err != nil {
		if r.h.IsOpen() {
			r.h.Close()
		}
		return nil, fmt.Errorf("create namespace %s: %w", name, r.err)
	}
	return &Namespace{Name: name, handle: r.h}, nil
}

// Do runs fn inside the namespace on a locked OS thread. If the original
// namespace cannot be restored afterwards, the thread is discarded rather
// than returned to the Go scheduler.
func (n *Namespace) Do(fn func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			ch <- fmt.Errorf("namespace %s: get current netns: %w", n.Name, err)
			return
		}
		defer orig.Close()
		if err := netns.Set(n.handle); err != nil {
			runtime.UnlockOSThread()
			ch <- fmt.Errorf("enter namespace %s: %w", n.Name, err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			ch <- errors.Join(ferr, fmt.Errorf("leave namespace %s (thread discarded): %w", n.Name, err))
			return
		}
		runtime.UnlockOSThread()
		ch <- ferr
	}()
	return <-ch
}

// Handle is the namespace's file descriptor handle, valid until Close.
func (n *Namespace) Handle() netns.NsHandle { return n.handle }

// Close drops this reference to the namespace; the kernel destroys it (and
// its interfaces) once nothing else refers to it.
func (n *Namespace) Close() error {
	if !n.handle.IsOpen() {
		return nil
	}
	err := n.handle.Close()
	n.handle = netns.None()
	if err != nil {
		return fmt.Errorf("close namespace %s: %w", n.Name, err)
	}
	return nil
}
