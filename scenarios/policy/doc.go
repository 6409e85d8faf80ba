// Package policy holds the dynamic-policy scenario: while the XDP firewall
// stays attached to dut0 and a steady allowed flow runs through it, a second
// source is blocked and unblocked through the live maps, by the loader's own
// handle, by a separate process and by a second handle opened from the maps
// pinned in bpffs. The verdict for that source follows each change, the
// program on dut0 never changes, and not a single frame of the allowed flow
// is lost (counted exactly).
//
// It also reproduces field bug F5 as a negative check: a fresh, unpinned
// Load (what the seed's NewCollectionFromFile did) creates its own empty
// maps, so blocking there "succeeds" but never reaches the attached program;
// the blocked source is still delivered.
//
// The separate process is this test binary re-executed (see TestMain), so
// the scenario needs no external command inside a VM guest.
package policy
