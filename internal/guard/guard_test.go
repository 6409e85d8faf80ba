package guard

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestKernelDev(t *testing.T) {
	for _, c := range []struct {
		major, minor uint32
		want         uint32
	}{
		{0, 24, 24},               // anonymous (bpffs, tmpfs)
		{8, 1, 8<<20 | 1},         // sda1
		{253, 300, 253<<20 | 300}, // a minor above 255 (encoded apart in st_dev)
		{259, 0x12345, 259<<20 | 0x12345},
	} {
		got := KernelDev(unix.Mkdev(c.major, c.minor))
		assert.Equal(t, c.want, got, "%d:%d", c.major, c.minor)
	}
}

func writeExe(t *testing.T, dir, name, content string) string {
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o755))
	return p
}

func TestIdentify(t *testing.T) {
	dir := t.TempDir()
	a := writeExe(t, dir, "loader-a", "binary A")
	b := writeExe(t, dir, "loader-b", "binary A") // same content, another inode
	ea, err := Identify(a)
	require.NoError(t, err)
	eb, err := Identify(b)
	require.NoError(t, err)
	assert.Equal(t, ea.SHA256, eb.SHA256, "same content, same hash")
	assert.NotEqual(t, ea.Key.Ino, eb.Key.Ino, "trust is per file: a copy is another identity")
	assert.Equal(t, "ok", ea.Check())

	// A symlink is trusted as the file it points to.
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(a, link))
	el, err := Identify(link)
	require.NoError(t, err)
	assert.Equal(t, ea.Key, el.Key)
	assert.Equal(t, a, el.Path)

	// Round trip through the allowlist value keeps path and hash.
	back := exeFromMap(ea.Key, ea.Value())
	assert.Equal(t, ea, back)
}

func TestCheckSeesChanges(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		change func(t *testing.T, p string)
		want   string
	}{
		{"content rewritten in place", func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("X"), 0)
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, "modified"},
		{"chmod (ctime moves)", func(t *testing.T, p string) { require.NoError(t, os.Chmod(p, 0o750)) }, "inode changed"},
		{"replaced by another file (rename over it, as package managers do)", func(t *testing.T, p string) {
			n := writeExe(t, filepath.Dir(p), "new", "other")
			require.NoError(t, os.Rename(n, p))
		}, "replaced"},
		// The file system may hand the freed inode number to the new file:
		// the ctime in the identity still tells them apart.
		{"removed and recreated", func(t *testing.T, p string) {
			require.NoError(t, os.Remove(p))
			writeExe(t, filepath.Dir(p), filepath.Base(p), "other")
		}, "not trusted"},
		{"removed", func(t *testing.T, p string) { require.NoError(t, os.Remove(p)) }, "unavailable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeExe(t, dir, c.name, "original binary")
			e, err := Identify(p)
			require.NoError(t, err)
			time.Sleep(10 * time.Millisecond) // let the ctime clock tick
			c.change(t, p)
			assert.Contains(t, e.Check(), c.want)
		})
	}
}

func TestIdentifyBadInput(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "not-executable")
	require.NoError(t, os.WriteFile(plain, []byte("x"), 0o644))
	for _, p := range []string{filepath.Join(dir, "missing"), dir, plain} {
		_, err := Identify(p)
		require.ErrorIs(t, err, ErrBadInput, p)
		assert.ErrorContains(t, err, filepath.Base(p))
	}
}

func TestParseScope(t *testing.T) {
	s, err := ParseScope("system")
	require.NoError(t, err)
	assert.Zero(t, s.CgroupID)
	assert.Equal(t, "system", s.String())
	for _, bad := range []string{"", "cgroup", "everywhere", "cgroup:/nonexistent/bpflab", "cgroup:" + os.TempDir()} {
		_, err := ParseScope(bad)
		assert.ErrorIs(t, err, ErrBadInput, bad)
	}
}

func TestCLIUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"bogus"}, {"status", "extra"}, {"enable", "--nope"}} {
		var out, errw bytes.Buffer
		err := Run(context.Background(), &out, &errw, args)
		var ue UsageError
		assert.ErrorAs(t, err, &ue, "%q", args)
	}
	var out, errw bytes.Buffer
	err := Run(context.Background(), &out, &errw, []string{"status", "--pin-dir", filepath.Join(t.TempDir(), "none")})
	require.ErrorIs(t, err, ErrBadInput)
	assert.ErrorContains(t, err, "no guard is enabled")
}

func TestDecode(t *testing.T) {
	raw := make([]byte, 64)
	// cgroup 7, ino 0x1122, dev 8:1, pid 40, tgid 41, uid 1000, cmd 5, hook 0, reason 1, detail 9, comm "evil"
	le := func(off int, v uint64, n int) {
		for i := 0; i < n; i++ {
			raw[off+i] = byte(v >> (8 * i))
		}
	}
	le(0, 7, 8)
	le(8, 0x1122, 8)
	le(16, 8<<20|1, 4)
	le(20, 40, 4)
	le(24, 41, 4)
	le(28, 1000, 4)
	le(32, 5, 4)
	le(36, 0, 4)
	le(40, 1, 4)
	le(44, 9, 4)
	copy(raw[48:], "evil")
	d, err := decode(raw)
	require.NoError(t, err)
	assert.Equal(t, Denial{PID: 40, TGID: 41, UID: 1000, Comm: "evil", CgroupID: 7, ExeIno: 0x1122, ExeDev: 8<<20 | 1, Cmd: 5, Hook: 0, Reason: 1, Detail: 9}, d)
	assert.Contains(t, d.String(), "denied BPF_PROG_LOAD")
	assert.Contains(t, d.String(), "dev 8:1")
	_, err = decode(raw[:10])
	assert.Error(t, err)
}
