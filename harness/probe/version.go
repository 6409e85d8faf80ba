package probe

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bpflab/bpflab/internal/uname"
)

// Version is a kernel version (major, minor, patch).
type Version [3]int

func (v Version) String() string {
	if v[2] == 0 {
		return fmt.Sprintf("%d.%d", v[0], v[1])
	}
	return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2])
}

// IsZero reports whether no version is set (a feature without a documented
// minimum).
func (v Version) IsZero() bool { return v == Version{} }

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

// ParseVersion reads the leading "major.minor[.patch]" of a uname release
// such as "6.1.0-56-amd64" or "6.18.44-fc-v782".
func ParseVersion(release string) (Version, error) {
	end := strings.IndexFunc(release, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
	if end < 0 {
		end = len(release)
	}
	parts := strings.Split(strings.TrimSuffix(release[:end], "."), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("kernel release %q: want major.minor[.patch] at the start", release)
	}
	var v Version
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return Version{}, fmt.Errorf("kernel release %q: %w", release, err)
		}
		v[i] = n
	}
	return v, nil
}

// KernelVersion returns the running kernel's version and uname release.
func KernelVersion() (Version, string, error) {
	rel, err := uname.Release()
	if err != nil {
		return Version{}, "", err
	}
	v, err := ParseVersion(rel)
	return v, rel, err
}
