package firewall

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ErrBusy means another process holds the writer lock of the pin dir for
// longer than Options.LockTimeout.
var ErrBusy = errors.New("another bpflab process is changing this firewall's policy")

// DefaultLockTimeout bounds how long a writer waits for another one.
const DefaultLockTimeout = 10 * time.Second

// lockPinDir takes the writer lock: an exclusive flock on the pin dir
// itself, so it is shared by every process that edits these pins, and it
// goes away with the process if that dies. Readers do not take it.
func lockPinDir(dir string, timeout time.Duration) (unlock func(), err error) {
	if dir == "" {
		return func() {}, nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open pin dir %s to lock it: %w", dir, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock pin dir %s: %w", dir, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock pin dir %s: waited %v: %w; retry when it has finished", dir, timeout, ErrBusy)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
