package bpf_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The BPF C keeps a GPL-compatible dual licence (the kernel refuses
// GPL-only helpers to programs that do not declare GPL compatibility),
// while the Go code is Apache-2.0 (LICENSE): every source states its SPDX
// identifier, and every program's license section says "Dual BSD/GPL".
func TestBPFSourcesAreDualLicensed(t *testing.T) {
	var files []string
	for _, pat := range []string{"*/*.bpf.c", "*/*.h", "../internal/fixtures/*.bpf.c"} {
		m, err := filepath.Glob(pat)
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	spdx := regexp.MustCompile(`(?m)^(//|/\*) SPDX-License-Identifier: \(GPL-2\.0-only OR BSD-2-Clause\)`)
	section := regexp.MustCompile(`char LICENSE\[\] SEC\("license"\) = "Dual BSD/GPL";`)
	for _, f := range files {
		if filepath.Base(f) == "vmlinux.h" {
			continue // generated from the kernel's BTF by bpftool
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Regexp(t, spdx, string(data), "%s: SPDX line", f)
		if filepath.Ext(f) == ".c" {
			assert.Regexp(t, section, string(data), "%s: license section", f)
		}
	}
}
