// Command failmode triggers one failure mode inside a guest, for the qemu
// backend's tests: failmode MODE [ARG].
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: failmode exit N | output | gopanic | signal | kpanic | hang | module NAME | netlink PROTO")
		os.Exit(100)
	}
	switch os.Args[1] {
	case "exit":
		n, _ := strconv.Atoi(os.Args[2])
		os.Exit(n)
	case "copy": // copy FILE into $BPFLAB_ARTIFACTS (tests Job.Files and artifacts)
		data, err := os.ReadFile(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		dir := os.Getenv("BPFLAB_ARTIFACTS")
		if err := os.WriteFile(dir+"/copied.txt", data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "env": // print an environment variable (tests what the runner passes)
		fmt.Println(os.Getenv(os.Args[2]))
	case "bpfloop": // one bpf_loop(1<<23) run, harmless anywhere (calibration)
		took, err := runLoops(1)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("one bpf_loop(1<<23):", took)
	case "softlockup": // the kernel reports a soft lockup (lockup.go)
		if err := softLockup(5 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "output":
		fmt.Println("to stdout")
		fmt.Fprintln(os.Stderr, "to stderr")
	case "gopanic":
		panic("failmode: deliberate panic")
	case "signal":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	case "kpanic":
		// The kernel panics at once ("sysrq triggered crash").
		_ = os.WriteFile("/proc/sysrq-trigger", []byte("c"), 0)
		time.Sleep(time.Minute)
	case "hang":
		fmt.Println("hanging")
		for { // not select{}: the runtime would call that a deadlock and exit
			time.Sleep(time.Hour)
		}
	case "module":
		mods, err := os.ReadFile("/proc/modules")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(101)
		}
		if !strings.Contains(string(mods), os.Args[2]+" ") {
			fmt.Fprintf(os.Stderr, "module %s not loaded:\n%s", os.Args[2], mods)
			os.Exit(1)
		}
	case "netlink": // open a netlink socket of protocol N (tests Job.Autoload)
		proto, _ := strconv.Atoi(os.Args[2])
		fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW, proto)
		if err != nil {
			fmt.Fprintf(os.Stderr, "netlink protocol %d: %v\n", proto, err)
			os.Exit(1)
		}
		syscall.Close(fd)
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", os.Args[1])
		os.Exit(100)
	}
}
