package core

import (
	_ "embed"
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/internal/kernelbtf"
	"github.com/bpflab/bpflab/internal/objsign"
)

// The object's detached signature, made by `go generate` with the release key.
//
//go:embed core_bpfel.o.sig
var signatureEL []byte

//go:embed core_bpfeb.o.sig
var signatureEB []byte

// EmbeddedObject returns the object compiled into bpflab and its signature.
func EmbeddedObject() objsign.Object {
	return objsign.Object{Name: objsign.ObjectName("core"), Data: _CoreBytes, Signature: objsign.Native(signatureEL, signatureEB)}
}

// Field names the task_struct member the program read the state from.
type Field uint32

const (
	FieldNone     Field = Field(coreCoreFieldCORE_FIELD_NONE)      // the program never ran
	FieldStateNew Field = Field(coreCoreFieldCORE_FIELD_STATE_NEW) // task_struct.__state
	FieldStateOld Field = Field(coreCoreFieldCORE_FIELD_STATE_OLD) // task_struct.state
)

func (f Field) String() string {
	switch f {
	case FieldNone:
		return "none (program did not run)"
	case FieldStateNew:
		return "task_struct.__state"
	case FieldStateOld:
		return "task_struct.state"
	}
	return fmt.Sprintf("Field(%d)", uint32(f))
}

// TaskRunning is the state of a task that is executing (TASK_RUNNING).
const TaskRunning = 0

// Result is what the program recorded for the target process.
type Result struct {
	Hits     uint64 // getppid calls seen from the target process
	State    int64  // task state read through Field
	Field    Field
	PID      uint32 // from bpf_get_current_pid_tgid
	TGID     uint32
	TaskPID  uint32 // task_struct->pid via CO-RE
	TaskTGID uint32 // task_struct->tgid via CO-RE
}

// Program is the loaded portability program.
type Program struct {
	objs coreObjects
	link link.Link
}

// Load verifies the embedded object's signature and loads it, recording
// only calls made by process tgid. Verifier errors carry the full log.
func Load(tgid uint32) (*Program, error) {
	if tgid == 0 {
		return nil, errors.New("load core program: tgid 0 would record nothing; pass the process to watch (os.Getpid())")
	}
	spec, _, err := objsign.LoadSpec(EmbeddedObject(), nil)
	if err != nil {
		return nil, fmt.Errorf("load core spec: %w", err)
	}
	if err := spec.Variables[coreVarTargetTgid].Set(tgid); err != nil {
		return nil, fmt.Errorf("set target_tgid: %w", err)
	}
	p := &Program{}
	if err := spec.LoadAndAssign(&p.objs, &ebpf.CollectionOptions{Cache: kernelbtf.Cache()}); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("load core program: %+v", ve)
		}
		return nil, fmt.Errorf("load core program: %w", err)
	}
	return p, nil
}

// Attach attaches the program to syscalls/sys_enter_getppid.
func (p *Program) Attach() error {
	if p.link != nil {
		return errors.New("attach core program: already attached")
	}
	l, err := link.Tracepoint("syscalls", "sys_enter_getppid", p.objs.TaskState, nil)
	if err != nil {
		return fmt.Errorf("attach tracepoint syscalls/sys_enter_getppid: %w", err)
	}
	p.link = l
	return nil
}

// Trigger makes one getppid call from the calling thread, which the
// attached program records.
func (p *Program) Trigger() { unix.Getppid() }

// Result reads what the program recorded.
func (p *Program) Result() (Result, error) {
	var r coreCoreResult
	if err := p.objs.Result.Lookup(uint32(0), &r); err != nil {
		return Result{}, fmt.Errorf("read core result: %w", err)
	}
	return Result{Hits: r.Hits, State: r.State, Field: Field(r.Field), PID: r.Pid, TGID: r.Tgid,
		TaskPID: r.TaskPid, TaskTGID: r.TaskTgid}, nil
}

// Close detaches and releases the program and its map.
func (p *Program) Close() error {
	var errs []error
	if p.link != nil {
		errs = append(errs, p.link.Close())
		p.link = nil
	}
	errs = append(errs, p.objs.Close())
	return errors.Join(errs...)
}

// KernelField says which state field the kernel's own BTF has, independent
// of the BPF program: the oracle the program's choice is checked against.
func KernelField(kernel *btf.Spec) (Field, error) {
	var task *btf.Struct
	if err := kernel.TypeByName("task_struct", &task); err != nil {
		return FieldNone, fmt.Errorf("find task_struct in kernel BTF: %w", err)
	}
	var hasNew, hasOld bool
	for _, m := range task.Members {
		hasNew = hasNew || m.Name == "__state"
		hasOld = hasOld || m.Name == "state"
	}
	switch {
	case hasNew && !hasOld:
		return FieldStateNew, nil
	case hasOld && !hasNew:
		return FieldStateOld, nil
	}
	return FieldNone, fmt.Errorf("kernel task_struct has __state=%v and state=%v; expected exactly one", hasNew, hasOld)
}
