package bench

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/vm/vng"
)

// TestBackendsAgree runs the same scenario package in the same kernel on
// the qemu and vng backends and requires identical per-test verdicts: the
// fast backend may only be the default if it changes no result.
// $BPFLAB_EQUAL_KERNEL (default 6.1) and $BPFLAB_EQUAL_PKG (default
// scenarios/xdp) choose what runs.
func TestBackendsAgree(t *testing.T) {
	if os.Getenv("BPFLAB_SLOW") != "1" {
		t.Skip("set BPFLAB_SLOW=1 to compare the qemu and vng backends; takes ~3-5 min under TCG (a vng boot alone is 1-3 min here)")
	}
	if err := vng.Available(); err != nil {
		t.Skipf("cannot compare backends: %v", err)
	}
	kname := envOr("BPFLAB_EQUAL_KERNEL", "6.1")
	pkg := envOr("BPFLAB_EQUAL_PKG", "scenarios/xdp")
	f := newFixture(t)
	if f.kernel(t, kname) == nil {
		t.Skipf("BPFLAB_EQUAL_KERNEL=%s is the host kernel: both backends need a kernel to boot", kname)
	}
	verdicts := map[string]map[string]report.Status{}
	for _, backend := range []string{"qemu", "vng"} {
		k := f.suite(t, kname, backend, pkg)
		require.Empty(t, k.Error, "%s on %s failed in phase %s; console tail:\n%s", backend, kname, k.ErrorPhase, k.ConsoleTail)
		require.Equal(t, backend, k.Backend)
		require.NotEmpty(t, k.Tests, "%s on %s reported no tests", backend, kname)
		v := map[string]report.Status{}
		for _, tt := range k.Tests {
			v[tt.Package+" "+tt.Name] = tt.Status
		}
		verdicts[backend] = v
		c, _ := counts(k)
		t.Logf("%s on %s (%s): %s in %.1fs", backend, kname, k.Release, c, time.Duration(k.Duration).Seconds())
	}
	assert.Equal(t, verdicts["vng"], verdicts["qemu"], "per-test verdicts differ between backends (vng expected, qemu actual)")
}

func envOr(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}
