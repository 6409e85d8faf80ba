package check

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/pseudofs"
)

func TestClassify(t *testing.T) {
	verr := func(errno error, log ...string) error {
		return fmt.Errorf("program p: %w", &ebpf.VerifierError{Cause: fmt.Errorf("load program: %w", errno), Log: log})
	}
	tests := []struct {
		name string
		kind Kind
		err  error
		want Code
	}{
		{"verifier", KindProg, verr(unix.EACCES, "0: (61) r0 = *(u32 *)(r3 +12)", "R3 offset is outside of the packet"), VerifierRejected},
		{"helper", KindProg, verr(unix.EINVAL, "0: (85) call unknown#9999", "invalid func unknown#9999"), MissingHelper},
		{"helper for type", KindProg, verr(unix.EINVAL, "0: (85) call bpf_ktime_get_coarse_ns#160", "program of this type cannot use helper bpf_ktime_get_coarse_ns#160"), MissingHelper},
		{"kfunc", KindProg, fmt.Errorf("load: %w", errors.New("unknown kfunc")), MissingHelper},
		{"core", KindProg, fmt.Errorf("program p: %w", errors.New("bad CO-RE relocation")), CORERelocationFailed},
		{"core apply", KindProg, errors.New("program p: apply CO-RE relocations: field x: not found"), CORERelocationFailed},
		{"kernel btf", KindProg, errors.New("program p: load kernel spec: no BTF found for kernel version 5.4.0"), MissingKernelBTF},
		{"eperm no log", KindProg, fmt.Errorf("load program: %w", unix.EPERM), Permission},
		{"map unsupported", KindMap, fmt.Errorf("map create: %w", ebpf.ErrNotSupported), UnsupportedMapType},
		{"prog unsupported", KindProg, fmt.Errorf("load: %w", ebpf.ErrNotSupported), UnsupportedProgType},
		{"attach unsupported", KindAttach, fmt.Errorf("tcx: %w", ebpf.ErrNotSupported), UnsupportedAttach},
		{"attach", KindAttach, fmt.Errorf("attach: %w", unix.EBUSY), AttachFailed},
		{"little-endian object on s390x", KindProg, errors.New("program x: can't load LittleEndian program on BigEndian"), WrongByteOrder},
		{"other", KindProg, errors.New("boom"), LoadFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, detail := Classify(tt.kind, tt.err)
			assert.Equal(t, tt.want, code)
			assert.NotEmpty(t, detail)
		})
	}
	code, _ := Classify(KindProg, nil)
	assert.Equal(t, OK, code)
	_, detail := Classify(KindProg, verr(unix.EINVAL, "invalid func unknown#9999"))
	assert.Equal(t, "unknown#9999", detail, "the missing helper is named")
}

func TestParse(t *testing.T) {
	out := []byte("noise\n" + LinePrefix + `{"object":"x.o","kind":"prog","name":"p","type":"XDP","status":"failed","code":"VERIFIER_REJECTED","message":"m","log_tail":["a","b"]}` +
		"\n" + LinePrefix + `{"object":"x.o","kind":"map","name":"m","type":"Hash","status":"created"}` + "\n")
	tests := Parse("bpflab check", out, 0)
	require.Len(t, tests, 2)
	assert.Equal(t, report.Test{Package: "x.o", Name: "prog/p", Status: report.Fail, Reason: "VERIFIER_REJECTED: m", Output: "a\nb"}, tests[0])
	assert.Equal(t, report.Pass, tests[1].Status)

	crashed := Parse("bpflab check", []byte("panic: x\n"), 2)
	require.Len(t, crashed, 1)
	assert.Equal(t, report.BinaryTest, crashed[0].Name)
	assert.Equal(t, report.Fail, crashed[0].Status)
	assert.Contains(t, crashed[0].Reason, "exited 2 with 0 results")
}

