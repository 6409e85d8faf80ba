package artifacts

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-yet")
	t.Setenv(Env, dir)
	path, err := Write("probes-"+Name("6.1.0-56-amd64")+".json", []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "probes-6.1.0-56-amd64.json"), path, "the directory is created")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(data))

	t.Setenv(Env, "")
	path, err = Write("x.json", []byte(`{}`))
	require.NoError(t, err)
	assert.Empty(t, path, "nothing written outside the matrix")
}

func TestName(t *testing.T) {
	assert.Equal(t, "unknown", Name(""))
	assert.Equal(t, "my_kernel_6.1", Name("my kernel/6.1"))
}
