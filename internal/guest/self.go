package guest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bpflab/bpflab/internal/atomicfile"
	"github.com/bpflab/bpflab/internal/initramfs"
)

// EnvBinary names a static guest runner binary, overriding the search.
const EnvBinary = "BPFLAB_GUEST_BINARY"

// mainPackage is bpflab's command, which is also the guest runner.
const (
	mainPackage = "github.com/bpflab/bpflab/cmd/bpflab"
	mainModule  = "github.com/bpflab/bpflab"
)

// rebuildTimeout bounds the one-time static rebuild (cold build cache with
// cilium/ebpf: about a minute on two busy cores).
const rebuildTimeout = 10 * time.Minute

// RunnerBinary returns the path of a static runner for the guests. It is
// $BPFLAB_GUEST_BINARY if set, else this very executable when it is static
// (CGO_ENABLED=0: the guest has no libc). A bpflab that is not static
// (plain `go install` or `go tool` with cgo on) rebuilds itself once with
// CGO_ENABLED=0 into cacheDir/runner/<sha256 of the executable>/: from the
// current module when bpflab is that module or one of its dependencies
// (a checkout, go tool), else at its released version from the module
// proxy.
func RunnerBinary(ctx context.Context, cacheDir string, log io.Writer) (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if err := initramfs.CheckStatic(p); err != nil {
			return "", fmt.Errorf("$%s: %w", EnvBinary, err)
		}
		return p, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the bpflab executable: %w", err)
	}
	staticErr := initramfs.CheckStatic(self)
	if bi, ok := debug.ReadBuildInfo(); !ok || bi.Path != mainPackage {
		// Not bpflab (e.g. a test binary driving the matrix): build it.
		staticErr = fmt.Errorf("%s is not bpflab: %w", self, initramfs.ErrDynamic)
	}
	if staticErr == nil {
		return self, nil
	}
	if !errors.Is(staticErr, initramfs.ErrDynamic) {
		return "", fmt.Errorf("guest runner: %w", staticErr)
	}
	sum, err := fileSHA256(self)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cacheDir, "runner", sum[:16])
	out := filepath.Join(dir, "bpflab")
	if initramfs.CheckStatic(out) == nil {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("guest runner: %w", err)
	}
	if log != nil {
		fmt.Fprintf(log, "bpflab: this bpflab links libc (built with cgo), so the guests get a static copy: building it once into %s\n", dir)
	}
	if err := rebuild(ctx, dir, out); err != nil {
		return "", fmt.Errorf("%w\n(or install bpflab static: CGO_ENABLED=0 go install %s@VERSION, or set $%s)", err, mainPackage, EnvBinary)
	}
	return out, nil
}

// RunnerBinaryFor is RunnerBinary for a guest of another architecture
// (GOARCH goarch): bpflab cross-built static once into
// cacheDir/runner/<sha256 of this executable>-<goarch>/. The same
// architecture is RunnerBinary.
func RunnerBinaryFor(ctx context.Context, cacheDir, goarch string, log io.Writer) (string, error) {
	if goarch == "" || goarch == runtime.GOARCH {
		return RunnerBinary(ctx, cacheDir, log)
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the bpflab executable: %w", err)
	}
	sum, err := fileSHA256(self)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cacheDir, "runner", sum[:16]+"-"+goarch)
	out := filepath.Join(dir, "bpflab")
	if initramfs.CheckStatic(out) == nil && initramfs.CheckArch(out, goarch) == nil {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("guest runner: %w", err)
	}
	if log != nil {
		fmt.Fprintf(log, "bpflab: cross-building the %s guest runner once into %s\n", goarch, dir)
	}
	if err := rebuildArch(ctx, dir, out, goarch); err != nil {
		return "", fmt.Errorf("%w\n(or set $%s to a static GOARCH=%s bpflab for this kernel)", err, EnvBinary, goarch)
	}
	return out, nil
}

// rebuild builds a static bpflab into out.
func rebuild(ctx context.Context, dir, out string) error {
	return rebuildArch(ctx, dir, out, "")
}

// rebuildArch builds a static bpflab for goarch ("" = this one) into out.
func rebuildArch(ctx context.Context, dir, out, goarch string) error {
	ctx, cancel := context.WithTimeout(ctx, rebuildTimeout)
	defer cancel()
	var cmd *exec.Cmd
	bi, ok := debug.ReadBuildInfo()
	inModule := exec.CommandContext(ctx, "go", "list", "-m", mainModule).Run() == nil
	switch {
	case inModule:
		// A checkout, or go tool: bpflab resolves from the current module
		// (with its replace directives and go.sum).
		cmd = exec.CommandContext(ctx, "go", "build", "-o", out, mainPackage)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if goarch != "" {
			cmd.Env = append(cmd.Env, "GOARCH="+goarch)
		}
	case goarch != "" && ok && bi.Main.Path == mainModule && bi.Main.Version != "" && bi.Main.Version != "(devel)":
		// go install refuses to cross-install into GOBIN: it installs into
		// $GOPATH/bin/linux_GOARCH instead, from where it is copied.
		return crossInstall(ctx, out, goarch, bi.Main.Version)
	case goarch != "":
		return fmt.Errorf("cross-build a %s guest runner: this bpflab has no released version and %s is not resolvable from the working directory's module", goarch, mainModule)
	case ok && bi.Main.Path == mainModule && bi.Main.Version != "" && bi.Main.Version != "(devel)":
		// go install PKG@VERSION: the same release from the module proxy.
		cmd = exec.CommandContext(ctx, "go", "install", mainPackage+"@"+bi.Main.Version)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOBIN="+dir, "GOFLAGS=")
	default:
		return fmt.Errorf("build a static guest runner: this bpflab has no released version and %s is not resolvable from the working directory's module", mainModule)
	}
	cmd.WaitDelay = 5 * time.Second
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build a static guest runner (%s): %w\n%s", cmd, err, bytes.TrimSpace(buf.Bytes()))
	}
	if err := initramfs.CheckStatic(out); err != nil {
		return err
	}
	if goarch != "" {
		return initramfs.CheckArch(out, goarch)
	}
	return nil
}

// crossInstall installs bpflab at version for linux/goarch with go install
// (into $GOPATH/bin/linux_GOARCH, as go does for another architecture) and
// copies it to out.
func crossInstall(ctx context.Context, out, goarch, version string) error {
	gopath, err := exec.CommandContext(ctx, "go", "env", "GOPATH").Output()
	if err != nil {
		return fmt.Errorf("go env GOPATH: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "install", mainPackage+"@"+version)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOBIN=", "GOFLAGS=")
	cmd.WaitDelay = 5 * time.Second
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cross-build a %s guest runner (%s): %w\n%s", goarch, cmd, err, bytes.TrimSpace(msg))
	}
	first := strings.Split(strings.TrimSpace(string(gopath)), string(os.PathListSeparator))[0]
	built := filepath.Join(first, "bin", "linux_"+goarch, "bpflab")
	data, err := os.ReadFile(built)
	if err != nil {
		return fmt.Errorf("cross-built guest runner: %w", err)
	}
	if err := atomicfile.WriteFile(out, data, 0o755); err != nil {
		return err
	}
	if err := initramfs.CheckStatic(out); err != nil {
		return err
	}
	return initramfs.CheckArch(out, goarch)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
