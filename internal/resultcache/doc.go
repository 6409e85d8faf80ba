// Package resultcache keeps the results of passing test binaries, keyed by
// everything that decides them, so the matrix reruns only what changed.
//
// A key is the sha256 of a versioned, canonical description of one run:
// the test binary's bytes, the kernel's identity (the pinned .debs' sha256
// or the image's bytes; the host's release and build string), the guest
// runner's bytes, the carried tools' bytes, the backend, the modules and
// the arguments and environment that reach the binary. Like `go test`'s
// cache, only passing runs are stored: a failure always reruns.
//
// Entries are files under <cache>/results/v1, written to a temporary name
// and renamed into place, so concurrent matrices read either nothing or a
// whole entry. A hit refreshes the entry's mtime; Trim removes the least
// recently used entries until the cache is within its bounds, under an
// flock so two trimmers do not race.
package resultcache
