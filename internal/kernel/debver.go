package kernel

import (
	"fmt"
	"strings"
)

// CompareVersions orders two Debian package versions the way dpkg does
// (epoch, upstream version, revision; '~' sorts before anything, even the
// end of the string). It returns -1, 0 or 1. Kept in pure Go so resolution
// does not shell out to dpkg once per candidate.
func CompareVersions(a, b string) int {
	ea, ua, ra := splitVersion(a)
	eb, ub, rb := splitVersion(b)
	if c := compareNumeric(ea, eb); c != 0 {
		return c
	}
	if c := compareFragment(ua, ub); c != 0 {
		return c
	}
	return compareFragment(ra, rb)
}

// ValidVersion reports whether v is a syntactically valid Debian version.
func ValidVersion(v string) error {
	if v == "" {
		return fmt.Errorf("empty version")
	}
	e, u, _ := splitVersion(v)
	for _, r := range e {
		if r < '0' || r > '9' {
			return fmt.Errorf("version %q: epoch must be a number", v)
		}
	}
	if u == "" || u[0] < '0' || u[0] > '9' {
		return fmt.Errorf("version %q: upstream part must start with a digit", v)
	}
	for _, r := range v {
		if !(isAlnum(byte(r)) || strings.ContainsRune(".+-~:", r)) {
			return fmt.Errorf("version %q: invalid character %q", v, r)
		}
	}
	return nil
}

func splitVersion(v string) (epoch, upstream, revision string) {
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, v = v[:i], v[i+1:]
	}
	upstream = v
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		upstream, revision = v[:i], v[i+1:]
	}
	return epoch, upstream, revision
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// order is dpkg's weight of one character in the non-digit parts.
func order(c byte, end bool) int {
	switch {
	case end:
		return 0
	case c == '~':
		return -1
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	default:
		return int(c) + 256
	}
}

// compareFragment is dpkg's verrevcmp: alternate non-digit and digit runs.
func compareFragment(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ca := order(byteAt(a, i), i >= len(a))
			cb := order(byteAt(b, j), j >= len(b))
			if ca != cb {
				return sign(ca - cb)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}

func compareNumeric(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return sign(strings.Compare(a, b))
}

func byteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
