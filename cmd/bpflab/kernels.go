package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bpflab/bpflab/internal/kernel"
)

const kernelsUsage = `usage: bpflab kernels list|fetch|verify|update [flags] [NAMES...]

  list    show each kernel: suite, package, version, release, cached?
  fetch   download, verify (sha256) and extract kernels into the cache
  verify  re-hash the cached .debs against the lock file
  update  resolve the newest kernel of each suite and rewrite the lock

NAMES default to every kernel in the manifest.
`

// runKernels is `bpflab kernels`.
func runKernels(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(os.Stderr, kernelsUsage)
		return usageError{"missing subcommand (list, fetch, verify or update)"}
	}
	sub := args[0]
	fs := flag.NewFlagSet("kernels "+sub, flag.ContinueOnError)
	manifest := fs.String("manifest", "kernels/manifest", "kernel manifest")
	lockPath := fs.String("lock", "kernels/lock.json", "lock file")
	cache := fs.String("cache", "", "cache dir (default $"+kernel.EnvCache+", $XDG_CACHE_HOME/bpflab or ~/.cache/bpflab)")
	asJSON := fs.Bool("json", false, "list: print JSON (the CI workflow builds its job matrix from it)")
	fs.SetOutput(io.Discard) // errors are returned, usage printed on -h only
	names, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(os.Stderr)
		fmt.Fprint(os.Stderr, kernelsUsage, "\nflags:\n")
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return usageError{fmt.Sprintf("%v (see bpflab kernels -h)", err)}
	}
	switch sub {
	case "list", "fetch", "verify", "update":
	default:
		return usageError{fmt.Sprintf("unknown subcommand %q (want list, fetch, verify or update)", sub)}
	}
	var m kernel.Manifest
	var lock *kernel.Lock
	if _, err := os.Stat(*manifest); errors.Is(err, os.ErrNotExist) && !flagSet(fs, "manifest") {
		// No project manifest here: bpflab's built-in kernels (read-only lock).
		src, err := kernel.Builtin()
		if err != nil {
			return err
		}
		m, lock, *lockPath = src.Manifest, src.Lock, ""
	} else {
		if m, err = kernel.LoadManifest(*manifest); err != nil {
			return usageError{err.Error()}
		}
		if lock, err = kernel.LoadLock(*lockPath); err != nil {
			return usageError{err.Error()}
		}
	}
	if len(names) == 0 {
		names = m.Names()
	}
	for _, n := range names {
		if _, err := m.Lookup(n); err != nil {
			return usageError{err.Error()}
		}
	}
	store, err := kernel.NewStore(kernel.Options{
		CacheDir: *cache, Manifest: m, Lock: lock, LockPath: *lockPath, Log: os.Stderr,
	})
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		if *asJSON {
			return kernelsListJSON(os.Stdout, store, names)
		}
		return kernelsList(os.Stdout, store, names)
	case "fetch":
		return kernelsFetch(ctx, store, names)
	case "verify":
		return kernelsVerify(ctx, store, names)
	default:
		return kernelsUpdate(ctx, store, names)
	}
}

func kernelsList(w io.Writer, store *kernel.Store, names []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSUITE\tARCHIVE\tPACKAGE\tVERSION\tRELEASE\tCACHED")
	for _, n := range names {
		e, _ := store.Manifest().Lookup(n)
		switch e.Kind {
		case kernel.KindHost:
			rel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
			fmt.Fprintf(tw, "%s\t(host)\t-\t-\t-\t%s\t-\n", n, strings.TrimSpace(string(rel)))
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

func kernelsFetch(ctx context.Context, store *kernel.Store, names []string) error {
	var failed []string
	for _, n := range names {
		start := time.Now()
		img, err := store.Ensure(ctx, n)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bpflab kernels fetch: %v\n", err)
			failed = append(failed, n)
			continue
		}
		if img.Kernel == nil {
			fmt.Printf("%s: host kernel %s, nothing to fetch\n", n, img.Release)
			continue
		}
		fmt.Printf("%s: %s ready in %s\n  vmlinuz %s\n  modules %s\n", n, img.Release,
			time.Since(start).Round(10*time.Millisecond), img.Kernel.Vmlinuz, img.Kernel.ModulesDir)
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not fetch %s", strings.Join(failed, ", "))
	}
	return nil
}

func kernelsVerify(ctx context.Context, store *kernel.Store, names []string) error {
	bad := 0
	for _, n := range names {
		checks, err := store.Verify(ctx, n)
		if err != nil {
			return err
		}
		for _, c := range checks {
			fmt.Printf("%s\t%s\t%s\t%s\n", n, c.Status, c.Package.Filename, c.Detail)
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

func kernelsUpdate(ctx context.Context, store *kernel.Store, names []string) error {
	changes, err := store.Update(ctx, names)
	if err != nil {
		var unk *kernel.UnknownKernelError
		if errors.As(err, &unk) {
			return usageError{err.Error()}
		}
		return err
	}
	if len(changes) == 0 {
		fmt.Println("lock file unchanged")
	}
	for _, c := range changes {
		fmt.Println(c)
	}
	return nil
}

// parseInterleaved lets flags follow kernel names
// (`bpflab kernels fetch 6.1 --cache DIR`), which flag.Parse alone stops at.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
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
