package objsign

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProbeKernelSignatures(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("probe loads a BPF program: needs root")
	}
	ks, err := ProbeKernelSignatures()
	require.NoError(t, err)
	require.NotEmpty(t, ks.Detail)
	t.Logf("kernel signature verification: supported=%v (%s)", ks.Supported, ks.Detail)
}
