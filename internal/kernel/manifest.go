package kernel

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Kind says where an entry's kernel comes from.
type Kind string

const (
	KindDebian Kind = "debian" // a Debian suite, resolved through apt
	KindHost   Kind = "host"   // the running kernel; nothing to fetch
	KindLocal  Kind = "local"  // a kernel already on disk (vmlinuz= modules=)
)

// Entry is one line of the manifest.
type Entry struct {
	Name    string
	Kind    Kind
	Suite   string // KindDebian: e.g. "bookworm"
	Vmlinuz string // KindLocal: absolute path of the bzImage
	Modules string // KindLocal: lib/modules/<release> dir (optional)
	Release string // KindLocal: uname -r (optional; defaults to basename of Modules)
	Arch    string // arch=: "amd64", "arm64" or "s390x"; "" means DefaultArch (see GoArch)
	Line    int    // line number in the manifest, for messages
}

// Manifest is the ordered list of kernels the matrix runs on.
type Manifest struct {
	Path    string
	Entries []Entry
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// LoadManifest reads a manifest file; see kernels/manifest for the format.
func LoadManifest(path string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("load manifest: %w", err)
	}
	defer f.Close()
	return ParseManifest(f, path)
}

// ParseManifest parses `NAME SOURCE` lines; '#' starts a comment. SOURCE is
// `suite=SUITE`, `host`, or `vmlinuz=PATH [modules=DIR] [release=REL]`,
// each but host optionally with `arch=ARCH` (default amd64).
// Relative paths are taken relative to the manifest's directory and
// $VARIABLES are expanded, so a local kernel line need not hard-code a home.
func ParseManifest(r io.Reader, path string) (Manifest, error) {
	m := Manifest{Path: path}
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		e, err := parseEntry(fields, filepath.Dir(path))
		if err != nil {
			return Manifest{}, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		e.Line = n
		if prev, dup := seen[e.Name]; dup {
			return Manifest{}, fmt.Errorf("%s:%d: kernel %q already defined on line %d", path, n, e.Name, prev)
		}
		seen[e.Name] = n
		m.Entries = append(m.Entries, e)
	}
	if err := sc.Err(); err != nil {
		return Manifest{}, fmt.Errorf("read manifest %s: %w", path, err)
	}
	if len(m.Entries) == 0 {
		return Manifest{}, fmt.Errorf("manifest %s lists no kernels", path)
	}
	return m, nil
}

func parseEntry(fields []string, base string) (Entry, error) {
	e := Entry{Name: fields[0]}
	if !nameRE.MatchString(e.Name) {
		return e, fmt.Errorf("kernel name %q: use letters, digits and . _ + -", e.Name)
	}
	if len(fields) == 1 {
		return e, fmt.Errorf("kernel %q has no source (want suite=SUITE, host, or vmlinuz=PATH)", e.Name)
	}
	if len(fields) == 2 && fields[1] == "host" {
		e.Kind = KindHost
		return e, nil
	}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return e, fmt.Errorf("kernel %q: %q is not KEY=VALUE", e.Name, f)
		}
		switch k {
		case "suite":
			e.Suite = v
		case "vmlinuz":
			e.Vmlinuz = localPath(base, v)
		case "modules":
			e.Modules = localPath(base, v)
		case "release":
			e.Release = v
		case "arch":
			if err := checkArch(v); err != nil {
				return e, fmt.Errorf("kernel %q: %w", e.Name, err)
			}
			e.Arch = v
		default:
			return e, fmt.Errorf("kernel %q: unknown key %q (known: suite, arch, vmlinuz, modules, release)", e.Name, k)
		}
	}
	switch {
	case e.Suite != "" && (e.Vmlinuz != "" || e.Modules != "" || e.Release != ""):
		return e, fmt.Errorf("kernel %q: suite= cannot be combined with vmlinuz=, modules= or release=", e.Name)
	case e.Suite != "":
		if !nameRE.MatchString(e.Suite) {
			return e, fmt.Errorf("kernel %q: bad suite %q", e.Name, e.Suite)
		}
		e.Kind = KindDebian
	case e.Vmlinuz != "":
		e.Kind = KindLocal
		if e.Release == "" && e.Modules != "" {
			e.Release = filepath.Base(e.Modules)
		}
	default:
		return e, fmt.Errorf("kernel %q: modules= needs vmlinuz=", e.Name)
	}
	return e, nil
}

func localPath(base, p string) string {
	p = os.ExpandEnv(p)
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p)
}

// Names lists the entries' names in manifest order.
func (m Manifest) Names() []string {
	names := make([]string, len(m.Entries))
	for i, e := range m.Entries {
		names[i] = e.Name
	}
	return names
}

// Lookup finds an entry by name; the error lists the known names.
func (m Manifest) Lookup(name string) (Entry, error) {
	for _, e := range m.Entries {
		if e.Name == name {
			return e, nil
		}
	}
	known := m.Names()
	sort.Strings(known)
	return Entry{}, &UnknownKernelError{Name: name, Known: known, Manifest: m.Path}
}

// UnknownKernelError is returned for a name the manifest does not list.
type UnknownKernelError struct {
	Name     string
	Known    []string
	Manifest string
}

func (e *UnknownKernelError) Error() string {
	return fmt.Sprintf("unknown kernel %q (known in %s: %s; add a line to the manifest to define it)",
		e.Name, e.Manifest, strings.Join(e.Known, ", "))
}
