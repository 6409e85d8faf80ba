package pseudofs

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsMountedProc(t *testing.T) {
	ok, err := IsMounted("/proc", "proc")
	require.NoError(t, err)
	require.True(t, ok, "/proc is mounted, or nothing here would work")
	ok, err = IsMounted("/proc", "bpf")
	require.NoError(t, err)
	require.False(t, ok)
}

// TestPrivateMountNSUnderUnshare: a child in a fresh mount namespace (what
// `ip netns exec` makes) sees itself as private; this process does not.
func TestPrivateMountNSUnderUnshare(t *testing.T) {
	if os.Getenv("BPFLAB_PSEUDOFS_CHILD") != "" {
		if !PrivateMountNS() {
			os.Exit(3)
		}
		os.Exit(0)
	}
	require.False(t, PrivateMountNS(), "the test runs in its parent's mount namespace")
	if os.Geteuid() != 0 {
		t.Skip("unshare -m needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skipf("no unshare(1): %v", err)
	}
	cmd := exec.Command(unshare, "-m", os.Args[0], "-test.run=^TestPrivateMountNSUnderUnshare$")
	cmd.Env = append(os.Environ(), "BPFLAB_PSEUDOFS_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child in a new mount namespace did not see it as private: %s", out)
}
