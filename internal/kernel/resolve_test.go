package kernel

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleMadison = `linux-image-amd64 | 6.1.192-2 | http://mirror.example/debian-security bookworm-security/main amd64 Packages
linux-image-amd64 | 6.1.158-1 | http://mirror.example/debian bookworm/main amd64 Packages
linux-image-amd64 | 6.12.95-1~bpo12+1 | http://mirror.example/debian bookworm-backports/main amd64 Packages
linux-image-amd64 | 6.1.200-1 | http://mirror.example/debian bookworm/contrib amd64 Packages
garbage line
`

func TestNewestIn(t *testing.T) {
	rows := parseMadison([]byte(sampleMadison))
	require.Len(t, rows, 4)
	assert.Equal(t, madisonRow{"linux-image-amd64", "6.1.192-2", "bookworm-security", "main"}, rows[0])
	best := newestIn(rows, "bookworm")
	assert.Equal(t, "6.1.192-2", best.Version, "backports and non-main rows do not count")
	assert.Empty(t, newestIn(rows, "trixie").Version)
}

func TestReleaseFromDepends(t *testing.T) {
	tests := []struct{ in, want string }{
		{"linux-image-6.1.0-56-amd64 (= 6.1.192-2)", "6.1.0-56-amd64"},
		{"linux-base-amd64 (= 7.2.13-1), linux-image-7.2.13+deb14-amd64 (= 7.2.13-1)", "7.2.13+deb14-amd64"},
		{"linux-image-amd64-signed-template | linux-image-6.12.118+deb13-amd64", "6.12.118+deb13-amd64"},
	}
	for _, tt := range tests {
		got, err := releaseFromDepends(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
	}
	_, err := releaseFromDepends("linux-base (>= 4)")
	assert.ErrorContains(t, err, "no linux-image-<release>")
}

func TestPackageFromStanza(t *testing.T) {
	st := parseStanza([]byte(`Package: linux-binary-unsigned-7.2.13+deb14-amd64
Version: 7.2.13-1
Description: a long
 continued description: with a colon
Filename: pool/main/l/linux/linux-binary-unsigned-7.2.13+deb14-amd64_7.2.13-1_amd64.deb
Size: 14250700
SHA256: 9990f14b7bea8932d3377894b4c81811d1414eea792720881a067578f913f2b4

Package: second-stanza-ignored
`))
	p, err := packageFromStanza(st, "sid")
	require.NoError(t, err)
	assert.Equal(t, Package{
		Name: "linux-binary-unsigned-7.2.13+deb14-amd64", Version: "7.2.13-1", Archive: "sid",
		Filename: "linux-binary-unsigned-7.2.13+deb14-amd64_7.2.13-1_amd64.deb", Size: 14250700,
		SHA256: "9990f14b7bea8932d3377894b4c81811d1414eea792720881a067578f913f2b4",
	}, p)
	_, err = packageFromStanza(map[string]string{"Package": "x", "Size": "1"}, "sid")
	assert.ErrorContains(t, err, "lacks Filename or SHA256")
}

func TestLocate(t *testing.T) {
	mk := func(root string, files ...string) {
		for _, f := range files {
			p := filepath.Join(root, f)
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
		}
	}
	bookworm := t.TempDir()
	mk(bookworm, "boot/vmlinuz-6.1.0-56-amd64", "lib/modules/6.1.0-56-amd64/kernel/net/veth.ko")
	v, m, err := locate(bookworm, "6.1.0-56-amd64")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(bookworm, "boot/vmlinuz-6.1.0-56-amd64"), v)
	assert.Equal(t, filepath.Join(bookworm, "lib/modules/6.1.0-56-amd64"), m)

	sid := t.TempDir()
	mk(sid, "usr/lib/modules/7.2.13+deb14-amd64/vmlinuz.unsigned", "usr/lib/modules/7.2.13+deb14-amd64/kernel/net/veth.ko.xz")
	v, m, err = locate(sid, "7.2.13+deb14-amd64")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(sid, "usr/lib/modules/7.2.13+deb14-amd64/vmlinuz.unsigned"), v)
	assert.Equal(t, filepath.Join(sid, "usr/lib/modules/7.2.13+deb14-amd64"), m)

	_, _, err = locate(sid, "6.1.0-56-amd64")
	assert.ErrorContains(t, err, "no vmlinuz for 6.1.0-56-amd64")
	noMods := t.TempDir()
	mk(noMods, "boot/vmlinuz-1")
	_, _, err = locate(noMods, "1")
	assert.ErrorContains(t, err, "no modules for 1")
}
