package mutate

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bpflab/bpflab/internal/objsign"
)

// skipDirs are not copied into scratch trees: VCS data and build output.
var skipDirs = map[string]bool{".git": true, ".cache": true, "out": true, "node_modules": true}

// copyTree copies the module at src to dst (regular files and symlinks;
// .git, .cache and out are left out). A plain copy, not hard links: bpf2go
// rewrites its outputs in place, which must never reach the original.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if rel != "." && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			if rel == ".git" { // a worktree's .git file
				return nil
			}
			return copyFile(path, target)
		}
		return nil
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// buildTimeout bounds one bpf2go rebuild.
const buildTimeout = 5 * time.Minute

// BuildError is a mutant whose C does not compile (or bpf2go failed).
type BuildError struct{ Output string }

func (e *BuildError) Error() string { return "build failed: " + firstLine(e.Output) }

// rebuild reruns p's bpf2go line inside the scratch module at root and
// signs the objects that are signed in the original with key. It returns
// the rebuilt object paths.
func rebuild(ctx context.Context, root string, p Program, cc string, key *objsign.PrivateKey) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	dir := filepath.Join(root, filepath.FromSlash(p.PkgDir))
	cmd := goCommand(ctx, dir, p.Line.GoArgs("", cc)...)
	cmd.Env = append(os.Environ(), p.Line.Env()...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("bpf2go for %s: %w", p.Source, ctx.Err())
	}
	if err != nil {
		return nil, &BuildError{Output: strings.TrimSpace(string(out))}
	}
	objs, err := filepath.Glob(filepath.Join(dir, strings.ToLower(p.Ident())+"_bpfe*.o"))
	if err != nil || len(objs) == 0 {
		return nil, fmt.Errorf("bpf2go for %s wrote no %s_bpfe*.o in %s", p.Source, strings.ToLower(p.Ident()), dir)
	}
	for _, o := range objs {
		if _, err := os.Stat(o + ".sig"); err != nil || key == nil {
			continue // the project does not sign this object
		}
		if err := objsign.SignFile(o, *key); err != nil {
			return nil, fmt.Errorf("sign %s: %w", o, err)
		}
	}
	return objs, nil
}

// resignAll replaces the signature of every signed object under root
// (OBJECT.sig next to OBJECT) with one made by key.
func resignAll(root string, key objsign.PrivateKey) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".o.sig") {
			return err
		}
		obj := strings.TrimSuffix(path, ".sig")
		if _, err := os.Stat(obj); err != nil {
			return nil // a signature without its object: nothing to load
		}
		if err := objsign.SignFile(obj, key); err != nil {
			return fmt.Errorf("re-sign %s: %w", obj, err)
		}
		return nil
	})
}

// trustOnly makes the scratch module trust only pub: for bpflab itself
// (or a fork) the embedded trusted key set is replaced, so test binaries
// built from the scratch tree, also those run inside VMs, accept the
// throwaway signatures; the returned environment does the same for host
// runs of any project that loads through bpflab's objsign.
func trustOnly(root string, pub objsign.PublicKey) ([]string, error) {
	pubPath := filepath.Join(root, ".bpflab-mutate-throwaway.pub")
	if err := os.WriteFile(pubPath, pub.Marshal(), 0o644); err != nil {
		return nil, err
	}
	trusted := filepath.Join(root, "internal", "objsign", "trusted")
	if fi, err := os.Stat(trusted); err == nil && fi.IsDir() {
		old, _ := filepath.Glob(filepath.Join(trusted, "*.pub"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return nil, err
			}
		}
		if err := os.WriteFile(filepath.Join(trusted, "mutate-throwaway.pub"), pub.Marshal(), 0o644); err != nil {
			return nil, err
		}
	}
	return []string{objsign.EnvTrustedKeys + "=" + pubPath}, nil
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return strings.TrimSpace(s)
}

// clangError picks the compiler's first error line out of bpf2go output.
func clangError(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "error:") {
			return strings.TrimSpace(l)
		}
	}
	return firstLine(out)
}
