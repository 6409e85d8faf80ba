package initramfs_test

// An external test package: the kernel store's cache dir comes from
// internal/kernel, which (through vm and guest) imports initramfs.

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/internal/initramfs"
	"github.com/bpflab/bpflab/internal/kernel"
)

// modulesDirs lists lib/modules/<release> trees of kernels in the store's
// cache (fetched by `bpflab kernels fetch`).
func modulesDirs(t *testing.T) []string {
	t.Helper()
	cache, err := kernel.DefaultCacheDir()
	require.NoError(t, err)
	var dirs []string
	// Unpacked kernels live in <cache>/kernels/<release>_<version>/root.
	trees := filepath.Join(cache, "kernels", "*", "root")
	for _, pat := range []string{filepath.Join("lib", "modules", "*"), filepath.Join("usr", "lib", "modules", "*")} {
		m, _ := filepath.Glob(filepath.Join(trees, pat))
		dirs = append(dirs, m...)
	}
	if len(dirs) == 0 {
		t.Skipf("no kernel modules under %s/kernels; run `bpflab kernels fetch 6.1` first", cache)
	}
	return dirs
}

func TestResolveModules(t *testing.T) {
	for _, dir := range modulesDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			mods, err := initramfs.ResolveModules(dir, []string{"vxlan", "veth"})
			require.NoError(t, err)
			var names []string
			for _, m := range mods {
				names = append(names, m.Name)
				assert.True(t, bytes.HasPrefix(m.Data, []byte("\x7fELF")), "%s is decompressed", m.Path)
			}
			require.Contains(t, names, "vxlan")
			require.Contains(t, names, "udp_tunnel")
			assert.Less(t, index(names, "udp_tunnel"), index(names, "vxlan"), "dependencies load first")
			assert.Equal(t, "veth", names[len(names)-1])

			mods, err = initramfs.ResolveModules(dir, []string{"no_such_module"})
			if _, statErr := os.Stat(filepath.Join(dir, "modules.builtin")); statErr != nil {
				require.NoError(t, err, "without modules.builtin an unknown module is taken as built in")
				assert.Empty(t, mods)
				return
			}
			assert.ErrorContains(t, err, `module "no_such_module" not found`)
		})
	}
}

func index(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
