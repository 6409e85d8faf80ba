package kernel

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultArch is the architecture of an entry without arch=: the one the
// lab was built on and every pre-existing lock entry was resolved for.
const DefaultArch = "amd64"

// archInfo is what differs between the Debian architectures the lab boots.
// Debian's architecture names equal Go's GOARCH for these three.
type archInfo struct {
	// imageNames are the package sets tried in order for a release: the
	// unsigned image where the archive signs images (amd64, arm64), the
	// split binary+modules packages of newer suites, and the plain image
	// where nothing is signed (s390x).
	imageNames func(release string) [][]string
}

var arches = map[string]archInfo{
	"amd64": {imageNames: signedArchImages},
	"arm64": {imageNames: signedArchImages},
	"s390x": {imageNames: func(release string) [][]string {
		// s390x has no secure boot: no -unsigned twin, the image package
		// itself carries the kernel, except where the suite splits image
		// and modules (sid), and linux-image-<release> is then an empty
		// package depending on the two: try the split first.
		return [][]string{
			{"linux-binary-" + release, "linux-modules-" + release},
			{"linux-binary-unsigned-" + release, "linux-modules-" + release},
			{"linux-image-" + release},
		}
	}},
}

func signedArchImages(release string) [][]string {
	return [][]string{
		{"linux-image-" + release + "-unsigned"},
		{"linux-binary-unsigned-" + release, "linux-modules-" + release},
	}
}

// KnownArches lists the architectures a manifest entry may name.
func KnownArches() []string {
	out := make([]string, 0, len(arches))
	for a := range arches {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// checkArch validates an arch= value.
func checkArch(arch string) error {
	if _, ok := arches[arch]; !ok {
		return fmt.Errorf("unknown arch %q (known: %s)", arch, strings.Join(KnownArches(), ", "))
	}
	return nil
}

// orDefault maps "" (no arch= in the manifest, no "arch" in the lock) to
// DefaultArch.
func orDefault(arch string) string {
	if arch == "" {
		return DefaultArch
	}
	return arch
}

// GoArch is the entry's architecture as Go names it (GOARCH), DefaultArch
// when the manifest line has no arch=.
func (e Entry) GoArch() string { return orDefault(e.Arch) }

// GoArch is the locked kernel's architecture (DefaultArch for entries
// written before locks carried one).
func (k LockedKernel) GoArch() string { return orDefault(k.Arch) }

// metaPackageFor is the metapackage that depends on the newest image of
// an architecture, e.g. linux-image-arm64.
func metaPackageFor(arch string) string { return "linux-image-" + orDefault(arch) }