// TestKernel checks real objects and hand-made programs on the running
// kernel (root): each failure class the kernel can show is provoked.
func TestKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs")
	}
	_, err := pseudofs.Ensure(pseudofs.Tracefs, "tracefs")
	require.NoError(t, err)
	byName := func(rs []Result) map[string]Result {
		m := map[string]Result{}
		for _, r := range rs {
			m[r.Test()] = r
		}
		return m
	}

	fw := byName(File(filepath.Join("..", "..", "bpf", "firewall", "firewall_bpfel.o")))
	assert.Equal(t, Attached, fw["prog/xdp_firewall"].Status, "%+v", fw["prog/xdp_firewall"])
	assert.Equal(t, Created, fw["map/stats"].Status)
	ex := byName(File(filepath.Join("..", "..", "bpf", "execve", "execve_bpfel.o")))
	assert.Equal(t, Attached, ex["prog/trace_execve"].Status, "%+v", ex["prog/trace_execve"])
	assert.Equal(t, "tracepoint syscalls/sys_enter_execve", ex["prog/trace_execve"].Note)
	// The seed article's F2: packet read before the bounds check.
	f2 := byName(File(filepath.Join("..", "fixtures", "f2parse_bpfel.o")))["prog/xdp_parse_unchecked"]
	assert.Equal(t, VerifierRejected, f2.Code)
	assert.NotEmpty(t, f2.LogTail)
	assert.Contains(t, f2.Message, "outside of the packet")

	bad := filepath.Join(t.TempDir(), "bad.o")
	require.NoError(t, os.WriteFile(bad, []byte("not an ELF"), 0o644))
	inv := File(bad)
	require.Len(t, inv, 1)
	assert.Equal(t, InvalidObject, inv[0].Code)

	ret := asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}
	spec := &ebpf.CollectionSpec{
		Maps: map[string]*ebpf.MapSpec{
			"weird": {Name: "weird", Type: ebpf.MapType(0x7fff), KeySize: 4, ValueSize: 4, MaxEntries: 1},
		},
		Programs: map[string]*ebpf.ProgramSpec{
			"ok":     {Name: "ok", Type: ebpf.XDP, License: "GPL", Instructions: ret, SectionName: "xdp"},
			"uninit": {Name: "uninit", Type: ebpf.XDP, License: "GPL", Instructions: asm.Instructions{asm.Mov.Reg(asm.R0, asm.R5), asm.Return()}},
			"helper": {Name: "helper", Type: ebpf.XDP, License: "GPL", Instructions: asm.Instructions{asm.BuiltinFunc(9999).Call(), asm.Mov.Imm(asm.R0, 2), asm.Return()}},
			"usesweird": {Name: "usesweird", Type: ebpf.XDP, License: "GPL", Instructions: asm.Instructions{
				asm.LoadMapPtr(asm.R1, 0).WithReference("weird"), asm.Mov.Imm(asm.R0, 2), asm.Return()}},
			"weirdprog": {Name: "weirdprog", Type: ebpf.ProgramType(0x7fff), License: "GPL", Instructions: ret},
			"cgroup":    {Name: "cgroup", Type: ebpf.CGroupSKB, License: "GPL", Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 1), asm.Return()}},
		},
	}
	got := byName(Spec("hand.o", spec))
	assert.Equal(t, UnsupportedMapType, got["map/weird"].Code, "%+v", got["map/weird"])
	assert.Equal(t, Attached, got["prog/ok"].Status, "%+v", got["prog/ok"])
	assert.Equal(t, VerifierRejected, got["prog/uninit"].Code, "%+v", got["prog/uninit"])
	assert.Contains(t, got["prog/uninit"].LogTail[len(got["prog/uninit"].LogTail)-1]+got["prog/uninit"].Message, "R5")
	assert.Equal(t, MissingHelper, got["prog/helper"].Code, "%+v", got["prog/helper"])
	assert.Equal(t, "unknown#9999", got["prog/helper"].Message)
	assert.Equal(t, UnsupportedMapType, got["prog/usesweird"].Code, "a program inherits its map's failure")
	assert.Equal(t, UnsupportedProgType, got["prog/weirdprog"].Code, "%+v", got["prog/weirdprog"])
	assert.Equal(t, Loaded, got["prog/cgroup"].Status, "%+v", got["prog/cgroup"])
	assert.Contains(t, got["prog/cgroup"].Note, "not attached")
}
