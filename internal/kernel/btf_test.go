package kernel

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKernelConfigBTFAndJIT(t *testing.T) {
	write := func(t *testing.T, rel, config string) string {
		root := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(root, "boot"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, "boot", "config-"+rel), []byte(config), 0o644))
		return root
	}
	// bookworm's s390x build, as measured: no BTF, no JIT.
	s390 := write(t, "6.1.0-50-s390x", "CONFIG_BPF=y\n# CONFIG_DEBUG_INFO_BTF is not set\nCONFIG_BPF_JIT_DEFAULT_ON=y\n")
	assert.False(t, kernelHasBTF(s390, "6.1.0-50-s390x"))
	assert.Equal(t, JITInterpreter, kernelJIT(s390, "6.1.0-50-s390x"), "CONFIG_BPF_JIT_DEFAULT_ON is not CONFIG_BPF_JIT")
	arm := write(t, "6.1.0-56-arm64", "CONFIG_BPF_JIT=y\nCONFIG_DEBUG_INFO_BTF=y\n")
	assert.True(t, kernelHasBTF(arm, "6.1.0-56-arm64"))
	assert.Equal(t, JITCompiled, kernelJIT(arm, "6.1.0-56-arm64"))
	none := t.TempDir()
	assert.True(t, kernelHasBTF(none, "x"), "no config: assume the kernel has BTF")
	assert.Empty(t, kernelJIT(none, "x"))
}

// The BTF marker changes with the debug package, pahole and the output, so
// any of them changing regenerates the file.
func TestBTFMarker(t *testing.T) {
	dbg := Package{SHA256: "aa", Filename: "linux-image-6.1.0-50-s390x-dbg_6.1.176-1_s390x.deb"}
	m := btfMarker(dbg, "pahole v1.24", "bb")
	assert.NotEqual(t, m, btfMarker(dbg, "pahole v1.25", "bb"))
	assert.NotEqual(t, m, btfMarker(dbg, "pahole v1.24", "cc"))
	dbg2 := dbg
	dbg2.SHA256 = "dd"
	assert.NotEqual(t, m, btfMarker(dbg2, "pahole v1.24", "bb"))
}
