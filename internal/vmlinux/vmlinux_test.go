package vmlinux

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/kernel"
)

// TestUnxz compresses real x86 code with the xz tool the way the kernel
// build does (--x86 BCJ + LZMA2, CRC32), in several blocks, with the size
// the kernel appends after the stream, and checks it comes back whole; a
// flipped byte must fail the integrity check, not decode to garbage.
func TestUnxz(t *testing.T) {
	xzBin, err := exec.LookPath("xz")
	if err != nil {
		t.Skip("xz (xz-utils) not installed; scripts/setup installs it")
	}
	self, err := os.Executable()
	require.NoError(t, err)
	orig, err := os.ReadFile(self)
	require.NoError(t, err)
	orig = orig[:min(len(orig), 4<<20)]
	trailer := []byte{0x12, 0x34, 0x56, 0x00} // the kernel's appended size
	for _, args := range [][]string{
		{"--check=crc32", "--x86", "--lzma2=dict=1MiB"},
		{"--check=crc32", "--x86", "--lzma2=dict=1MiB", "--block-size=256KiB"},
		{"--check=crc64", "--lzma2=dict=1MiB", "--block-size=1MiB"},
		{"--check=sha256", "--x86", "--lzma2=dict=64KiB"},
	} {
		cmd := exec.Command(xzBin, append([]string{"-c", "-T1", "-0"}, args...)...)
		cmd.Stdin = bytes.NewReader(orig)
		packed, err := cmd.Output()
		require.NoError(t, err)
		got, err := unxz(append(packed, trailer...))
		require.NoError(t, err, "%v", args)
		assert.True(t, bytes.Equal(orig, got), "xz %v round trip differs", args)

		// A flipped bit in the compressed data: the check (or the LZMA2
		// decoder) must refuse it.
		bad := bytes.Clone(packed)
		bad[len(bad)/2] ^= 0x40
		_, err = unxz(bad)
		assert.Error(t, err, "xz %v: a corrupted stream must not decode", args)
	}
}

func TestExtractRejectsGarbage(t *testing.T) {
	_, err := Extract(bytes.Repeat([]byte("not a kernel "), 100))
	assert.ErrorIs(t, err, ErrNoPayload)
	dir := t.TempDir()
	_, err = Cached(filepath.Join(dir, "missing"), dir)
	assert.ErrorContains(t, err, "read kernel image")
}

// TestExtractDebianKernels runs on every kernel already in the store's
// cache: 5.10/6.1 use xz, 6.12/7.x zstd; all carry the PVH note.
func TestExtractDebianKernels(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: decompressing every cached kernel takes seconds each")
	}
	cache, err := kernel.DefaultCacheDir()
	require.NoError(t, err)
	var images []string
	// Unpacked kernels live in <cache>/kernels/<release>_<version>/root.
	trees := filepath.Join(cache, "kernels", "*", "root")
	for _, pat := range []string{filepath.Join("boot", "vmlinuz-*"), filepath.Join("usr", "lib", "modules", "*", "vmlinuz*")} {
		m, _ := filepath.Glob(filepath.Join(trees, pat))
		images = append(images, m...)
	}
	if len(images) == 0 {
		t.Skipf("no kernels under %s/kernels; run `bpflab kernels fetch` first", cache)
	}
	out := t.TempDir()
	for _, img := range images {
		t.Run(filepath.Base(filepath.Dir(img))+"/"+filepath.Base(img), func(t *testing.T) {
			head := make([]byte, 0x210)
			f, err := os.Open(img)
			require.NoError(t, err)
			_, err = io.ReadFull(f, head)
			f.Close()
			require.NoError(t, err)
			if string(head[0x202:0x206]) != "HdrS" {
				t.Skip("not an x86 bzImage (another architecture's kernel in the cache): PVH boot is x86 only")
			}
			p, err := Cached(img, out)
			require.NoError(t, err)
			require.NotEmpty(t, p, "Debian kernels carry the PVH note")
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			pvh, err := HasPVH(data)
			require.NoError(t, err)
			assert.True(t, pvh)
			again, err := Cached(img, out)
			require.NoError(t, err)
			assert.Equal(t, p, again)
		})
	}
}
