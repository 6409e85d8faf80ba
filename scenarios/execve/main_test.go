package execve_test

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Child mode: the test binary re-executes itself. envRemaining says how
// many more exec calls this process still has to make; envSelf is the path
// to exec, so every event carries the same filename; envMode picks how.
const (
	envRemaining = "BPFLAB_EXECVE_REMAINING"
	envSelf      = "BPFLAB_EXECVE_SELF"
	envMode      = "BPFLAB_EXECVE_MODE"
)

// Child modes.
const (
	modeExecve   = "execve"   // re-exec with execve(2)
	modeExecveat = "execveat" // re-exec with execveat(AT_FDCWD, ...)
	modeRace     = "race"     // many threads call execve on a missing file at once
)

// Race mode: raceThreads threads each make raceCalls failing execve calls.
const (
	raceThreads = 4
	raceCalls   = 25
	raceMissing = "/nonexistent/bpflab-execve-race"
)

func TestMain(m *testing.M) {
	if rem, ok := os.LookupEnv(envRemaining); ok {
		os.Exit(child(os.Getenv(envMode), rem))
	}
	os.Exit(m.Run())
}

func child(mode, rem string) int {
	n, err := strconv.Atoi(rem)
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "execve child: bad %s=%q\n", envRemaining, rem)
		return 2
	}
	if mode == modeRace {
		return race()
	}
	if mode == modeIdent {
		return ident()
	}
	if mode == modeTraced {
		return traced()
	}
	if mode == modeTracer {
		return tracer()
	}
	if n == 0 {
		return 0
	}
	self := os.Getenv(envSelf)
	env := childEnv(os.Environ(), mode, n-1, self)
	if mode == modeExecveat {
		err = execveat(self, []string{self}, env)
	} else {
		err = syscall.Exec(self, []string{self}, env)
	}
	fmt.Fprintf(os.Stderr, "execve child: %s %s with %d left: %v\n", mode, self, n, err)
	return 3
}

// race makes raceThreads*raceCalls execve calls from several threads at
// once. They fail (ENOENT) and the process lives on. The parent clears this
// TGID's count between "ready" and "go", so the threads' first calls race
// on inserting it into the count map.
func race() int {
	// The parent starts this child with asynchronous preemption off (see
	// runRaceChild), so the spinning goroutines below cannot be preempted:
	// each needs its own P next to the main goroutine, and a garbage
	// collection would wait for them forever.
	runtime.GOMAXPROCS(raceThreads + 1)
	debug.SetGCPercent(-1)
	argv, _ := syscall.SlicePtrFromStrings([]string{raceMissing})
	envv, _ := syscall.SlicePtrFromStrings(nil)
	path, _ := syscall.BytePtrFromString(raceMissing)
	var ready, start atomic.Int32
	var wg sync.WaitGroup
	var mu sync.Mutex
	var unexpected []error
	for range raceThreads {
		wg.Go(func() {
			runtime.LockOSThread()
			ready.Add(1)
			for start.Load() == 0 {
				// Spin rather than block: the threads must leave together.
			}
			for range raceCalls {
				// Raw syscall: syscall.Exec serialises callers on a lock.
				_, _, e := unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(path)),
					uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
				if e != unix.ENOENT {
					mu.Lock()
					unexpected = append(unexpected, e)
					mu.Unlock()
				}
			}
		})
	}
	for ready.Load() < raceThreads {
		runtime.Gosched()
	}
	fmt.Println("ready")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || line != "go\n" {
		fmt.Fprintf(os.Stderr, "execve child: race: want \"go\" on stdin, got %q (%v)\n", line, err)
		start.Store(1)
		wg.Wait()
		return 5
	}
	start.Store(1)
	wg.Wait()
	if len(unexpected) > 0 {
		fmt.Fprintf(os.Stderr, "execve child: race: execve %s returned %v, want ENOENT\n", raceMissing, unexpected)
		return 4
	}
	return 0
}

// execveat is execve(2) through execveat(AT_FDCWD, path, ...); Go has no
// wrapper for it.
func execveat(path string, args, env []string) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	argv, err := syscall.SlicePtrFromStrings(args)
	if err != nil {
		return err
	}
	envv, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return err
	}
	dirfd := unix.AT_FDCWD // a variable: the negative constant does not convert to uintptr
	_, _, e := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), 0, 0)
	return e
}

// childEnv returns base with the child-mode variables set.
func childEnv(base []string, mode string, remaining int, self string) []string {
	out := make([]string, 0, len(base)+3)
	for _, kv := range base {
		if strings.HasPrefix(kv, envRemaining+"=") || strings.HasPrefix(kv, envSelf+"=") ||
			strings.HasPrefix(kv, envMode+"=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, envMode+"="+mode, envRemaining+"="+strconv.Itoa(remaining), envSelf+"="+self)
}
