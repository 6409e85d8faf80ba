package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExecUsage(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "bzImage")
	require.NoError(t, os.WriteFile(fake, []byte("x"), 0o644))
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no binary", []string{"exec", "--kernel", "6.1"}, 2},
		{"no kernel", []string{"exec", "/bin/sh"}, 2},
		{"missing binary", []string{"exec", "--kernel", fake, "/nonexistent/x.test"}, 2},
		{"missing kernel path", []string{"exec", "--kernel", "/nonexistent/bzImage", "/bin/sh"}, 2},
		{"dynamic binary in a VM", []string{"exec", "--kernel", fake, "/bin/sh"}, 2},
		{"unknown backend", []string{"exec", "--backend", "kvm", "--kernel", "no-such-kernel", "/bin/sh"}, 2},
		{"unknown kernel name", []string{"exec", "--kernel", "no-such-kernel", "/bin/sh"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, realMain(tt.args))
		})
	}
}

// TestExecHostExitCode checks the exact exit status comes back (host
// kernel: no VM needed; the qemu path is covered in internal/vm/qemu).
func TestExecHostExitCode(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	if _, err := findUp(filepath.Join("kernels", "manifest")); err != nil {
		t.Skipf("no kernel manifest: %v", err)
	}
	for _, code := range []string{"0", "7", "42"} {
		got := realMain([]string{"exec", "--kernel", "host", "/bin/sh", "-c", "exit " + code})
		assert.Equal(t, code, strconv.Itoa(got))
	}
}

func TestTestTimeout(t *testing.T) {
	tests := []struct {
		args []string
		want time.Duration
		ok   bool
	}{
		{[]string{"-test.v=true", "-test.timeout=10m0s"}, 10 * time.Minute, true},
		{[]string{"-test.timeout", "90s"}, 90 * time.Second, true},
		{[]string{"-test.timeout=0s"}, 0, false},
		{[]string{"-test.run", "X"}, 0, false},
	}
	for _, tt := range tests {
		d, ok := testTimeout(tt.args)
		assert.Equal(t, tt.ok, ok, "%v", tt.args)
		assert.Equal(t, tt.want, d, "%v", tt.args)
	}
}

// realMain is `bpflab ARGS...` with the process's streams.
func realMain(args []string) int { return Main(args, os.Stdout, os.Stderr) }
