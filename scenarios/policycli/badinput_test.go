package policycli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/harness/netlab"
)

// TestBadInput: every refusal exits 2 with a message naming the input and
// what to do, and the pinned state (pins and their objects, the blocked
// set, the program on dut0) is exactly as before.
func TestBadInput(t *testing.T) {
	l := newLab(t, "generic")
	mustCLI(t, l.topo.DUT, l.args("policy", "block", "198.51.100.7", "2001:db8:bad::/48")...)

	malformed := filepath.Join(t.TempDir(), "bad-policy.txt")
	require.NoError(t, os.WriteFile(malformed, []byte("# ok so far\n198.51.100.8/32\n   198.51.100.0/33\n192.0.2.9\n"), 0o600))
	ambiguousFile := filepath.Join(t.TempDir(), "ambiguous.txt")
	require.NoError(t, os.WriteFile(ambiguousFile, []byte("198.51.100.9\n\t192.0.2.1/24 # host bits\n"), 0o600))
	notBPFFS := t.TempDir() // tmpfs or the VM's rootfs, never bpffs

	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"invalid CIDR", nil, l.args("policy", "block", "198.51.100.300"), `"198.51.100.300" is not an IP address or CIDR prefix`},
		{"invalid prefix length", nil, l.args("policy", "block", "2001:db8::/129"), `"2001:db8::/129" is not a CIDR prefix`},
		{"ambiguous CIDR", nil, l.args("policy", "block", "198.51.100.9", "192.0.2.1/24"), "did you mean 192.0.2.0/24"},
		{"unblock of a prefix not blocked", nil, l.args("policy", "unblock", "198.51.100.7", "198.51.100.99"), "198.51.100.99/32: prefix is not blocked"},
		{"unknown interface", nil, []string{"policy", "block", "--iface", "nosuch0", "--pin-root", l.root, "198.51.100.9"}, `unknown interface "nosuch0"`},
		{"nothing attached", nil, []string{"policy", "list", "--iface", "lo", "--pin-root", l.root}, "nothing attached to lo"},
		{"detach with nothing attached", nil, []string{"firewall", "detach", "--iface", "lo", "--pin-root", l.root}, "nothing attached to lo"},
		{"bpffs not mounted", nil, []string{"policy", "block", "--iface", netlab.DUTLink, "--pin-root", notBPFFS, "198.51.100.9"}, "is not on a bpffs mount"},
		{"attach twice", nil, l.args("firewall", "attach"), "firewall already attached to dut0"},
		{"unknown mode", nil, l.args("firewall", "attach", "--mode", "turbo"), `unknown --mode "turbo"`},
		{"missing privileges (policy)", []string{envDropCaps + "=1"}, l.args("policy", "block", "198.51.100.9"), "missing CAP_BPF"},
		{"missing privileges (detach)", []string{envDropCaps + "=1"}, l.args("firewall", "detach"), "missing CAP_BPF"},
		{"malformed policy file", nil, l.args("policy", "load", malformed), "bad-policy.txt:3:4: "},
		{"ambiguous entry in policy file", nil, l.args("policy", "load", ambiguousFile), "ambiguous.txt:2:2: \"192.0.2.1/24\" is ambiguous"},
		{"missing policy file", nil, l.args("policy", "load", filepath.Join(notBPFFS, "nope.txt")), "no such file"},
		{"unknown subcommand", nil, l.args("policy", "blok"), `unknown subcommand "blok"`},
	}
	before := l.state(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, l.topo.DUT, tc.env, tc.args...)
			assert.Equal(t, 2, r.code, "exit status for bad input\n%s", r)
			assert.Contains(t, r.stderr, tc.want)
			assert.Equal(t, before, l.state(t), "pinned state after a refused command")
		})
	}

	t.Run("concurrent writer", func(t *testing.T) {
		// Hold the writer lock as another bpflab process would.
		f, err := os.Open(l.pinDir)
		require.NoError(t, err)
		defer f.Close()
		require.NoError(t, unix.Flock(int(f.Fd()), unix.LOCK_EX))
		r := cli(t, l.topo.DUT, nil, l.args("policy", "block", "--wait", "300ms", "198.51.100.9")...)
		assert.Equal(t, 2, r.code, "exit status when another writer holds the lock\n%s", r)
		assert.Contains(t, r.stderr, "another bpflab process is changing this firewall's policy")
		assert.Equal(t, before, l.state(t), "pinned state after the refused writer")
		require.NoError(t, unix.Flock(int(f.Fd()), unix.LOCK_UN))
		// Once the lock is free the same command works.
		mustCLI(t, l.topo.DUT, l.args("policy", "block", "--wait", "300ms", "198.51.100.9")...)
	})
}
