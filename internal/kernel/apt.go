package kernel

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// aptSuite is a private apt configuration that sees exactly one Debian
// suite (plus its security suite) of one architecture through the system's
// mirrors. It lives in the cache, so neither /etc/apt nor the system's
// package lists (nor dpkg's foreign architectures) change.
type aptSuite struct {
	suite string
	arch  string // Debian architecture, e.g. "arm64"
	dir   string // cache/apt/<suite> for amd64, cache/apt/<suite>-<arch> else
}

// key names the config in logs and the refreshed set: the suite, with the
// architecture unless it is the default one.
func (a *aptSuite) key() string { return suiteKey(a.suite, a.arch) }

func suiteKey(suite, arch string) string {
	if orDefault(arch) == DefaultArch {
		return suite
	}
	return suite + "-" + arch
}

// listsMaxAge is how long fetched package lists count as fresh for
// resolution; downloads of pinned versions use whatever lists exist.
const listsMaxAge = 30 * time.Minute

func newAptSuite(cacheDir, suite, arch string, m Mirrors) (*aptSuite, error) {
	arch = orDefault(arch)
	a := &aptSuite{suite: suite, arch: arch, dir: filepath.Join(cacheDir, "apt", suiteKey(suite, arch))}
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(a.dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("apt config for %s: %w", suite, err)
		}
	}
	// [arch=] keeps apt from fetching the host's own architecture's lists
	// for a foreign-architecture config (and the reverse).
	opt := "[arch=" + arch
	if m.SignedBy != "" {
		opt += " signed-by=" + m.SignedBy
	}
	opt += "] "
	var b strings.Builder
	fmt.Fprintf(&b, "# written by bpflab from the system's apt sources; regenerated on every use\n")
	fmt.Fprintf(&b, "deb %s%s %s main\n", opt, m.Main, suite)
	if m.Security != "" && hasSecurity(suite) {
		fmt.Fprintf(&b, "deb %s%s %s-security main\n", opt, m.Security, suite)
	}
	if err := writeIfChanged(a.sourcesList(), []byte(b.String())); err != nil {
		return nil, fmt.Errorf("apt config for %s: %w", suite, err)
	}
	// The architecture apt treats as native: bare package names then mean
	// ARCH's packages in show and download. Only this config sees it.
	conf := fmt.Sprintf("# written by bpflab; regenerated on every use\nAPT::Architecture \"%s\";\nAPT::Architectures { \"%s\"; };\n", arch, arch)
	if err := writeIfChanged(a.aptConf(), []byte(conf)); err != nil {
		return nil, fmt.Errorf("apt config for %s: %w", suite, err)
	}
	return a, nil
}

func (a *aptSuite) aptConf() string { return filepath.Join(a.dir, "apt.conf") }

// hasSecurity reports whether a suite has a SUITE-security companion:
// releases do; sid, experimental and "-backports"-style suites do not.
func hasSecurity(suite string) bool {
	switch suite {
	case "sid", "unstable", "experimental", "rc-buggy":
		return false
	}
	return !strings.Contains(suite, "-")
}

func (a *aptSuite) sourcesList() string { return filepath.Join(a.dir, "sources.list") }

