package kernel

import (
	"context"
	"fmt"
	"strings"
)

// Resolve finds the newest kernel of a Debian suite for an architecture
// ("" = DefaultArch): the highest linux-image-ARCH metapackage in
// SUITE/main or SUITE-security/main, the image package its Depends names,
// and that image's unsigned .deb(s). Package lists are refreshed first
// unless they are recent (see ResolveFresh).
func (s *Store) Resolve(ctx context.Context, suite, arch string) (LockedKernel, error) {
	return s.resolve(ctx, suite, arch, false)
}

// ResolveFresh is Resolve with package lists fetched now, whatever their
// age; `bpflab kernels update` uses it.
func (s *Store) ResolveFresh(ctx context.Context, suite, arch string) (LockedKernel, error) {
	return s.resolve(ctx, suite, arch, true)
}

func (s *Store) resolve(ctx context.Context, suite, arch string, force bool) (LockedKernel, error) {
	arch = orDefault(arch)
	if err := checkArch(arch); err != nil {
		return LockedKernel{}, err
	}
	metaPackage := metaPackageFor(arch)
	a, err := s.aptFor(suite, arch)
	if err != nil {
		return LockedKernel{}, err
	}
	unlock, err := lockFile(ctx, a.dir+".lock", s.log)
	if err != nil {
		return LockedKernel{}, err
	}
	defer unlock()
	if (force && !s.wasRefreshed(a.key())) || !a.fresh(listsMaxAge) {
		if err := s.updateLists(ctx, a); err != nil {
			return LockedKernel{}, err
		}
	}
	rows, err := a.madison(ctx, metaPackage)
	if err != nil {
		return LockedKernel{}, fmt.Errorf("resolve %s: %w", suite, err)
	}
	best := newestIn(rows, suite)
	if best.Version == "" {
		return LockedKernel{}, fmt.Errorf("resolve %s: no %s in %s/main or %s-security/main", suite, metaPackage, suite, suite)
	}
	meta, err := a.show(ctx, metaPackage, best.Version)
	if err != nil {
		return LockedKernel{}, fmt.Errorf("resolve %s: %w", suite, err)
	}
	release, err := releaseFromDepends(meta["Depends"])
	if err != nil {
		return LockedKernel{}, fmt.Errorf("resolve %s: %s=%s: %w", suite, metaPackage, best.Version, err)
	}
	k := LockedKernel{Suite: suite, Release: release, Version: best.Version}
	if arch != DefaultArch {
		k.Arch = arch // amd64 entries stay as they were before locks had an arch
	}
	// Older suites ship one unsigned image package; newer ones split the
	// image and the modules into two.
	var tried []string
	for _, names := range arches[arch].imageNames(release) {
		pkgs, err := s.lookupPackages(ctx, a, names, best.Version)
		if err == nil {
			k.Packages = pkgs
			return k, nil
		}
		tried = append(tried, err.Error())
	}
	return LockedKernel{}, fmt.Errorf("resolve %s: no image package for %s %s (%s)",
		suite, release, best.Version, strings.Join(tried, "; "))
}

func (s *Store) lookupPackages(ctx context.Context, a *aptSuite, names []string, version string) ([]Package, error) {
	var pkgs []Package
	for _, name := range names {
		rows, err := a.madison(ctx, name)
		if err != nil {
			return nil, err
		}
		archive := ""
		for _, r := range rows {
			if r.Version == version && inSuite(r, a.suite) {
				archive = r.Archive
				break
			}
		}
		if archive == "" {
			return nil, fmt.Errorf("%s=%s not in %s", name, version, a.suite)
		}
		st, err := a.show(ctx, name, version)
		if err != nil {
			return nil, err
		}
		p, err := packageFromStanza(st, archive)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func inSuite(r madisonRow, suite string) bool {
	return r.Component == "main" && (r.Archive == suite || r.Archive == suite+"-security")
}

// newestIn picks the highest version among rows of suite/main and
// suite-security/main.
func newestIn(rows []madisonRow, suite string) madisonRow {
	var best madisonRow
	for _, r := range rows {
		if !inSuite(r, suite) {
			continue
		}
		if best.Version == "" || CompareVersions(r.Version, best.Version) > 0 {
			best = r
		}
	}
	return best
}

// releaseFromDepends finds "linux-image-<release>" in a Depends field, e.g.
// "linux-base-amd64 (= 7.2.13-1), linux-image-7.2.13+deb14-amd64 (= 7.2.13-1)".
func releaseFromDepends(depends string) (string, error) {
	for _, dep := range strings.Split(depends, ",") {
		for _, alt := range strings.Split(dep, "|") {
			name, _, _ := strings.Cut(strings.TrimSpace(alt), " ")
			if rel, ok := strings.CutPrefix(name, "linux-image-"); ok && rel != "" &&
				!strings.HasSuffix(rel, "-unsigned") && rel[0] >= '0' && rel[0] <= '9' {
				return rel, nil
			}
		}
	}
	return "", fmt.Errorf("no linux-image-<release> in Depends %q", depends)
}
