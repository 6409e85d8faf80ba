package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/initramfs"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/matrix"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/qemu"
	"github.com/bpflab/bpflab/internal/vm/vng"
)

const execUsage = `usage: bpflab exec [--backend qemu|vng|host] [flags] --kernel K BINARY [ARGS...]

Runs one static binary inside kernel K (a manifest name such as 6.1, or a
path to a bzImage) and exits with the binary's exit status. Its output is
streamed as it runs. This makes go test run a package inside a kernel:

  CGO_ENABLED=0 go test -exec 'bpflab exec --kernel 6.1' ./scenarios/xdp

CGO_ENABLED=0 is needed: the guest has no libc. The binary runs as root in
/tmp of a fresh kernel with /proc, /sys, bpffs, tracefs and lo up; host
files (e.g. testdata/) are not visible. If the VM itself fails (boot,
kernel panic, deadline), bpflab exec says where and exits 125.
`

func runExec(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := command.NewFlags("exec", execUsage, stdout)
	kname := fs.String("kernel", "", "kernel: manifest name (e.g. 6.1) or path to a bzImage")
	modulesDir := fs.String("modules-dir", "", "lib/modules/<release> of a --kernel given as a path")
	backend := fs.String("backend", "qemu", "backend: qemu, vng or host")
	timeout := fs.Duration("timeout", qemu.DefaultTestTimeout, "deadline for the binary to finish (default: its -test.timeout plus a minute, else 10m)")
	modules := fs.String("modules", "", "comma-separated kernel modules to load before the binary runs")
	// xfrm_user and nfnetlink: vishvananda/netlink opens XFRM and NETFILTER
	// sockets in every handle; they are modules in Debian kernels, and the
	// guest loads them (and veth) only if the kernel asks, like modprobe.
	autoload := fs.String("autoload", "veth,xfrm_user,nfnetlink", "comma-separated kernel modules to carry and load when the kernel requests them")
	manifest := fs.String("manifest", "", "kernel manifest (default: kernels/manifest in this or a parent directory, else the built-in one)")
	cache := fs.String("cache", "", "cache dir (default $"+kernel.EnvCache+", else the user cache)")
	keep := fs.Bool("keep", false, "keep the work dir (console log) even on success")
	tools := fs.String("tools", "bpftool", "comma-separated host programs to carry into the VM with their shared libraries, if found on PATH")
	verbose := fs.Bool("v", false, "say which accelerator and boot mode are used, and phase times")
	operands, err := fs.ParseArgs(args)
	if err != nil {
		return err
	}
	if len(operands) == 0 {
		return command.Usagef("missing BINARY (see bpflab exec -h)")
	}
	bin, binArgs := operands[0], operands[1:]
	if !isSet(fs.FlagSet, "timeout") {
		if d, ok := testTimeout(binArgs); ok {
			// Let the test binary's own timeout fire first: its panic
			// names the stuck test, ours can only name the binary.
			*timeout = d + time.Minute
		}
	}
	if *kname == "" {
		return command.Usagef("missing --kernel (a manifest name such as 6.1, host, or a bzImage path)")
	}
	if *backend != "qemu" && *backend != "vng" && *backend != "host" {
		return command.Usagef("unknown --backend %q (want qemu, vng or host)", *backend)
	}
	if _, err := os.Stat(bin); err != nil {
		return command.Usagef("binary: %w", err)
	}
	k, err := execKernel(ctx, *kname, *modulesDir, *manifest, *cache, stderr)
	if err != nil {
		return err
	}
	if k == nil || *backend == "host" {
		return execHost(ctx, bin, binArgs, *timeout, stdout, stderr)
	}
	if err := initramfs.CheckStatic(bin); err != nil {
		return command.AsUsage(err)
	}
	if *backend == "vng" {
		vb, err := execVng()
		if err != nil {
			return err
		}
		job, err := execJobFor(k, bin, binArgs, *modules, *timeout, stdout)
		if err != nil {
			return err
		}
		return runInVM(ctx, vb, job, "exec", *keep, *verbose, stderr)
	}
	var log func(string, ...any)
	if *verbose {
		log = func(f string, a ...any) { fmt.Fprintf(stderr, "bpflab exec: "+f+"\n", a...) }
	}
	job, err := execJobFor(k, bin, binArgs, *modules, *timeout, stdout)
	if err != nil {
		return err
	}
	job.Autoload = command.SplitList(*autoload)
	job.Tools = vm.FindTools(command.SplitList(*tools)...)
	return runInVM(ctx, qemuBackend(*cache, log), job, "exec", *keep, *verbose, stderr)
}

// qemuBackend is the qemu backend of one command: the kernel cache dir
// (default the user's); the guest's /init is bpflab itself (qemu.FindGuest).
func qemuBackend(cache string, log func(string, ...any)) *qemu.Backend {
	b := &qemu.Backend{CacheDir: cache, Log: log}
	if cache == "" {
		if d, err := kernel.DefaultCacheDir(); err == nil {
			b.CacheDir = d
		}
	}
	return b
}

