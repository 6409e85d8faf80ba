package initramfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entry is one parsed newc record.
type entry struct {
	mode         uint32
	rmaj, rmin   uint32
	data         []byte
	inode, nlink uint32
}

// parseNewc is an independent reader for the archive format.
func parseNewc(t *testing.T, b []byte) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	for {
		require.GreaterOrEqual(t, len(b), 110, "truncated header")
		require.Equal(t, "070701", string(b[:6]))
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(string(b[6+8*i:14+8*i]), 16, 32)
			require.NoError(t, err)
			return uint32(v)
		}
		size, namesize := int(field(6)), int(field(11))
		name := string(b[110 : 110+namesize-1])
		off := (110 + namesize + 3) &^ 3
		e := entry{inode: field(0), mode: field(1), nlink: field(4), rmaj: field(9), rmin: field(10), data: b[off : off+size]}
		b = b[(off+size+3)&^3:]
		if name == trailer {
			return out
		}
		out[name] = e
	}
}

func TestBuildArchive(t *testing.T) {
	cache := t.TempDir()
	entries := []Entry{
		{Name: "init", Data: []byte("#!init"), Mode: 0o755},
		{Name: "bpflab/bin/00-x.test", Data: []byte("odd-sized data"), Mode: 0o755},
		{Name: "bpflab/spec.json", Data: []byte("{}"), Mode: 0o644},
	}
	path, err := Build(cache, entries)
	require.NoError(t, err)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	got := parseNewc(t, raw)

	assert.Equal(t, []byte("#!init"), got["init"].data)
	assert.Equal(t, uint32(modeFile|0o755), got["init"].mode)
	assert.Equal(t, []byte("odd-sized data"), got["bpflab/bin/00-x.test"].data)
	assert.Equal(t, uint32(modeDir|0o755), got["bpflab/bin"].mode, "parents are created")
	con := got["dev/console"]
	assert.Equal(t, uint32(modeChar|0o600), con.mode)
	assert.Equal(t, [2]uint32{5, 1}, [2]uint32{con.rmaj, con.rmin})
	inodes := map[uint32]bool{}
	for _, e := range got {
		assert.False(t, inodes[e.inode], "inode numbers are unique")
		inodes[e.inode] = true
	}

	again, err := Build(cache, []Entry{
		{Name: "init", Data: []byte("#!init"), Mode: 0o755},
		{Name: "bpflab/bin/00-x.test", Data: []byte("odd-sized data"), Mode: 0o755},
		{Name: "bpflab/spec.json", Data: []byte("{}"), Mode: 0o644},
	})
	require.NoError(t, err)
	assert.Equal(t, path, again, "same contents, same cached archive")
	other, err := Build(cache, []Entry{{Name: "init", Data: []byte("#!other"), Mode: 0o755}})
	require.NoError(t, err)
	assert.NotEqual(t, path, other)

	if cpio, err := exec.LookPath("cpio"); err == nil {
		out, err := exec.Command(cpio, "-it", "--quiet", "-F", path).CombinedOutput()
		require.NoError(t, err, "GNU cpio reads the archive: %s", out)
		assert.Contains(t, strings.Fields(string(out)), "bpflab/spec.json")
	}
}

func TestCheckStatic(t *testing.T) {
	assert.ErrorContains(t, CheckStatic(filepath.Join(t.TempDir(), "missing")), "not an ELF")
	for _, p := range []string{"/bin/true", "/usr/bin/true"} {
		if _, err := os.Stat(p); err == nil {
			err := CheckStatic(p)
			require.ErrorIs(t, err, ErrDynamic, "%s is a dynamic Debian binary", p)
			assert.Contains(t, err.Error(), "CGO_ENABLED=0")
			break
		}
	}
	self, err := os.Executable()
	require.NoError(t, err)
	if CheckStatic(self) == nil {
		t.Logf("the test binary itself is static")
	}
}

func TestCheckArch(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	require.NoError(t, CheckArch(self, runtime.GOARCH), "the test binary runs here")
	other := map[string]string{"amd64": "s390x", "arm64": "amd64", "s390x": "arm64"}[runtime.GOARCH]
	err = CheckArch(self, other)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "build it with GOARCH="+other)
	assert.ErrorContains(t, CheckArch(self, "mips"), `no guest architecture "mips"`)
}
