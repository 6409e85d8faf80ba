package mutate

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/bpflab/bpflab/internal/bpf2goline"
)

// Program is one BPF C source built by a bpf2go go:generate line.
type Program struct {
	Line   bpf2goline.Line // Dir is absolute
	Source string          // the .bpf.c, relative to the module root
	PkgDir string          // the Go package directory, relative to the module root
}

// Ident is the bpf2go identifier, which names the program in reports.
func (p Program) Ident() string { return p.Line.Ident }

// ModuleRoot returns the directory of the main module's go.mod as seen
// from dir (go env GOMOD), so any module with bpf2go lines works.
func ModuleRoot(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD in %s: %w", dir, err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("%s is not inside a Go module (go env GOMOD is empty)", dir)
	}
	return filepath.Dir(mod), nil
}

// FindPrograms returns the programs built by the bpf2go lines of the
// package in dir; root is the module root.
func FindPrograms(root, dir string) ([]Program, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	lines, err := bpf2goline.FindInDir(abs)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s has no bpf2go go:generate line (want //go:generate go tool bpf2go ... in a .go file)", dir)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("%s is outside the module at %s", dir, root)
	}
	var progs []Program
	for _, l := range lines {
		if l.Source == "" {
			return nil, fmt.Errorf("%s/%s: bpf2go line names no C source", dir, l.File)
		}
		if _, err := os.Stat(filepath.Join(abs, l.Source)); err != nil {
			return nil, fmt.Errorf("%s/%s: bpf2go source: %w", dir, l.File, err)
		}
		progs = append(progs, Program{Line: l, Source: filepath.ToSlash(filepath.Join(rel, l.Source)), PkgDir: filepath.ToSlash(rel)})
	}
	return progs, nil
}

// Mutants lists a program's mutants from clang's AST of its source.
func (p Program) Mutants(ctx context.Context, clang, root string) ([]Mutant, error) {
	src, err := os.ReadFile(filepath.Join(root, p.Source))
	if err != nil {
		return nil, err
	}
	funcs, err := dumpAST(ctx, clang, p.Line.Dir, p.Line.Source, p.Line.ClangArgs())
	if err != nil {
		return nil, err
	}
	if len(funcs) == 0 {
		return nil, fmt.Errorf("%s: clang's AST has no function definitions in the file", p.Source)
	}
	return generate(p.Ident(), p.Source, src, funcs, p.Line.Source), nil
}
