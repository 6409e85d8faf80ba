package fieldbugs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/harness/probe"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/fixtures"
)

const chainExecs = 3

// F1: the increment-only tracker never inserts, so the count stays 0.
func TestF1IncrementOnlyTracker(t *testing.T) {
	testenv.Setup(t)
	probe.Skip(t, probe.Tracepoint)
	bug, err := fixtures.LoadF1()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, bug.Close()) })
	fixed, err := execve.Load(execve.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fixed.Close()) })
	require.NoError(t, fixed.Attach())

	tgid := runExecChain(t, chainExecs)

	rec := &recorder{}
	checkExecCount(rec, bug, tgid, chainExecs)
	requireDetected(t, rec, fmt.Sprintf("expected %d, got 0", chainExecs))

	checkExecCount(t, fixed, tgid, chainExecs)
}

// F4: the seed's loader asks for the wrong file name, and once that is
// fixed it still never attaches.
func TestF4WrongPathAndNeverAttached(t *testing.T) {
	testenv.Setup(t)
	probe.Skip(t, probe.Tracepoint)
	dir := t.TempDir()
	require.NoError(t, fixtures.WriteBuildOutput(dir))

	_, err := fixtures.SeedLoader{Dir: dir}.Load()
	require.Error(t, err, "the seed's loader found %s although the build wrote %s", fixtures.SeedObjectName, fixtures.BuiltObjectName)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), filepath.Join(dir, fixtures.SeedObjectName))
	hint := fixtures.MissingObjectHint(dir, fixtures.SeedObjectName)
	assert.Contains(t, hint, "the build produced ["+fixtures.BuiltObjectName+"]")
	t.Logf("harness reported: %v; %s", err, hint)

	tr, err := fixtures.SeedLoader{Dir: dir, Name: fixtures.BuiltObjectName}.Load()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, tr.Close()) })

	tgid := runExecChain(t, chainExecs)
	rec := &recorder{}
	checkExecCount(rec, tr, tgid, chainExecs)
	requireDetected(t, rec, "loaded but not attached")

	// The fix: attach. The same check then passes.
	require.NoError(t, tr.Attach())
	tgid = runExecChain(t, chainExecs)
	checkExecCount(t, tr, tgid, chainExecs)
}

// F7: the seed's reader decodes the count map with a fixed little-endian
// order. On little-endian kernels that happens to be right; on a
// big-endian kernel (s390x) every key and value is byte-swapped, and the
// harness must say so. The real loader decodes in native order and passes
// on both.
func TestF7FixedByteOrderDecode(t *testing.T) {
	testenv.Setup(t)
	probe.Skip(t, probe.Tracepoint)
	probe.Skip(t, probe.RingBuf)
	bug, err := fixtures.LoadF7()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, bug.Close()) })
	fixed, err := execve.Load(execve.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fixed.Close()) })
	require.NoError(t, fixed.Attach())

	tgid := runExecChain(t, chainExecs)

	decoded, err := bug.Counts()
	require.NoError(t, err)
	rec := &recorder{}
	ok := checkDecodedCount(rec, decoded, tgid, chainExecs)
	if kernelByteOrder() == "big-endian" {
		requireDetected(t, rec, "fixed byte order that is not this kernel's (big-endian)")
	} else {
		require.True(t, ok, "on a little-endian kernel the little-endian decode is right: %s", rec)
		t.Logf("little-endian kernel: the fixed little-endian decode reads tgid %d = %d correctly (F7 shows on big-endian kernels only)", tgid, chainExecs)
	}

	checkExecCount(t, fixed, tgid, chainExecs)
}
