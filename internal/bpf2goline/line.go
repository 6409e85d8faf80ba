package bpf2goline

import (
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Prefixes are the two spellings of a bpf2go go:generate line: the Go 1.24
// tool directive and the older `go run` of the command's package.
var Prefixes = []string{
	"//go:generate go tool bpf2go ",
	"//go:generate go run github.com/cilium/ebpf/cmd/bpf2go ",
}

// Line is one bpf2go go:generate line.
type Line struct {
	Dir     string   // package directory
	File    string   // base name of the Go file holding the line
	Package string   // Go package name (bpf2go needs it as $GOPACKAGE)
	Ident   string   // bpf2go identifier (first positional argument)
	Source  string   // C source file, relative to Dir (second positional)
	Invoke  []string // how the line runs bpf2go, e.g. ["tool", "bpf2go"]
	Args    []string // arguments after the bpf2go invocation
}

// Find returns the bpf2go lines of the given Go files (test files are
// skipped: go generate does not run their lines for a build).
func Find(files []string) ([]Line, error) {
	var lines []Line
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		if !bytes.Contains(data, []byte("bpf2go ")) {
			continue
		}
		var found []Line
		for _, text := range strings.Split(string(data), "\n") {
			for _, prefix := range Prefixes {
				rest, ok := strings.CutPrefix(strings.TrimRight(text, "\r"), prefix)
				if !ok {
					continue
				}
				args := Split(rest)
				ident, source := positionals(args)
				invoke := Split(strings.TrimPrefix(prefix, "//go:generate go "))
				found = append(found, Line{Dir: filepath.Dir(file), File: filepath.Base(file),
					Ident: ident, Source: source, Invoke: invoke, Args: args})
			}
		}
		if len(found) == 0 {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, data, parser.PackageClauseOnly)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", file, err)
		}
		for i := range found {
			found[i].Package = f.Name.Name
		}
		lines = append(lines, found...)
	}
	return lines, nil
}

// FindInDir returns the bpf2go lines of the Go files directly in dir.
func FindInDir(dir string) ([]Line, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return Find(files)
}

// Split splits a go:generate line like the go command does for the simple
// cases used in practice: spaces separate, double quotes group.
func Split(line string) []string {
	var args []string
	var cur strings.Builder
	inQuote, has := false, false
	for _, r := range line {
		switch {
		case r == '"':
			inQuote, has = !inQuote, true
		case (r == ' ' || r == '\t') && !inQuote:
			if has {
				args = append(args, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		args = append(args, cur.String())
	}
	return args
}

// boolFlags are bpf2go's flags that take no value.
var boolFlags = map[string]bool{"-verbose": true, "-no-strip": true, "-no-global-types": true}

// positionals returns bpf2go's identifier and C source: the first two
// arguments (before "--") that are neither flags nor flag values.
func positionals(args []string) (ident, source string) {
	var pos []string
	for i := 0; i < len(args) && len(pos) < 2; i++ {
		switch {
		case args[i] == "--":
			i = len(args)
		case strings.HasPrefix(args[i], "-"):
			if !strings.Contains(args[i], "=") && !boolFlags[args[i]] {
				i++
			}
		default:
			pos = append(pos, args[i])
		}
	}
	ident, source = "?", ""
	if len(pos) > 0 {
		ident = pos[0]
	}
	if len(pos) > 1 {
		source = pos[1]
	}
	return ident, source
}

// flag returns the value of bpf2go flag name ("-cflags") and whether it
// is present, accepting "-name value" and "-name=value".
func (l Line) flag(name string) (string, bool) {
	for i := 0; i < len(l.Args); i++ {
		a := l.Args[i]
		if a == "--" {
			break
		}
		if a == name || a == "-"+name {
			if i+1 < len(l.Args) {
				return l.Args[i+1], true
			}
			return "", true
		}
		for _, p := range []string{name + "=", "-" + name + "="} {
			if v, ok := strings.CutPrefix(a, p); ok {
				return v, true
			}
		}
	}
	return "", false
}

// GoArgs returns the arguments for the go command that rerun the line with
// outDir as bpf2go's -output-dir and cc as its compiler (cc "" keeps the
// line's own -cc). Run it in l.Dir with Env().
func (l Line) GoArgs(outDir, cc string) []string {
	args := append([]string{}, l.Invoke...)
	if outDir != "" {
		args = append(args, "-output-dir", outDir)
	}
	for i := 0; i < len(l.Args); i++ {
		if cc != "" && (l.Args[i] == "-cc" || l.Args[i] == "--cc") && i+1 < len(l.Args) {
			args = append(args, "-cc", cc)
			i++
			continue
		}
		args = append(args, l.Args[i])
	}
	return args
}

// Env is what go generate would add to the environment of the line.
func (l Line) Env() []string {
	return []string{"GOPACKAGE=" + l.Package, "GOFILE=" + l.File}
}

// ClangArgs returns the clang arguments that compile l.Source for its
// first target the way bpf2go does, minus output options: the -cflags,
// the target triple (with __TARGET_ARCH_* for an architecture target) and
// the extra flags after "--". Tools that parse the source (an AST dump)
// need exactly these to see what the compiler sees.
func (l Line) ClangArgs() []string {
	target := "bpfel"
	if t, ok := l.flag("-target"); ok && t != "" {
		target = strings.Split(t, ",")[0]
	}
	var args []string
	switch target {
	case "bpf", "bpfel":
		args = append(args, "-target", "bpfel")
	case "bpfeb":
		args = append(args, "-target", "bpfeb")
	default: // a Go architecture: bpf2go picks the endianness and defines the arch
		clangTarget, arch := "bpfel", map[string]string{
			"386": "x86", "amd64": "x86", "arm": "arm", "arm64": "arm64", "loong64": "loongarch",
			"mips": "mips", "ppc64": "powerpc", "ppc64le": "powerpc", "riscv64": "riscv", "s390x": "s390",
		}[target]
		if target == "mips" || target == "ppc64" || target == "s390x" {
			clangTarget = "bpfeb"
		}
		args = append(args, "-target", clangTarget)
		if arch != "" {
			args = append(args, "-D__TARGET_ARCH_"+arch)
		}
	}
	if cf, ok := l.flag("-cflags"); ok {
		args = append(args, Split(cf)...)
	}
	for i, a := range l.Args {
		if a == "--" {
			args = append(args, l.Args[i+1:]...)
			break
		}
	}
	return args
}
