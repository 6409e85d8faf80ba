package execve_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Child mode: the test binary re-executes itself. envRemaining says how
// many more execve calls this process still has to make; envSelf is the
// path to exec, so every event carries the same filename.
const (
	envRemaining = "BPFLAB_EXECVE_REMAINING"
	envSelf      = "BPFLAB_EXECVE_SELF"
)

func TestMain(m *testing.M) {
	if rem, ok := os.LookupEnv(envRemaining); ok {
		os.Exit(child(rem))
	}
	os.Exit(m.Run())
}

// child execs itself rem more times (same PID each time), then exits 0.
func child(rem string) int {
	n, err := strconv.Atoi(rem)
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "execve child: bad %s=%q\n", envRemaining, rem)
		return 2
	}
	if n == 0 {
		return 0
	}
	self := os.Getenv(envSelf)
	env := childEnv(os.Environ(), n-1, self)
	err = syscall.Exec(self, []string{self}, env)
	fmt.Fprintf(os.Stderr, "execve child: exec %s with %d left: %v\n", self, n, err)
	return 3
}

// childEnv returns base with the child-mode variables set.
func childEnv(base []string, remaining int, self string) []string {
	out := make([]string, 0, len(base)+2)
	for _, kv := range base {
		if strings.HasPrefix(kv, envRemaining+"=") || strings.HasPrefix(kv, envSelf+"=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, envRemaining+"="+strconv.Itoa(remaining), envSelf+"="+self)
}
