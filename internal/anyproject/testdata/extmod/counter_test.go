package extmod

import (
	"encoding/binary"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/testenv"
)

// TestCountsEveryPacket runs the XDP counter three times on one frame
// through BPF_PROG_TEST_RUN; the object is read from testdata/, as go test
// runs in the package directory (bpflab carries testdata/ into guests).
func TestCountsEveryPacket(t *testing.T) {
	testenv.Setup(t)
	spec, err := ebpf.LoadCollectionSpec("testdata/counter.bpf.o")
	require.NoError(t, err)
	var objs struct {
		Prog   *ebpf.Program `ebpf:"xdp_count"`
		Counts *ebpf.Map     `ebpf:"counts"`
	}
	require.NoError(t, spec.LoadAndAssign(&objs, nil))
	defer objs.Prog.Close()
	defer objs.Counts.Close()

	frame := make([]byte, 64)
	binary.BigEndian.PutUint16(frame[12:], 0x0800)
	const runs = 3
	for i := 0; i < runs; i++ {
		ret, _, err := objs.Prog.Test(frame)
		require.NoError(t, err)
		assert.Equal(t, uint32(2), ret, "XDP_PASS")
	}
	var n uint64
	require.NoError(t, objs.Counts.Lookup(uint32(0), &n))
	assert.Equal(t, uint64(runs), n)
}

// TestLoopModeMatchesTheKernel: the probe's answer must agree with what the
// kernel does with the object's bpf_loop program.
func TestLoopModeMatchesTheKernel(t *testing.T) {
	testenv.Setup(t)
	spec, err := ebpf.LoadCollectionSpec("testdata/counter.bpf.o")
	require.NoError(t, err)
	var objs struct {
		Prog *ebpf.Program `ebpf:"loop_getpid"`
	}
	loadErr := spec.LoadAndAssign(&objs, nil)
	if loadErr == nil {
		objs.Prog.Close()
	}
	mode := LoopMode()
	t.Logf("mode %s, load error %v", mode, loadErr)
	assert.Equal(t, loadErr == nil, mode == "bpf_loop", "probe says %s, load error %v", mode, loadErr)
}
