// Package fieldbugs runs bpflab's reproductions of the seed article's six
// field bugs (internal/fixtures) through the harness and asserts that the
// harness names each one's specific cause:
//
//	F1  execve count check: "expected N, got 0"
//	F2  load report: verifier rejection, log with the offending instruction
//	F3  BPF_PROG_TEST_RUN verdict check: "expected XDP_DROP got XDP_PASS"
//	F4  missing object named with what the build produced; then
//	    "loaded but not attached"
//	F5  veth delivery check: blocked address still delivered, and the
//	    updater's maps are not the attached program's
//	F6  map update: wrong key and value sizes named
//
// Each check runs twice: against the fixture through a recorder, where it
// must fail with the expected message (so this package fails if the
// harness stops detecting the bug), and against the fixed program with
// the real test, where it must pass.
//
// The exec chain child is this test binary re-executed (see TestMain), so
// the scenarios need no external command inside a VM guest.
package fieldbugs
