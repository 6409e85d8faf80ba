package kernel

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// AptSource is one (type, URI) entry of an apt sources file, in either the
// one-line or the deb822 format.
type AptSource struct {
	Types      []string // "deb", "deb-src"
	URI        string
	Suites     []string
	Components []string
	SignedBy   string // path of the keyring, if the entry names one
	File       string // where it came from, for messages
}

// Mirrors are the archive URIs the private apt configs use, taken from the
// system's apt sources (never hard-coded: every site has its own mirror).
type Mirrors struct {
	Main     string // e.g. the URI carrying "bookworm main"
	Security string // the URI carrying "bookworm-security main"; may be empty
	SignedBy string // keyring of the main entry, reused for other suites
}

// debianSuites are the names a Debian main archive entry uses; they tell a
// Debian mirror apart from third-party repositories listed next to it.
var debianSuites = map[string]bool{
	"buster": true, "bullseye": true, "bookworm": true, "trixie": true,
	"forky": true, "duke": true, "sid": true, "experimental": true,
	"oldoldstable": true, "oldstable": true, "stable": true, "testing": true, "unstable": true,
}

// ParseSourcesList parses the one-line format:
// `deb [opt=val ...] URI suite [component ...]`.
func ParseSourcesList(r io.Reader, file string) ([]AptSource, error) {
	var out []AptSource
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
		src := AptSource{Types: []string{fields[0]}, File: fmt.Sprintf("%s:%d", file, n)}
		if fields[0] != "deb" && fields[0] != "deb-src" {
			return nil, fmt.Errorf("%s: unknown type %q", src.File, fields[0])
		}
		rest := fields[1:]
		if len(rest) > 0 && strings.HasPrefix(rest[0], "[") {
			// Options may contain spaces: collect until the closing bracket.
			var opts []string
			for len(rest) > 0 {
				tok := rest[0]
				rest = rest[1:]
				opts = append(opts, strings.Trim(tok, "[]"))
				if strings.HasSuffix(tok, "]") {
					break
				}
			}
			for _, o := range opts {
				if k, v, ok := strings.Cut(o, "="); ok && strings.EqualFold(k, "signed-by") {
					src.SignedBy = v
				}
			}
		}
		if len(rest) < 2 {
			return nil, fmt.Errorf("%s: want URI and suite", src.File)
		}
		src.URI, src.Suites, src.Components = rest[0], []string{rest[1]}, rest[2:]
		out = append(out, src)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return out, nil
}

// ParseDeb822 parses the deb822 `.sources` format. Stanzas with
// `Enabled: no` are skipped.
func ParseDeb822(r io.Reader, file string) ([]AptSource, error) {
	var out []AptSource
	fields := map[string]string{}
	last := ""
	start := 0
	flush := func() error {
		defer func() { fields = map[string]string{}; last = "" }()
		if len(fields) == 0 {
			return nil
		}
		where := fmt.Sprintf("%s:%d", file, start)
		if strings.EqualFold(fields["enabled"], "no") {
			return nil
		}
		src := AptSource{
			Types:      strings.Fields(fields["types"]),
			Suites:     strings.Fields(fields["suites"]),
			Components: strings.Fields(fields["components"]),
			SignedBy:   strings.TrimSpace(fields["signed-by"]),
			File:       where,
		}
		if strings.Contains(src.SignedBy, "\n") {
			src.SignedBy = "" // an inline key block, not a path
		}
		uris := strings.Fields(fields["uris"])
		if len(src.Types) == 0 || len(uris) == 0 || len(src.Suites) == 0 {
			return fmt.Errorf("%s: stanza needs Types, URIs and Suites", where)
		}
		for _, u := range uris {
			s := src
			s.URI = u
			out = append(out, s)
		}
		return nil
	}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			continue
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return nil, err
			}
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				return nil, fmt.Errorf("%s:%d: continuation line without a field", file, n)
			}
			fields[last] += "\n" + strings.TrimSpace(line)
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("%s:%d: want \"Field: value\", got %q", file, n, line)
			}
			if len(fields) == 0 {
				start = n
			}
			last = strings.ToLower(strings.TrimSpace(k))
			fields[last] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// SystemSources reads the apt sources under root (normally "/"):
// etc/apt/sources.list, and the *.list and *.sources files of
// etc/apt/sources.list.d. Other names (e.g. "*.disabled") are ignored, as
// apt ignores them.
func SystemSources(root string) ([]AptSource, error) {
	dir := filepath.Join(root, "etc/apt")
	files := []string{filepath.Join(dir, "sources.list")}
	parts, err := os.ReadDir(filepath.Join(dir, "sources.list.d"))
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read apt sources: %w", err)
	}
	var names []string
	for _, p := range parts {
		if strings.HasSuffix(p.Name(), ".list") || strings.HasSuffix(p.Name(), ".sources") {
			names = append(names, p.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		files = append(files, filepath.Join(dir, "sources.list.d", n))
	}
	var out []AptSource
	for _, f := range files {
		srcs, err := parseSourcesFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, srcs...)
	}
	return out, nil
}

func parseSourcesFile(path string) ([]AptSource, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read apt sources: %w", err)
	}
	defer f.Close()
	if strings.HasSuffix(path, ".sources") {
		return ParseDeb822(f, path)
	}
	return ParseSourcesList(f, path)
}

// FindMirrors picks the Debian main and security URIs out of sources: the
// first binary ("deb") entry with component main and a Debian suite name, and
// the first with a "<suite>-security" suite.
func FindMirrors(srcs []AptSource) (Mirrors, error) {
	var m Mirrors
	for _, s := range srcs {
		if !contains(s.Types, "deb") || !contains(s.Components, "main") {
			continue
		}
		for _, suite := range s.Suites {
			base, sec := strings.CutSuffix(suite, "-security")
			if !sec {
				base, sec = strings.CutSuffix(suite, "/updates") // pre-bullseye name
			}
			switch {
			case sec && debianSuites[base] && m.Security == "":
				m.Security = strings.TrimSuffix(s.URI, "/")
			case !sec && debianSuites[suite] && m.Main == "":
				m.Main = strings.TrimSuffix(s.URI, "/")
				m.SignedBy = s.SignedBy
			}
		}
	}
	if m.Main == "" {
		return m, fmt.Errorf("no Debian archive (\"deb URI <suite> main\") among %d apt sources; "+
			"add one to /etc/apt/sources.list.d or set %s", len(srcs), EnvMirror)
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
