package fieldbugs_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
)

// envExecs makes the test binary an exec chain: it execs itself until
// the counter reaches 1, so one process makes exactly N execve calls.
const envExecs = "BPFLAB_FIELDBUGS_EXECS"

func TestMain(m *testing.M) {
	if v := os.Getenv(envExecs); v != "" {
		os.Exit(execChain(v))
	}
	os.Exit(m.Run())
}

func execChain(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		fmt.Fprintf(os.Stderr, "%s=%q: want a positive count\n", envExecs, v)
		return 2
	}
	if n == 1 {
		return 0
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "exec chain: %v\n", err)
		return 1
	}
	env := append(slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, envExecs+"=") }),
		fmt.Sprintf("%s=%d", envExecs, n-1))
	err = syscall.Exec(self, []string{self, "-test.run=^$"}, env)
	fmt.Fprintf(os.Stderr, "exec chain: exec %s: %v\n", self, err)
	return 1
}

// runExecChain starts a child that makes n execve calls (the fork+exec
// that starts it, then n-1 more) and returns its TGID once it exited.
func runExecChain(t *testing.T, n int) uint32 {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second+time.Duration(n)*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", envExecs, n))
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "exec chain of %d did not finish in time: %s", n, out)
	require.NoError(t, err, "exec chain of %d: %s", n, out)
	return uint32(cmd.Process.Pid)
}

// recorder stands in for *testing.T when a check runs against a fixture:
// it keeps the failure messages so the test can assert on the cause.
type recorder struct{ msgs []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) String() string { return strings.Join(r.msgs, "\n") }

// requireDetected fails t unless the check recorded a failure containing
// want: the harness must keep naming the bug's cause.
func requireDetected(t *testing.T, rec *recorder, want string) {
	t.Helper()
	require.NotEmpty(t, rec.msgs, "the harness did not detect the bug (expected a failure containing %q)", want)
	require.Contains(t, rec.String(), want, "the harness detected a failure but not its cause")
	t.Logf("harness reported: %s", rec)
}

// counter is what the execve count check reads.
type counter interface {
	Count(tgid uint32) (uint64, error)
}

// checkExecCount is the harness's execve-count check.
func checkExecCount(t assert.TestingT, c counter, tgid uint32, want uint64) bool {
	got, err := c.Count(tgid)
	if err != nil {
		t.Errorf("execve count of tgid %d: %v", tgid, err)
		return false
	}
	if got != want {
		t.Errorf("execve count of tgid %d: expected %d, got %d", tgid, want, got)
		return false
	}
	return true
}

// checkVerdict is the harness's BPF_PROG_TEST_RUN verdict check.
func checkVerdict(t assert.TestingT, frame string, got uint32, want firewall.Verdict) bool {
	if firewall.Verdict(got) != want {
		t.Errorf("frame %q: verdict mismatch: expected %s got %s", frame, want, firewall.Verdict(got))
		return false
	}
	return true
}

// mapIDs lists the maps a program uses.
func mapIDs(p *ebpf.Program) ([]ebpf.MapID, error) {
	info, err := p.Info()
	if err != nil {
		return nil, fmt.Errorf("program info: %w", err)
	}
	ids, ok := info.MapIDs()
	if !ok {
		return nil, fmt.Errorf("program info of %v has no map ids (kernel too old?)", p)
	}
	slices.Sort(ids)
	return ids, nil
}

// checkDecodedCount is the execve-count check for a reader that returns
// the whole decoded map. When the count is missing but the byte-swapped
// TGID holds the byte-swapped count, it names the cause: the reader
// decoded in a byte order that is not the kernel's.
func checkDecodedCount(t assert.TestingT, decoded map[uint32]uint64, tgid uint32, want uint64) bool {
	got, ok := decoded[tgid]
	if ok && got == want {
		return true
	}
	swapped := bits.ReverseBytes32(tgid)
	if v, ok := decoded[swapped]; ok && bits.ReverseBytes64(v) == want {
		t.Errorf("execve count of tgid %d: expected %d, got %d; the map holds key %#08x = %#016x, tgid %d and count %d byte-swapped: "+
			"the reader decodes with a fixed byte order that is not this kernel's (%s); decode in native order",
			tgid, want, got, swapped, v, tgid, want, kernelByteOrder())
		return false
	}
	t.Errorf("execve count of tgid %d: expected %d, got %d", tgid, want, got)
	return false
}

func kernelByteOrder() string {
	if binary.NativeEndian.Uint16([]byte{0x12, 0x34}) == 0x1234 {
		return "big-endian"
	}
	return "little-endian"
}

// The F7 check on a byte-swapped map names the byte order; a plain miss
// does not pretend to know why.
func TestCheckDecodedCountNamesByteOrder(t *testing.T) {
	const tgid = 0x1234
	rec := &recorder{}
	assert.False(t, checkDecodedCount(rec, map[uint32]uint64{0x34120000: 3 << 56}, tgid, 3))
	assert.Contains(t, rec.String(), "expected 3, got 0")
	assert.Contains(t, rec.String(), "fixed byte order that is not this kernel's")
	rec = &recorder{}
	assert.False(t, checkDecodedCount(rec, map[uint32]uint64{7: 3}, tgid, 3))
	assert.Equal(t, "execve count of tgid 4660: expected 3, got 0", rec.String())
	assert.True(t, checkDecodedCount(t, map[uint32]uint64{tgid: 3}, tgid, 3))
}
