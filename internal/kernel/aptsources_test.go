package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleDeb822 = `Types: deb
# a comment between fields
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Enabled: no
Types: deb
URIs: http://disabled.example/debian
Suites: sid
Components: main
`

func TestParseDeb822(t *testing.T) {
	srcs, err := ParseDeb822(strings.NewReader(sampleDeb822), "debian.sources")
	require.NoError(t, err)
	require.Len(t, srcs, 2, "the Enabled: no stanza is skipped")
	assert.Equal(t, "http://mirror.example/debian", srcs[0].URI)
	assert.Equal(t, []string{"bookworm", "bookworm-updates"}, srcs[0].Suites)
	assert.Equal(t, []string{"main", "contrib"}, srcs[0].Components)
	assert.Equal(t, "/usr/share/keyrings/debian-archive-keyring.gpg", srcs[0].SignedBy)
	assert.Equal(t, []string{"deb", "deb-src"}, srcs[1].Types)
	assert.Equal(t, "debian.sources:8", srcs[1].File)

	_, err = ParseDeb822(strings.NewReader("Types deb\n"), "bad.sources")
	assert.ErrorContains(t, err, "bad.sources:1")
	_, err = ParseDeb822(strings.NewReader("Types: deb\nSuites: sid\n"), "nouri.sources")
	assert.ErrorContains(t, err, "needs Types, URIs and Suites")
}

func TestParseSourcesList(t *testing.T) {
	in := `# comment
deb http://mirror.example/debian bullseye main
deb [arch=amd64 signed-by=/k.gpg] http://security.example/debian-security bullseye-security main # trailing
deb-src http://mirror.example/debian bullseye main

deb [ arch=amd64 ] http://other.example/repo stable extra
`
	srcs, err := ParseSourcesList(strings.NewReader(in), "sources.list")
	require.NoError(t, err)
	require.Len(t, srcs, 4)
	assert.Equal(t, "http://mirror.example/debian", srcs[0].URI)
	assert.Equal(t, []string{"bullseye"}, srcs[0].Suites)
	assert.Equal(t, "/k.gpg", srcs[1].SignedBy)
	assert.Equal(t, []string{"bullseye-security"}, srcs[1].Suites)
	assert.Equal(t, []string{"deb-src"}, srcs[2].Types)
	assert.Equal(t, "http://other.example/repo", srcs[3].URI)
	assert.Equal(t, []string{"extra"}, srcs[3].Components)

	_, err = ParseSourcesList(strings.NewReader("deb http://deb.example\n"), "short.list")
	assert.ErrorContains(t, err, "short.list:1")
	_, err = ParseSourcesList(strings.NewReader("rpm http://deb.example a b\n"), "rpm.list")
	assert.ErrorContains(t, err, "unknown type")
}

func TestFindMirrors(t *testing.T) {
	srcs, err := ParseDeb822(strings.NewReader(sampleDeb822), "debian.sources")
	require.NoError(t, err)
	third, err := ParseSourcesList(strings.NewReader("deb https://repo.example/node nodistro main\n"), "n.list")
	require.NoError(t, err)
	m, err := FindMirrors(append(third, srcs...))
	require.NoError(t, err)
	assert.Equal(t, "http://mirror.example/debian", m.Main, "third-party suites are not Debian")
	assert.Equal(t, "http://security.example/debian-security", m.Security)
	assert.Equal(t, "/usr/share/keyrings/debian-archive-keyring.gpg", m.SignedBy)

	_, err = FindMirrors(third)
	assert.ErrorContains(t, err, EnvMirror)
}

func TestSystemSources(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "etc/apt/sources.list.d")
	require.NoError(t, os.MkdirAll(d, 0o755))
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(d, name), []byte(body), 0o644))
	}
	write("debian.sources", sampleDeb822)
	write("old.list", "deb http://old.example/debian bullseye main\n")
	write("cloud.list.disabled-by-farm", "deb http://ignored.example/apt cloud main\n")
	write("broken.sources.bak", "garbage")
	srcs, err := SystemSources(root)
	require.NoError(t, err)
	var uris []string
	for _, s := range srcs {
		uris = append(uris, s.URI)
	}
	assert.Equal(t, []string{
		"http://mirror.example/debian", "http://security.example/debian-security",
		"http://old.example/debian",
	}, uris, "only *.list and *.sources, sorted; no sources.list is fine")
}
