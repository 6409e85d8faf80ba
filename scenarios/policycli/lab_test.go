package policycli_test

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/netlab"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/harness/testenv"
)

const settleTimeout = 10 * time.Second

var (
	dst4     = netip.MustParseAddr("192.0.2.1")
	flowSrc  = netip.MustParseAddr("192.0.2.10")    // steady allowed flow
	fenceSrc = netip.MustParseAddr("192.0.2.20")    // fences, never blocked
	victim   = netip.MustParseAddr("198.51.100.20") // blocked and unblocked
	victim6  = netip.MustParseAddr("2001:db8:bad::20")
	dst6     = netip.MustParseAddr("2001:db8::1")
)

// lab is an attached firewall on dut0, driven by the CLI.
type lab struct {
	topo    *netlab.Topology
	root    string // --pin-root
	pinDir  string
	capture *netlab.Capture
	b       *packet.Builder
}

// newLab builds the topology and attaches the firewall through the CLI.
func newLab(t *testing.T, mode string) *lab {
	t.Helper()
	testenv.Setup(t)
	topo := netlab.New(t)
	root, err := os.MkdirTemp(testenv.BPFFS, "bpflab-cli-")
	require.NoError(t, err, "create pin root in bpffs")
	l := &lab{topo: topo, root: root, pinDir: filepath.Join(root, netlab.DUTLink)}
	t.Cleanup(func() {
		// Detach through the CLI if the test left it attached; then the
		// pins go with the directory.
		if _, err := os.Stat(filepath.Join(l.pinDir, firewall.ProgPin)); err == nil {
			cli(t, topo.DUT, nil, l.args("firewall", "detach")...)
		}
		assert.NoError(t, os.RemoveAll(root))
	})
	mustCLI(t, topo.DUT, l.args("firewall", "attach", "--mode", mode)...)
	st, err := topo.DUTXDP()
	require.NoError(t, err)
	require.True(t, st.Attached, "attach exited 0, so dut0 must run an XDP program")

	l.capture, err = topo.Capture()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, l.capture.Close()) })
	l.b, err = packet.NewBuilder(topo.DUTMAC)
	require.NoError(t, err)
	return l
}

// args prefixes a command with its subcommand, interface and pin root.
func (l *lab) args(cmd, sub string, rest ...string) []string {
	return append([]string{cmd, sub, "--iface", netlab.DUTLink, "--pin-root", l.root}, rest...)
}

// delivered sends one frame from src and reports whether it reached dut0's
// stack, after a fence proved every earlier frame was handled.
func (l *lab) delivered(t *testing.T, phase string, src netip.Addr) bool {
	t.Helper()
	var f packet.Frame
	var err error
	if src.Is4() {
		f, err = l.b.UDP4(phase, src, dst4)
	} else {
		f, err = l.b.UDP6(phase, src, dst6)
	}
	require.NoError(t, err)
	fence, err := l.b.UDP4("fence after "+phase, fenceSrc, dst4)
	require.NoError(t, err)
	require.NoError(t, l.topo.Inject(f.Bytes))
	require.NoError(t, l.topo.Settle(l.capture, fence, settleTimeout), "phase %q", phase)
	return l.capture.Seen(f.Marker)
}

// state is everything a refused command must leave as it was.
type state struct {
	Pins    map[string]uint32 // pin name -> kernel object ID (maps; programs and links by name only)
	Blocked []netip.Prefix
	ProgID  uint32
}

func (l *lab) state(t *testing.T) state {
	t.Helper()
	s := state{Pins: map[string]uint32{}}
	entries, err := os.ReadDir(l.pinDir)
	require.NoError(t, err)
	for _, e := range entries {
		id := uint32(0)
		if m, err := ebpf.LoadPinnedMap(filepath.Join(l.pinDir, e.Name()), nil); err == nil {
			info, ierr := m.Info()
			require.NoError(t, ierr)
			mid, _ := info.ID()
			id = uint32(mid)
			m.Close()
		}
		s.Pins[e.Name()] = id
	}
	fw, err := firewall.Open(firewall.Options{PinDir: l.pinDir})
	require.NoError(t, err)
	defer fw.Close()
	s.Blocked, err = fw.Blocked()
	require.NoError(t, err)
	x, err := l.topo.DUTXDP()
	require.NoError(t, err)
	s.ProgID = x.ProgID
	return s
}

// scale is the size of the swapped-in set (see the package doc).
func scale(t *testing.T) int {
	t.Helper()
	if v := os.Getenv("BPFLAB_SCALE"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "BPFLAB_SCALE=%q: want a number of entries", v)
		require.Positive(t, n, "BPFLAB_SCALE")
		return min(n, firewall.MaxRules)
	}
	data, err := os.ReadFile("/proc/cpuinfo")
	require.NoError(t, err)
	if strings.Contains(string(data), "QEMU Virtual CPU") || strings.Contains(string(data), "QEMU TCG") {
		return 100_000
	}
	return 1_000_000
}

// writePolicy writes n entries: the given prefixes, then /32 filler from
// 10.0.0.0/8 (entries only; no traffic ever goes there).
func writePolicy(t *testing.T, n int, head ...netip.Prefix) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.txt")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "# %d entries written by the policycli scenario\n", n)
	for _, p := range head {
		fmt.Fprintln(w, p)
	}
	for i := 0; i < n-len(head); i++ {
		fmt.Fprintf(w, "10.%d.%d.%d/32\n", i>>16&0xff, i>>8&0xff, i&0xff)
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	return path
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
