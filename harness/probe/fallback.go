package probe

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// SkipFallback is for a test of a code path that only runs when the code
// under test chose feature f (e.g. the ring-buffer transport of the execve
// tracker). used says whether it did. When it did not, the test skips only
// if the probe agrees that f is missing and the kernel is older than f's
// documented minimum (the rules of Skip); if f is supported the fallback
// itself is the bug, and the test fails.
func SkipFallback(tb testing.TB, f Feature, used bool, what string) {
	tb.Helper()
	if used {
		return
	}
	r := New().Probe(f)
	if r.Status == Supported {
		tb.Fatal(fallbackMessage(r, what))
	}
	Skip(tb, f)
}

func fallbackMessage(r Result, what string) string {
	return fmt.Sprintf("%s fell back although %s is %s (%s): the fallback hides the feature this test checks", what, r.Name, r.Status, r.Detail)
}

// EnvTools names, in a test binary's environment, the host tools the
// harness carried into the kernel it runs on (comma-separated base names,
// e.g. "bpftool"). A listed tool that is missing is a failure of the
// harness, never a reason to skip.
const EnvTools = "BPFLAB_TOOLS"

// EnvToolsLeft names the tools the harness was asked to carry but could
// not, each with why ("bpftool: x86-64 binary, kernel is arm64;..."): a
// skip then says the real reason instead of "install it".
const EnvToolsLeft = "BPFLAB_TOOLS_LEFT"

// ToolsEnv is the EnvTools entry ("BPFLAB_TOOLS=a,b") for carried tools
// given by path.
func ToolsEnv(paths []string) string {
	names := make([]string, 0, len(paths))
	for _, p := range paths {
		names = append(names, p[strings.LastIndexByte(p, '/')+1:])
	}
	return EnvTools + "=" + strings.Join(names, ",")
}

// Tool returns the path of an external tool the test needs. A tool that is
// not installed skips the test, saying so, unless EnvTools lists it: then
// the harness promised it and its absence fails the test.
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	skip, msg := toolDecision(name, err, os.Getenv(EnvTools))
	if left := leftReason(name, os.Getenv(EnvToolsLeft)); err != nil && skip && left != "" {
		msg = fmt.Sprintf("%s is not in this kernel: the harness could not carry the host's (%s)", name, left)
	}
	switch {
	case err == nil:
		return p
	case skip:
		tb.Skip(msg)
	default:
		tb.Fatal(msg)
	}
	return ""
}

// leftReason finds name's reason in an EnvToolsLeft value.
func leftReason(name, left string) string {
	for _, e := range strings.Split(left, ";") {
		if n, why, ok := strings.Cut(e, ": "); ok && n == name {
			return why
		}
	}
	return ""
}

// toolDecision says whether a missing tool skips (true) or fails, and why.
func toolDecision(name string, lookErr error, carried string) (bool, string) {
	if lookErr == nil {
		return false, name + " is installed"
	}
	if slices.Contains(strings.Split(carried, ","), name) {
		return false, fmt.Sprintf("%s: the harness carried it into this kernel (%s=%s) but it is not usable here: %v", name, EnvTools, carried, lookErr)
	}
	return true, fmt.Sprintf("%s is not installed here (%v) and the harness did not carry it (%s=%q); install it on the host running the matrix", name, lookErr, EnvTools, carried)
}