// execVng is the virtme-ng backend: it runs the static bpflab (as
// `bpflab guest`) from the host's filesystem.
func execVng() (vm.Backend, error) {
	if err := vng.Available(); err != nil {
		return nil, err
	}
	runner, err := qemu.FindGuest()
	if err != nil {
		return nil, err
	}
	return vng.New(runner), nil
}

// execJobFor is the job of `bpflab exec`: one binary, its output
// streamed. As go test does, the binary runs in the working directory
// (the package's, under go test -exec), with testdata/ carried along.
func execJobFor(k *vm.Kernel, bin string, binArgs []string, modules string, timeout time.Duration, stdout io.Writer) (vm.Job, error) {
	wd, err := os.Getwd()
	if err != nil {
		return vm.Job{}, err
	}
	files, err := matrix.DirFiles(wd)
	if err != nil {
		return vm.Job{}, command.AsUsage(err)
	}
	return vm.Job{
		Kernel:   k,
		Binaries: []vm.Binary{{Name: filepath.Base(bin), Path: bin, Args: binArgs, Dir: wd}},
		Files:    files,
		Modules:  command.SplitList(modules),
		Timeout:  timeout,
		Stream:   func(_ string, line []byte) { stdout.Write(line) },
	}, nil
}

// runInVM runs a job of one binary on backend b in a new work dir and
// turns the outcome into the command's exit status: the binary's own, or
// ExitVM, saying where the console log is, when the VM failed.
func runInVM(ctx context.Context, b vm.Backend, job vm.Job, name string, keep, verbose bool, stderr io.Writer) error {
	work, err := os.MkdirTemp("", "bpflab-"+name+"-")
	if err != nil {
		return err
	}
	job.WorkDir = work
	run, err := b.Run(ctx, job)
	if verbose && run != nil {
		fmt.Fprintf(stderr, "bpflab %s: %s %s (%s): %v\n", name, run.Backend, run.Release, run.Accel, run.Phases)
	}
	if err != nil || run == nil || len(run.Results) != 1 {
		if err == nil {
			err = errors.New("the guest reported no result")
		}
		fmt.Fprintf(stderr, "bpflab %s: kernel %s: %v\nbpflab %s: console log kept in %s\n", name, job.Kernel.Name, err, name, work)
		return &command.ExitError{Code: command.ExitVM}
	}
	if !keep {
		os.RemoveAll(work)
	}
	if code := run.Results[0].ExitCode; code != 0 {
		if code < 0 {
			code = command.ExitVM
		}
		return &command.ExitError{Code: code}
	}
	return nil
}

// execKernel turns --kernel into a vm.Kernel; nil means the host kernel.
func execKernel(ctx context.Context, name, modulesDir, manifest, cache string, log io.Writer) (*vm.Kernel, error) {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return nil, command.Usagef("--kernel %s: %w", name, err)
		}
		return &vm.Kernel{Name: filepath.Base(name), Vmlinuz: name, ModulesDir: modulesDir}, nil
	}
	if manifest == "" {
		// go test -exec runs in the package dir: a project's kernels/
		// manifest is in a parent; without one, the built-in kernels.
		if found, err := findUp(filepath.Join("kernels", "manifest")); err == nil {
			manifest = found
		}
	}
	src, err := kernel.OpenSource(manifest, "")
	if err != nil {
		return nil, command.AsUsage(err)
	}
	m, lock := src.Manifest, src.Lock
	store, err := kernel.NewStore(kernel.Options{CacheDir: cache, Manifest: m, Lock: lock, Log: log})
	if err != nil {
		return nil, err
	}
	img, err := store.Ensure(ctx, name)
	if err != nil {
		return nil, err
	}
	return img.Kernel, nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// testTimeout finds -test.timeout=D among a go test binary's arguments (0
// means no timeout and is ignored).
func testTimeout(args []string) (time.Duration, bool) {
	for i, a := range args {
		v, ok := strings.CutPrefix(a, "-test.timeout=")
		if !ok && a == "-test.timeout" && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if d, err := time.ParseDuration(v); ok && err == nil && d > 0 {
			return d, true
		}
	}
	return 0, false
}

// findUp looks for rel in the working directory and its parents (go test
// -exec runs in the package's directory, below the repository root).
func findUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s in the working directory or its parents", rel)
		}
		dir = parent
	}
}

// execHost runs the binary on the host kernel.
func execHost(ctx context.Context, bin string, args []string, timeout time.Duration, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "bpflab exec: %s did not finish within %v\n", bin, timeout)
		return &command.ExitError{Code: command.ExitVM}
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return &command.ExitError{Code: ee.ExitCode()}
	default:
		return err
	}
}
