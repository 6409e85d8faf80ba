package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/kernel"
	"github.com/bpflab/bpflab/internal/uname"
)

const kernelsUsage = `usage: bpflab kernels list|fetch|verify|update [flags] [NAMES...]

  list    show each kernel: suite, package, version, release, cached?
  fetch   download, verify (sha256) and extract kernels into the cache
  verify  re-hash the cached .debs against the lock file
  update  resolve the newest kernel of each suite and rewrite the lock

NAMES default to every kernel in the manifest.
`

// runKernels is `bpflab kernels`.
func runKernels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, rest, err := command.Subcommand(args, "kernels", kernelsUsage, stdout, "list", "fetch", "verify", "update")
	if err != nil {
		return err
	}
	fs := command.NewFlags("kernels "+sub, kernelsUsage, stdout)
	manifest := fs.String("manifest", "kernels/manifest", "kernel manifest")
	lockPath := fs.String("lock", "kernels/lock.json", "lock file")
	cache := fs.String("cache", "", "cache dir (default $"+kernel.EnvCache+", $XDG_CACHE_HOME/bpflab or ~/.cache/bpflab)")
	asJSON := fs.Bool("json", false, "list: print JSON (the CI workflow builds its job matrix from it)")
	names, err := fs.ParseInterleaved(rest)
	if err != nil {
		return err
	}
	var m kernel.Manifest
	var lock *kernel.Lock
	if _, err := os.Stat(*manifest); errors.Is(err, os.ErrNotExist) && !isSet(fs.FlagSet, "manifest") {
		// No project manifest here: bpflab's built-in kernels (read-only lock).
		src, err := kernel.Builtin()
		if err != nil {
			return err
		}
		m, lock, *lockPath = src.Manifest, src.Lock, ""
	} else {
		if m, err = kernel.LoadManifest(*manifest); err != nil {
			return command.AsUsage(err)
		}
		if lock, err = kernel.LoadLock(*lockPath); err != nil {
			return command.AsUsage(err)
		}
	}
	if len(names) == 0 {
		names = m.Names()
	}
	for _, n := range names {
		if _, err := m.Lookup(n); err != nil {
			return command.AsUsage(err)
		}
	}
	store, err := kernel.NewStore(kernel.Options{
		CacheDir: *cache, Manifest: m, Lock: lock, LockPath: *lockPath, Log: stderr,
	})
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		if *asJSON {
			return kernelsListJSON(stdout, store, names)
		}
		return kernelsList(stdout, store, names)
	case "fetch":
		return kernelsFetch(ctx, store, names, stdout, stderr)
	case "verify":
		return kernelsVerify(ctx, store, names, stdout)
	default:
		return kernelsUpdate(ctx, store, names, stdout)
	}
}

func kernelsList(w io.Writer, store *kernel.Store, names []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSUITE\tARCHIVE\tPACKAGE\tVERSION\tRELEASE\tCACHED")
	for _, n := range names {
		e, _ := store.Manifest().Lookup(n)
		switch e.Kind {
		case kernel.KindHost:
			rel, _ := uname.Release()
			fmt.Fprintf(tw, "%s\t(host)\t-\t-\t-\t%s\t-\n", n, rel)
		case kernel.KindLocal:
			fmt.Fprintf(tw, "%s\t(local)\t-\t%s\t-\t%s\t-\n", n, e.Vmlinuz, e.Release)
		default:
			k, ok := store.Locked(n)
			if !ok {
				fmt.Fprintf(tw, "%s\t%s\t-\t(not locked: run `bpflab kernels update %s`)\t\t\tno\n", n, e.Suite, n)
				continue
			}
			pkgs := make([]string, len(k.Packages))
			for i, p := range k.Packages {
				pkgs[i] = p.Name
			}
			cached := "no"
			if store.Cached(k) {
				cached = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n, k.Suite, k.Packages[0].Archive, strings.Join(pkgs, "+"), k.Version, k.Release, cached)
		}
	}
	return tw.Flush()
}

func kernelsFetch(ctx context.Context, store *kernel.Store, names []string, stdout, stderr io.Writer) error {
	var failed []string
	for _, n := range names {
		start := time.Now()
		img, err := store.Ensure(ctx, n)
		if err != nil {
			fmt.Fprintf(stderr, "bpflab kernels fetch: %v\n", err)
			failed = append(failed, n)
			continue
		}
		if img.Kernel == nil {
			fmt.Fprintf(stdout, "%s: host kernel %s, nothing to fetch\n", n, img.Release)
			continue
		}
		fmt.Fprintf(stdout, "%s: %s ready in %s\n  vmlinuz %s\n  modules %s\n", n, img.Release,
			time.Since(start).Round(10*time.Millisecond), img.Kernel.Vmlinuz, img.Kernel.ModulesDir)
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not fetch %s", strings.Join(failed, ", "))
	}
	return nil
}

func kernelsVerify(ctx context.Context, store *kernel.Store, names []string, stdout io.Writer) error {
	bad := 0
	for _, n := range names {
		checks, err := store.Verify(ctx, n)
		if err != nil {
			return err
		}
		for _, c := range checks {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", n, c.Status, c.Package.Filename, c.Detail)
			if c.Status != "ok" {
				bad++
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d package(s) missing or corrupt; `bpflab kernels fetch` fetches them again", bad)
	}
	return nil
}

func kernelsUpdate(ctx context.Context, store *kernel.Store, names []string, stdout io.Writer) error {
	changes, err := store.Update(ctx, names)
	if err != nil {
		var unk *kernel.UnknownKernelError
		if errors.As(err, &unk) {
			return command.AsUsage(err)
		}
		return err
	}
	if len(changes) == 0 {
		fmt.Fprintln(stdout, "lock file unchanged")
	}
	for _, c := range changes {
		fmt.Fprintln(stdout, c)
	}
	return nil
}

// listedKernel is one row of `bpflab kernels list --json`.
type listedKernel struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"` // debian, host or local
	Suite   string `json:"suite,omitempty"`
	Release string `json:"release,omitempty"`
	Version string `json:"version,omitempty"`
}

func kernelsListJSON(w io.Writer, store *kernel.Store, names []string) error {
	out := make([]listedKernel, 0, len(names))
	for _, n := range names {
		e, _ := store.Manifest().Lookup(n)
		row := listedKernel{Name: n}
		switch e.Kind {
		case kernel.KindHost:
			row.Kind = "host"
		case kernel.KindLocal:
			row.Kind, row.Release = "local", e.Release
		default:
			row.Kind, row.Suite = "debian", e.Suite
			if k, ok := store.Locked(n); ok {
				row.Release, row.Version = k.Release, k.Version
			}
		}
		out = append(out, row)
	}
	enc := json.NewEncoder(w)
	return enc.Encode(out)
}