// opts points apt at the private config. The system's apt.conf.d still
// applies (proxies and the like), but not its sources or lists.
func (a *aptSuite) opts() []string {
	return []string{
		"-c", a.aptConf(),
		"-o", "Dir::Etc::SourceList=" + a.sourcesList(),
		"-o", "Dir::Etc::SourceParts=/dev/null",
		"-o", "Dir::State::Lists=" + filepath.Join(a.dir, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(a.dir, "cache"),
		// Keep apt's binary cache (container images often disable it):
		// with it a query takes ~50 ms instead of ~3 s of list parsing.
		"-o", "Dir::Cache::pkgcache=pkgcache.bin",
		"-o", "Dir::Cache::srcpkgcache=srcpkgcache.bin",
		"-o", "Acquire::Languages=none",
		"-o", "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false",
		"-o", "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false",
		"-o", "Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false",
		"-o", "APT::Sandbox::User=root", // the cache may be under a home _apt cannot write
	}
}

// fresh reports whether this config's lists were updated within maxAge.
// It reads a stamp of our own: apt dates list files by the server's
// Last-Modified, which says nothing about when we last asked.
func (a *aptSuite) fresh(maxAge time.Duration) bool {
	st, err := os.Stat(filepath.Join(a.dir, "updated"))
	return err == nil && time.Since(st.ModTime()) < maxAge
}

// hasLists reports whether any package lists exist.
func (a *aptSuite) hasLists() bool {
	matches, _ := filepath.Glob(filepath.Join(a.dir, "lists", "*_Packages*"))
	return len(matches) > 0
}

func (a *aptSuite) update(ctx context.Context) error {
	args := append(a.opts(), "-q", "update")
	if _, err := run(ctx, updateTimeout, a.dir, "apt-get", args...); err != nil {
		return fmt.Errorf("update package lists for %s: %w", a.key(), err)
	}
	// apt-get update succeeds even when a source failed; catch that here.
	if !a.hasLists() {
		return fmt.Errorf("update package lists for %s: no Packages index fetched (is the suite name right? see %s)",
			a.key(), a.sourcesList())
	}
	return os.WriteFile(filepath.Join(a.dir, "updated"), nil, 0o644)
}

// madisonRow is one line of `apt-cache madison`.
type madisonRow struct {
	Package, Version, Archive, Component string
}

func (a *aptSuite) madison(ctx context.Context, pkg string) ([]madisonRow, error) {
	out, err := run(ctx, queryTimeout, a.dir, "apt-cache", append(a.opts(), "madison", pkg)...)
	if err != nil {
		return nil, err
	}
	return parseMadison(out), nil
}

// parseMadison reads `pkg | version | URI suite/component arch Packages`.
func parseMadison(out []byte) []madisonRow {
	var rows []madisonRow
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "|")
		if len(cols) != 3 {
			continue
		}
		where := strings.Fields(cols[2])
		if len(where) < 2 {
			continue
		}
		archive, component, _ := strings.Cut(where[1], "/")
		rows = append(rows, madisonRow{
			Package:   strings.TrimSpace(cols[0]),
			Version:   strings.TrimSpace(cols[1]),
			Archive:   archive,
			Component: component,
		})
	}
	return rows
}

// show returns the first stanza of `apt-cache show pkg=version`.
func (a *aptSuite) show(ctx context.Context, pkg, version string) (map[string]string, error) {
	out, err := run(ctx, queryTimeout, a.dir, "apt-cache", append(a.opts(), "show", pkg+"="+version)...)
	if err != nil {
		return nil, err
	}
	st := parseStanza(out)
	if st["Package"] == "" {
		return nil, fmt.Errorf("apt-cache show %s=%s: no record", pkg, version)
	}
	return st, nil
}

func parseStanza(out []byte) map[string]string {
	st := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) == "" {
			if len(st) > 0 {
				break
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // multi-line fields (Description) are not needed
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			st[k] = strings.TrimSpace(v)
		}
	}
	return st
}

// packageFromStanza turns a show record into a lock Package.
func packageFromStanza(st map[string]string, archive string) (Package, error) {
	size, err := strconv.ParseInt(st["Size"], 10, 64)
	if err != nil {
		return Package{}, fmt.Errorf("package %s: bad Size %q", st["Package"], st["Size"])
	}
	p := Package{
		Name:     st["Package"],
		Version:  st["Version"],
		Archive:  archive,
		Filename: filepath.Base(st["Filename"]),
		Size:     size,
		SHA256:   st["SHA256"],
	}
	if p.SHA256 == "" || st["Filename"] == "" {
		return Package{}, fmt.Errorf("package %s=%s: apt record lacks Filename or SHA256", p.Name, p.Version)
	}
	return p, nil
}

// download runs `apt-get download pkg=version` into dir.
func (a *aptSuite) download(ctx context.Context, dir string, p Package) error {
	args := append(a.opts(), "-q", "download", p.Name+"="+p.Version)
	if _, err := run(ctx, downloadTimeout, dir, "apt-get", args...); err != nil {
		return err
	}
	return nil
}

func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return os.WriteFile(path, data, 0o644)
}
