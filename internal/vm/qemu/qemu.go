package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/bpflab/bpflab/internal/guest"
	"github.com/bpflab/bpflab/internal/vm"
	"github.com/bpflab/bpflab/internal/vm/kvm"
)

// Default deadlines. A TCG boot to /init takes ~2 s here, but two cores
// shared by parallel kernels can stretch that a lot.
const (
	DefaultBootTimeout     = 90 * time.Second
	DefaultTestTimeout     = 10 * time.Minute
	DefaultShutdownTimeout = 30 * time.Second
	// interruptGrace is how long qemu gets to exit after SIGTERM before
	// SIGKILL.
	interruptGrace = 3 * time.Second
)

// Backend boots kernels with qemu-system-x86_64, or the qemu of the
// kernel's architecture (arm64, s390x; see machines). The zero value works.
type Backend struct {
	Qemu        string // default qemu-system-x86_64 from PATH (host-architecture kernels only)
	GuestBinary string // static guest runner; default FindGuest() (Job.Runner overrides it)
	CacheDir    string // vmlinux and initramfs cache; default <user cache>/bpflab
	Memory      string // default "1G"
	CPUs        int    // default 2
	Accel       string // "kvm", "tcg" or "" (probe)
	CPU         string // -cpu model; default "host" with KVM, "max" with TCG
	NoPVH       bool   // always boot the bzImage

	BootTimeout     time.Duration
	ShutdownTimeout time.Duration
	// Log, if set, receives progress notes (accelerator choice, boot mode).
	Log func(format string, args ...any)

	once      sync.Once
	kvm       bool
	kvmReason string
}

// Name implements vm.Backend.
func (b *Backend) Name() string { return "qemu" }

// accel picks the accelerator once per backend.
func (b *Backend) accel() string {
	switch b.Accel {
	case "kvm", "tcg":
		return b.Accel
	}
	b.once.Do(func() { b.kvm, b.kvmReason = kvm.Probe(context.Background(), "", 0) })
	if b.kvm {
		return "kvm"
	}
	b.logf("qemu: KVM not usable (%s); using TCG", b.kvmReason)
	return "tcg"
}

func (b *Backend) logf(format string, args ...any) {
	if b.Log != nil {
		b.Log(format, args...)
	}
}

// args builds the qemu command line. fd 3 is the console, fd 4 the results
// channel (qemu reopens them through /dev/fd).
func (b *Backend) args(bt *boot, accel string) []string {
	mem, cpus, cpu := b.Memory, b.CPUs, b.CPU
	if mem == "" {
		mem = "1G"
	}
	if cpus == 0 {
		cpus = 2
	}
	if cpu == "" {
		cpu = bt.machine.tcgCPU
		if accel == "kvm" {
			cpu = "host"
		}
	}
	cmdline := "console=" + bt.machine.console + " panic=-1 quiet rdinit=/init BPFLAB_GUEST=1 " + vm.LSMArg
	if bt.machine.cmdline != "" {
		cmdline += " " + bt.machine.cmdline
	}
	args := []string{"-nodefaults", "-display", "none", "-no-reboot",
		"-accel", AccelArg(accel), "-m", mem, "-smp", strconv.Itoa(cpus)}
	args = append(args, bt.machine.args(cpu)...)
	return append(args, "-kernel", bt.kernel, "-initrd", bt.initrd, "-append", cmdline)
}

// AccelArg is the -accel value. TCG runs all vCPUs in one host thread:
// with a thread per vCPU (MTTCG), a vCPU can keep executing a stale
// translation of kernel text that another vCPU patched (jump labels flipped
// on tracepoint attach), trapping on the removed int3 forever; 6.1 locked
// up that way in about one run of three. Round-robin TCG has no such race,
// and with -j kernels in parallel the host's cores are busy anyway.
func AccelArg(accel string) string {
	if accel == "tcg" {
		return "tcg,thread=single"
	}
	return accel
}

