package report

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Policy files (kernels/splat-allowlist, kernels/quarantine) are lines of
// fields separated by "|"; blank lines and lines starting with "#" are
// comments. Every entry names the kernels it covers ("*" for all) and a
// reason: an entry nobody can explain is refused.
//
//	# splat pattern (regexp on the splat's first line) | kernels | reason
//	WARNING: .* at drivers/net/veth\.c | 5.10 | veth XDP warns on 5.10 (upstream fix abc123)
//
//	# test pattern (regexp on "package Test/sub") | kernels | expires | reason
//	scenarios/xdp TestVerdicts/native | 6.1,7.x | 2026-12-31 | flips under TCG, issue 42

// AllowedSplat is one entry of the splat allowlist.
type AllowedSplat struct {
	Pattern *regexp.Regexp
	Kernels []string // names from the manifest, or "*"
	Reason  string
	Line    int
}

// Quarantined is one entry of the quarantine: a known-flaky test that still
// runs and shows, but whose failures do not fail the matrix until Expires.
type Quarantined struct {
	Pattern *regexp.Regexp
	Kernels []string
	Expires time.Time // the entry stops applying at the start of this day (UTC)
	Reason  string
	Line    int
}

// PolicyError is a malformed, reason-less or expired policy entry.
type PolicyError struct {
	File string
	Line int
	Msg  string
}

func (e *PolicyError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParseSplatAllowlist reads an allowlist; file names it in errors.
func ParseSplatAllowlist(file string, data []byte) ([]AllowedSplat, error) {
	var out []AllowedSplat
	err := eachEntry(file, data, 3, "PATTERN | KERNELS | REASON", func(line int, f []string) error {
		re, kernels, err := patternAndKernels(f[0], f[1])
		if err != nil {
			return err
		}
		out = append(out, AllowedSplat{Pattern: re, Kernels: kernels, Reason: f[2], Line: line})
		return nil
	})
	return out, err
}

// ParseQuarantine reads a quarantine file. An entry whose expiry is not
// after now fails: a quarantine is a deadline to fix the test, not a way
// to forget it.
func ParseQuarantine(file string, data []byte, now time.Time) ([]Quarantined, error) {
	var out []Quarantined
	err := eachEntry(file, data, 4, "TEST-PATTERN | KERNELS | EXPIRES (YYYY-MM-DD) | REASON", func(line int, f []string) error {
		re, kernels, err := patternAndKernels(f[0], f[1])
		if err != nil {
			return err
		}
		exp, err := time.Parse(time.DateOnly, f[2])
		if err != nil {
			return fmt.Errorf("expiry %q: want YYYY-MM-DD", f[2])
		}
		if !now.Before(exp) {
			return fmt.Errorf("quarantine of %q expired on %s (%s): fix the test, or extend the date with a new reason", f[0], f[2], f[3])
		}
		out = append(out, Quarantined{Pattern: re, Kernels: kernels, Expires: exp, Reason: f[3], Line: line})
		return nil
	})
	return out, err
}

// ReadPolicy reads a policy file with parse; a missing file is empty.
func ReadPolicy[T any](path string, parse func(string, []byte) ([]T, error)) ([]T, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return parse(path, data)
}

func eachEntry(file string, data []byte, nf int, format string, fn func(line int, f []string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "|")
		if len(f) != nf {
			return &PolicyError{file, n, fmt.Sprintf("%d fields, want %d: %s", len(f), nf, format)}
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if f[nf-1] == "" {
			return &PolicyError{file, n, "no reason: every entry must say why (" + format + ")"}
		}
		if err := fn(n, f); err != nil {
			return &PolicyError{file, n, err.Error()}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	return nil
}

func patternAndKernels(pattern, kernels string) (*regexp.Regexp, []string, error) {
	if pattern == "" {
		return nil, nil, fmt.Errorf("empty pattern")
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	var ks []string
	for _, k := range strings.Split(kernels, ",") {
		if k = strings.TrimSpace(k); k != "" {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return nil, nil, fmt.Errorf("no kernels (a list of names, or *)")
	}
	return re, ks, nil
}

func coversKernel(kernels []string, name string) bool {
	return slices.Contains(kernels, "*") || slices.Contains(kernels, name)
}

// AllowSplats marks the kernel's splats an allowlist entry covers.
func AllowSplats(k *Kernel, list []AllowedSplat) {
	for i := range k.Splats {
		for _, a := range list {
			if coversKernel(a.Kernels, k.Name) && a.Pattern.MatchString(k.Splats[i].Line) {
				k.Splats[i].Allowed = a.Reason
				break
			}
		}
	}
}

// ApplyQuarantine marks the kernel's tests a quarantine entry covers; a
// quarantined failure shows in the table but does not fail the kernel.
func ApplyQuarantine(k *Kernel, list []Quarantined) {
	for i := range k.Tests {
		t := &k.Tests[i]
		for _, q := range list {
			if coversKernel(q.Kernels, k.Name) && q.Pattern.MatchString(t.Package+" "+t.Name) {
				t.Quarantined = fmt.Sprintf("%s (until %s)", q.Reason, q.Expires.Format(time.DateOnly))
				break
			}
		}
	}
}
