package bpf2goline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFind(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	write("gen.go", "package fw\n\n"+
		`//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall" -target amd64 -type fw_stat firewall firewall.bpf.c -- -I../include`+"\n"+
		"//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -target=bpfeb -no-strip probe probe.bpf.c\n")
	write("gen_test.go", "package fw\n//go:generate go tool bpf2go ignored ignored.bpf.c\n")
	write("other.go", "package fw\n")

	lines, err := FindInDir(dir)
	require.NoError(t, err)
	require.Len(t, lines, 2, "test files are skipped")

	fw := lines[0]
	assert.Equal(t, "fw", fw.Package)
	assert.Equal(t, "gen.go", fw.File)
	assert.Equal(t, "firewall", fw.Ident, "-type's value is not the identifier")
	assert.Equal(t, "firewall.bpf.c", fw.Source)
	assert.Equal(t, []string{"tool", "bpf2go", "-output-dir", "/o", "-cc", "clang-19", "-cflags", "-O2 -g -Wall", "-target", "amd64",
		"-type", "fw_stat", "firewall", "firewall.bpf.c", "--", "-I../include"}, fw.GoArgs("/o", "clang-19"))
	assert.Equal(t, []string{"-target", "bpfel", "-D__TARGET_ARCH_x86", "-O2", "-g", "-Wall", "-I../include"}, fw.ClangArgs())
	assert.Equal(t, []string{"GOPACKAGE=fw", "GOFILE=gen.go"}, fw.Env())

	probe := lines[1]
	assert.Equal(t, "probe", probe.Ident, "-no-strip takes no value")
	assert.Equal(t, "probe.bpf.c", probe.Source)
	assert.Equal(t, []string{"run", "github.com/cilium/ebpf/cmd/bpf2go"}, probe.Invoke)
	assert.Equal(t, []string{"-target", "bpfeb"}, probe.ClangArgs())
	assert.Equal(t, "-target=bpfeb", probe.GoArgs("", "")[2], "no -output-dir when none is asked for")
}

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{`a b  c`, []string{"a", "b", "c"}},
		{`-cflags "-O2 -g" x`, []string{"-cflags", "-O2 -g", "x"}},
		{`-cflags ""`, []string{"-cflags", ""}},
		{"a\tb", []string{"a", "b"}},
	} {
		assert.Equal(t, c.want, Split(c.in), c.in)
	}
}
