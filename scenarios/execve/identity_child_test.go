package execve_test

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Identity mode: a child whose every identity differs from every other, so
// an event field filled from the wrong source shows. It takes identUID and
// identGID (distinct, neither 0), names each thread, and makes execve and
// execveat calls from identThreads threads other than the main one at
// once, plus one of each from the main thread. The calls fail (ENOENT) so
// the process lives on and keeps its identities.
const (
	modeIdent    = "ident"
	identUID     = 4242
	identGID     = 5353
	identThreads = 4
	identPrefix  = "/nonexistent/bpflab-ident-"
)

// identFile is the missing file thread i (0 = main) passes to its calls;
// the filename tells the parent which thread an event came from.
func identFile(i int, at bool) string {
	call := "execve"
	if at {
		call = "execveat"
	}
	return fmt.Sprintf("%s%d-%s", identPrefix, i, call)
}

// identComm is thread i's name (comm), set with PR_SET_NAME.
func identComm(i int) string { return fmt.Sprintf("bl-ident-%d", i) }

// rawExec calls execve or execveat(AT_FDCWD) on path without Go's exec
// lock; it must fail with ENOENT.
func rawExec(path string, at bool) error {
	p, _ := syscall.BytePtrFromString(path)
	argv, _ := syscall.SlicePtrFromStrings([]string{path})
	envv, _ := syscall.SlicePtrFromStrings(nil)
	var e syscall.Errno
	if at {
		dirfd := unix.AT_FDCWD
		_, _, e = unix.RawSyscall6(unix.SYS_EXECVEAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), 0, 0)
	} else {
		_, _, e = unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	}
	if e != unix.ENOENT {
		return fmt.Errorf("%s: got %v, want ENOENT", path, e)
	}
	return nil
}

func setComm(name string) error {
	b, _ := syscall.BytePtrFromString(name)
	return unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(b)), 0, 0, 0)
}

// init keeps an identity child's main goroutine on the main thread (only
// init runs there for sure), so thread 0's calls come from tid == tgid.
func init() {
	if os.Getenv(envMode) == modeIdent {
		runtime.LockOSThread()
	}
}

// ident runs the identity child. Protocol on stdout: "uid U gid G", one
// "tid I T" line per thread (I: 0 main, 1..identThreads), then "ready";
// it then waits for "go" on stdin, makes the calls and exits 0.
func ident() int {
	fail := func(f string, a ...any) int {
		fmt.Fprintf(os.Stderr, "execve child: ident: "+f+"\n", a...)
		return 6
	}
	runtime.GOMAXPROCS(identThreads + 1)
	debug.SetGCPercent(-1)
	// Go applies these to every thread of the process.
	if err := syscall.Setresgid(identGID, identGID, identGID); err != nil {
		return fail("setresgid: %v", err)
	}
	if err := syscall.Setresuid(identUID, identUID, identUID); err != nil {
		return fail("setresuid: %v", err)
	}
	fmt.Printf("uid %d gid %d\n", unix.Getuid(), unix.Getgid())
	if unix.Gettid() != os.Getpid() {
		return fail("main goroutine on thread %d, not the main thread %d", unix.Gettid(), os.Getpid())
	}
	if err := setComm(identComm(0)); err != nil {
		return fail("name main thread: %v", err)
	}
	fmt.Printf("tid 0 %d\n", unix.Gettid())

	var ready, start atomic.Int32
	var mu sync.Mutex
	var errs []error
	tids := make(chan string, identThreads)
	var wg sync.WaitGroup
	for i := 1; i <= identThreads; i++ {
		wg.Go(func() {
			runtime.LockOSThread()
			// Never unlocked: the thread ends with the goroutine, so no
			// other goroutine inherits its name.
			err := setComm(identComm(i))
			tids <- fmt.Sprintf("tid %d %d", i, unix.Gettid())
			ready.Add(1)
			for start.Load() == 0 {
				// Spin: the threads leave together and race on the
				// first insert of the count.
			}
			for _, at := range []bool{false, true} {
				if err == nil {
					err = rawExec(identFile(i, at), at)
				}
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	for ready.Load() < identThreads {
		runtime.Gosched()
	}
	for range identThreads {
		fmt.Println(<-tids)
	}
	fmt.Println("ready")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	start.Store(1)
	if err != nil || line != "go\n" {
		wg.Wait()
		return fail("want \"go\" on stdin, got %q (%v)", line, err)
	}
	for _, at := range []bool{false, true} {
		if err := rawExec(identFile(0, at), at); err != nil {
			errs = append(errs, err)
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		return fail("%v", errs)
	}
	return 0
}
