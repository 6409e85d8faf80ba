package guest

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// Main is the runner's entry point (bpflab itself, through Dispatch: as
// PID 1 or as `bpflab guest`). It returns the process exit status: 0 when
// every binary ran (whatever their exit codes, which are in the report), 1
// when setup failed, 2 on bad usage. As PID 1 it never returns: it powers
// the machine off.
func Main(args []string) int {
	if name, ok := ModprobeRequest(args); ok {
		return Modprobe(name)
	}
	pid1 := os.Getpid() == 1
	fs := flag.NewFlagSet("bpflab-guest", flag.ContinueOnError)
	specPath := fs.String("spec", "", "spec file (default "+SpecPath+" as PID 1)")
	results := fs.String("results", "", "directory for "+ReportFile+" (overrides the spec)")
	if err := fs.Parse(args); err != nil {
		if pid1 {
			poweroff(os.Stderr)
		}
		return 2
	}
	if *specPath == "" {
		if !pid1 {
			fmt.Fprintln(os.Stderr, "bpflab-guest: --spec is required when not running as PID 1")
			return 2
		}
		*specPath = SpecPath
	}
	if pid1 {
		runPID1(*specPath, *results)
		return 1 // not reached: runPID1 powers off
	}
	return runProcess(*specPath, *results)
}

// runProcess is the runner inside an already running system.
func runProcess(specPath, results string) int {
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	spec, err := ReadSpec(specPath)
	if err != nil {
		logf("bpflab-guest: %v", err)
		return 1
	}
	if results != "" {
		spec.ResultsDir = results
	}
	r, closePort := newRunner(spec, os.Stdout, logf)
	defer closePort()
	if err := mountAll(logf, false); err != nil {
		r.fail("mount", err)
		r.finish()
		return 1
	}
	r.runAll()
	if r.report.Err != "" {
		return 1
	}
	return 0
}

// runPID1 is /init: set up the system, run, and always power off, even
// after a panic in the runner itself.
func runPID1(specPath, results string) {
	console, err := os.OpenFile("/dev/console", os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		console = os.Stderr
	}
	logf := func(f string, a ...any) { fmt.Fprintf(console, f+"\n", a...) }
	var r *runner
	closePort := func() {}
	defer func() {
		if p := recover(); p != nil {
			logf("bpflab-guest: panic: %v\n%s", p, debug.Stack())
			if r != nil {
				r.fail("runner", fmt.Errorf("runner panic: %v", p))
				r.finish()
			}
		}
		closePort()
		poweroff(console)
	}()
	// /proc and /dev must exist before the spec's ports can be opened.
	if err := mountAll(logf, true); err != nil {
		spec := &Spec{ResultsPort: "/dev/ttyS1"}
		r, closePort = newRunner(spec, console, logf)
		r.fail("mount", err)
		r.finish()
		return
	}
	spec, err := ReadSpec(specPath)
	if err != nil {
		spec = &Spec{ResultsPort: "/dev/ttyS1"}
		r, closePort = newRunner(spec, console, logf)
		r.fail("spec", err)
		r.finish()
		return
	}
	if results != "" {
		spec.ResultsDir = results
	}
	if err := loadModules(spec.PortModules, logf); err != nil {
		logf("bpflab-guest: results port driver: %v (continuing; the host will miss the results)", err)
	}
	r, closePort = newRunner(spec, console, logf)
	if err := enableAutoload(spec); err != nil {
		logf("bpflab-guest: %v (continuing; requested modules will be missing)", err)
	}
	if err := loopbackUp(); err != nil {
		logf("bpflab-guest: %v (continuing)", err)
	}
	r.runAll()
}

// newRunner opens the spec's console and results port. A port that cannot
// be opened is logged; the host then reports the missing records.
func newRunner(spec *Spec, console io.Writer, logf func(string, ...any)) (*runner, func()) {
	r := &runner{spec: spec, console: console, logf: logf}
	var closers []func()
	if spec.Console != "" {
		if f, err := os.OpenFile(spec.Console, os.O_WRONLY|unix.O_NOCTTY, 0); err == nil {
			r.console = f
			closers = append(closers, func() { drain(f); f.Close() })
		} else {
			logf("bpflab-guest: open console: %v", err)
		}
	}
	if spec.ResultsPort != "" {
		f, err := openPort(spec.ResultsPort)
		if err != nil {
			logf("bpflab-guest: %v", err)
		} else {
			r.port = f
			closers = append(closers, func() { drain(f); f.Close() })
		}
	}
	return r, func() {
		for _, c := range closers {
			c()
		}
	}
}

// openPort opens a serial port in raw mode, so that the tty layer does not
// turn "\n" into "\r\n" inside frames.
func openPort(port string) (*os.File, error) {
	path, err := resolvePort(port)
	if err != nil {
		return nil, fmt.Errorf("open results port: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("open results port: %w", err)
	}
	if t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag |= unix.CS8
		_ = unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
	}
	return f, nil
}

// drain waits until a tty has sent everything written to it (tcdrain).
func drain(f *os.File) {
	_ = unix.IoctlSetInt(int(f.Fd()), unix.TCSBRK, 1)
}

// poweroff syncs and powers off. If that fails, PID 1 exits, the kernel
// panics, and panic=-1 with qemu -no-reboot ends the VM all the same.
func poweroff(console io.Writer) {
	unix.Sync()
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		fmt.Fprintf(console, "bpflab-guest: power off: %v\n", err)
	}
	os.Exit(1)
}
