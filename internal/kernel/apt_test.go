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
	a, err := newAptSuite(cache, "trixie", "", m)
	require.NoError(t, err)
	data, err := os.ReadFile(a.sourcesList())
	require.NoError(t, err)
	assert.Contains(t, string(data), "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian trixie main\n")
	assert.Contains(t, string(data), "deb [arch=amd64 signed-by=/k.gpg] http://sec.example/debian-security trixie-security main\n")
	assert.True(t, strings.HasPrefix(a.dir, cache), "config lives in the cache")
	assert.Contains(t, strings.Join(a.opts(), " "), "Dir::Etc::SourceParts=/dev/null")

	sid, err := newAptSuite(cache, "sid", "", m)
	require.NoError(t, err)
	data, err = os.ReadFile(sid.sourcesList())
	require.NoError(t, err)
	assert.NotContains(t, string(data), "security", "sid has no security suite")

	bpo, err := newAptSuite(cache, "bookworm-backports", "", m)
	require.NoError(t, err)
	data, err = os.ReadFile(bpo.sourcesList())
	require.NoError(t, err)
	assert.Contains(t, string(data), "http://mirror.example/debian bookworm-backports main\n")
	assert.NotContains(t, string(data), "security", "backports has no security suite")
}

// A foreign-architecture config is its own directory, restricts its
// sources to that architecture and makes it apt's native one, so bare
// package names mean that architecture's packages.
func TestPrivateSourcesListArch(t *testing.T) {
	m := Mirrors{Main: "http://mirror.example/debian", Security: "http://sec.example/debian-security"}
	cache := t.TempDir()
	amd, err := newAptSuite(cache, "bookworm", "", m)
	require.NoError(t, err)
	arm, err := newAptSuite(cache, "bookworm", "arm64", m)
	require.NoError(t, err)
	assert.NotEqual(t, amd.dir, arm.dir, "lists of two architectures never mix")
	assert.Equal(t, "bookworm", amd.key())
	assert.Equal(t, "bookworm-arm64", arm.key())
	data, err := os.ReadFile(arm.sourcesList())
	require.NoError(t, err)
	assert.Contains(t, string(data), "deb [arch=arm64] http://mirror.example/debian bookworm main\n")
	assert.Contains(t, string(data), "deb [arch=arm64] http://sec.example/debian-security bookworm-security main\n")
	conf, err := os.ReadFile(arm.aptConf())
	require.NoError(t, err)
	assert.Contains(t, string(conf), `APT::Architecture "arm64";`)
	assert.Contains(t, string(conf), `APT::Architectures { "arm64"; };`)
	assert.Contains(t, strings.Join(arm.opts(), " "), "-c "+arm.aptConf())
}

func TestShortCmd(t *testing.T) {
	assert.Equal(t, "apt-get -q download x=1",
		shortCmd("apt-get", []string{"-o", "Dir::Cache=/c", "-q", "download", "x=1"}))
}
