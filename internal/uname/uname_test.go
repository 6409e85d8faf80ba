package uname

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Release agrees with the kernel's own /proc view of it.
func TestRelease(t *testing.T) {
	want, err := os.ReadFile("/proc/sys/kernel/osrelease")
	require.NoError(t, err)
	got, err := Release()
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(want)), got)
	assert.NotContains(t, got, "\x00", "no NUL padding from the utsname array")
}
