package kernel

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrivateSourcesList(t *testing.T) {
	m := Mirrors{Main: "http://mirror.example/debian", Security: "http://sec.example/debian-security", SignedBy: "/k.gpg"}
	cache := t.TempDir()
	a, err := newAptSuite(cache, "trixie", m)
	require.NoError(t, err)
	data, err := os.ReadFile(a.sourcesList())
	require.NoError(t, err)
	assert.Contains(t, string(data), "deb [signed-by=/k.gpg] http://mirror.example/debian trixie main\n")
	assert.Contains(t, string(data), "deb [signed-by=/k.gpg] http://sec.example/debian-security trixie-security main\n")
	assert.True(t, strings.HasPrefix(a.dir, cache), "config lives in the cache")
	assert.Contains(t, strings.Join(a.opts(), " "), "Dir::Etc::SourceParts=/dev/null")

	sid, err := newAptSuite(cache, "sid", m)
	require.NoError(t, err)
	data, err = os.ReadFile(sid.sourcesList())
	require.NoError(t, err)
	assert.NotContains(t, string(data), "security", "sid has no security suite")

	bpo, err := newAptSuite(cache, "bookworm-backports", m)
	require.NoError(t, err)
	data, err = os.ReadFile(bpo.sourcesList())
	require.NoError(t, err)
	assert.Contains(t, string(data), "http://mirror.example/debian bookworm-backports main\n")
	assert.NotContains(t, string(data), "security", "backports has no security suite")
}

func TestShortCmd(t *testing.T) {
	assert.Equal(t, "apt-get -q download x=1",
		shortCmd("apt-get", []string{"-o", "Dir::Cache=/c", "-q", "download", "x=1"}))
}
