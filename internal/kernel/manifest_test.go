package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseManifest(t *testing.T) {
	t.Setenv("BPFLAB_TEST_HOME", "/home/dev")
	in := `# comment
5.10   suite=bullseye   # trailing comment
host   host

mine   vmlinuz=$BPFLAB_TEST_HOME/bzImage modules=mods/lib/modules/6.19.0-rc1
rel    vmlinuz=/k/bzImage release=6.19.0
6.1-arm64 suite=bookworm arch=arm64
`
	m, err := ParseManifest(strings.NewReader(in), "/repo/kernels/manifest")
	require.NoError(t, err)
	assert.Equal(t, []string{"5.10", "host", "mine", "rel", "6.1-arm64"}, m.Names())
	assert.Equal(t, Entry{Name: "5.10", Kind: KindDebian, Suite: "bullseye", Line: 2}, m.Entries[0])
	assert.Equal(t, "amd64", m.Entries[0].GoArch(), "no arch= means amd64")
	assert.Equal(t, Entry{Name: "6.1-arm64", Kind: KindDebian, Suite: "bookworm", Arch: "arm64", Line: 7}, m.Entries[4])
	assert.Equal(t, "arm64", m.Entries[4].GoArch())
	assert.Equal(t, KindHost, m.Entries[1].Kind)
	mine := m.Entries[2]
	assert.Equal(t, KindLocal, mine.Kind)
	assert.Equal(t, "/home/dev/bzImage", mine.Vmlinuz)
	assert.Equal(t, "/repo/kernels/mods/lib/modules/6.19.0-rc1", mine.Modules, "relative to the manifest")
	assert.Equal(t, "6.19.0-rc1", mine.Release, "release defaults to the modules dir name")
	assert.Equal(t, "6.19.0", m.Entries[3].Release)
}

func TestParseManifestErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a suite=x\na suite=y\n", "m:2: kernel \"a\" already defined on line 1"},
		{"a\n", "has no source"},
		{"a suite\n", "is not KEY=VALUE"},
		{"a flavour=rt\n", "unknown key \"flavour\""},
		{"a suite=sid vmlinuz=/x\n", "cannot be combined"},
		{"a suite=sid arch=armhf\n", `unknown arch "armhf" (known: amd64, arm64, s390x)`},
		{"a modules=/x\n", "modules= needs vmlinuz="},
		{"-x suite=sid\n", "kernel name"},
		{"# only comments\n", "lists no kernels"},
	}
	for _, tt := range tests {
		_, err := ParseManifest(strings.NewReader(tt.in), "m")
		assert.ErrorContains(t, err, tt.want, tt.in)
	}
}

func TestLookupUnknown(t *testing.T) {
	m, err := ParseManifest(strings.NewReader("6.1 suite=bookworm\n5.10 suite=bullseye\n"), "kernels/manifest")
	require.NoError(t, err)
	e, err := m.Lookup("6.1")
	require.NoError(t, err)
	assert.Equal(t, "bookworm", e.Suite)
	_, err = m.Lookup("4.19")
	var unk *UnknownKernelError
	require.ErrorAs(t, err, &unk)
	assert.Equal(t, []string{"5.10", "6.1"}, unk.Known)
	assert.ErrorContains(t, err, `unknown kernel "4.19" (known in kernels/manifest: 5.10, 6.1`)
}

// The committed manifest must parse and carry the default matrix.
func TestRepoManifest(t *testing.T) {
	m, err := LoadManifest(filepath.Join("..", "..", "kernels", "manifest"))
	require.NoError(t, err)
	want := map[string]string{"5.10": "bullseye", "6.1": "bookworm", "6.12": "trixie", "7.x": "sid"}
	for name, suite := range want {
		e, err := m.Lookup(name)
		require.NoError(t, err)
		assert.Equal(t, suite, e.Suite, name)
	}
	h, err := m.Lookup("host")
	require.NoError(t, err)
	assert.Equal(t, KindHost, h.Kind)
	_, err = LoadManifest(filepath.Join(t.TempDir(), "nope"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