// Run implements vm.Backend.
func (b *Backend) Run(ctx context.Context, job vm.Job) (*vm.Run, error) {
	if job.WorkDir == "" {
		return nil, &vm.PhaseError{Phase: "prepare", Err: errors.New("the qemu backend needs Job.WorkDir for its console log")}
	}
	if err := os.MkdirAll(job.WorkDir, 0o755); err != nil {
		return nil, &vm.PhaseError{Phase: "prepare", Err: err}
	}
	run := &vm.Run{Backend: b.Name(), Console: filepath.Join(job.WorkDir, "console.log")}
	start := time.Now()
	bt, err := b.prepare(job)
	run.Phases = append(run.Phases, vm.Phase{Name: "prepare", Duration: time.Since(start)})
	if err != nil {
		return run, err
	}
	run.Accel = b.accel()
	if foreign(job.Kernel.GoArch()) {
		run.Accel = "tcg" // KVM runs only the host's own architecture
	}
	b.logf("qemu: booting %s (%s, %s) with %s", job.Kernel.Name, job.Kernel.GoArch(),
		map[bool]string{true: "vmlinux via PVH", false: "kernel image"}[bt.pvh], run.Accel)
	err = b.boot(ctx, job, bt, run)
	if err != nil && run.Accel == "kvm" && b.Accel == "" && earlyQemuFailure(err) {
		// /dev/kvm looked fine but qemu could not start a vCPU: retry once
		// under TCG rather than failing the kernel.
		b.logf("qemu: KVM failed at start (%v); retrying with TCG", err)
		run.Accel, run.Phases, run.Results = "tcg", run.Phases[:1], nil
		err = b.boot(ctx, job, bt, run)
	}
	return run, err
}

// errQemuExit marks qemu exiting before the guest said hello.
var errQemuExit = errors.New("qemu exited")

func earlyQemuFailure(err error) bool {
	var pe *vm.PhaseError
	return errors.As(err, &pe) && pe.Phase == "boot" && errors.Is(err, errQemuExit)
}

// event is something the supervising loop waits for.
type event struct {
	rec    *guest.Record
	exited error // qemu's wait result, when exitDone
	exit   bool
}

// boot starts qemu and walks the phases boot -> test -> shutdown.
func (b *Backend) boot(ctx context.Context, job vm.Job, bt *boot, run *vm.Run) error {
	qemuBin := b.Qemu
	if qemuBin == "" || foreign(job.Kernel.GoArch()) {
		qemuBin = bt.machine.qemu // Qemu overrides the host architecture's binary only
	}
	conR, conW, err := os.Pipe()
	if err != nil {
		return &vm.PhaseError{Phase: "boot", Err: err}
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		conR.Close()
		conW.Close()
		return &vm.PhaseError{Phase: "boot", Err: err}
	}
	logFile, err := os.Create(run.Console)
	if err != nil {
		return &vm.PhaseError{Phase: "boot", Err: err}
	}
	defer logFile.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(qemuBin, b.args(bt, run.Accel)...)
	cmd.ExtraFiles = []*os.File{conW, resW}
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.Dir = job.WorkDir
	if err := cmd.Start(); err != nil {
		conR.Close()
		conW.Close()
		resR.Close()
		resW.Close()
		return &vm.PhaseError{Phase: "boot", Err: fmt.Errorf("start qemu: %w", err)}
	}
	conW.Close()
	resW.Close()

	events := make(chan event, 16)
	con := newConsole()
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		con.follow(conR, logFile, job.Stream)
	}()
	go func() {
		defer readers.Done()
		_ = guest.ReadFrames(resR, func(r guest.Record) { events <- event{rec: &r} },
			func(err error) { fmt.Fprintf(logFile, "\nbpflab: results channel: %v\n", err) })
	}()
	go func() {
		err := cmd.Wait()
		readers.Wait() // all records and console bytes are in before "exit"
		events <- event{exit: true, exited: err}
	}()
	defer conR.Close()
	defer resR.Close()

	s := &supervisor{b: b, job: job, run: run, cmd: cmd, con: con, events: events, stderr: &stderr}
	err = s.walk(ctx)
	if st := cmd.ProcessState; s.exited && st != nil { // set by Wait before the exit event
		// CPU time is steadier than wall time on a loaded machine.
		b.logf("qemu: %s used %.2fs user + %.2fs sys CPU", job.Kernel.Name, st.UserTime().Seconds(), st.SystemTime().Seconds())
	}
	return err
}
