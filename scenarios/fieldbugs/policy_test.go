package fieldbugs_test

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/netlab"
	"github.com/bpflab/bpflab/harness/packet"
	"github.com/bpflab/bpflab/harness/testenv"
)

var (
	victim    = netip.MustParseAddr("198.51.100.20")
	victimNet = netip.PrefixFrom(victim, 32)
	fenceSrc  = netip.MustParseAddr("192.0.2.20")
)

const settleTimeout = 10 * time.Second

// policyLab is the real firewall attached to dut0 with its maps pinned.
type policyLab struct {
	topo   *netlab.Topology
	cap    *netlab.Capture
	b      *packet.Builder
	pinDir string
}

func newPolicyLab(t *testing.T) *policyLab {
	t.Helper()
	testenv.Setup(t)
	topo := netlab.New(t)
	dir, err := os.MkdirTemp(testenv.BPFFS, "bpflab-fieldbugs-")
	require.NoError(t, err, "create pin dir in bpffs")
	t.Cleanup(func() { assert.NoError(t, os.RemoveAll(dir)) })
	fw, err := firewall.Load(firewall.Options{PinDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fw.Close()) })
	require.NoError(t, topo.DUT.Do(func() error { return fw.Attach(topo.DUTIndex, firewall.ModeAuto) }))
	c, err := topo.Capture()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, c.Close()) })
	b, err := packet.NewBuilder(netlab.SinkMAC)
	require.NoError(t, err)
	return &policyLab{topo: topo, cap: c, b: b, pinDir: dir}
}

// checkBlocked is the harness's delivery check: a frame from addr, sent
// over the veth pair, must not arrive at dut0.
func (l *policyLab) checkBlocked(t assert.TestingT, addr netip.Addr) bool {
	f, err := l.b.UDP4("from "+addr.String(), addr, dst4)
	if err != nil {
		t.Errorf("build frame: %v", err)
		return false
	}
	fence, err := l.b.UDP4("fence", fenceSrc, dst4)
	if err != nil {
		t.Errorf("build fence: %v", err)
		return false
	}
	if err := l.topo.Inject(f.Bytes); err != nil {
		t.Errorf("inject: %v", err)
		return false
	}
	if err := l.topo.Settle(l.cap, fence, settleTimeout); err != nil {
		t.Errorf("%v", err)
		return false
	}
	if l.cap.Seen(f.Marker) {
		t.Errorf("blocked address %s still delivered on %s", addr, netlab.DUTLink)
		return false
	}
	return true
}

// checkLiveMaps is the harness's diagnosis for a block that did not take:
// the updater must write the maps of the program attached to dut0.
func (l *policyLab) checkLiveMaps(t assert.TestingT, updater *firewall.Firewall) bool {
	progID, err := l.attachedProgID()
	if err != nil {
		t.Errorf("%v", err)
		return false
	}
	attached, err := ebpf.NewProgramFromID(progID)
	if err != nil {
		t.Errorf("open attached program %d: %v", progID, err)
		return false
	}
	defer attached.Close()
	live, err1 := mapIDs(attached)
	mine, err2 := mapIDs(updater.Program())
	if err1 != nil || err2 != nil {
		t.Errorf("map ids: %v %v", err1, err2)
		return false
	}
	if !slices.Equal(live, mine) {
		t.Errorf("the policy updater writes maps %v but the program attached to %s (id %d) uses maps %v: the map is not the live one (open the maps pinned in bpffs)",
			mine, netlab.DUTLink, progID, live)
		return false
	}
	return true
}

// attachedProgID asks the kernel which XDP program is attached to dut0.
// It opens a NETLINK_ROUTE-only handle: the default handle also opens
// netfilter/xfrm sockets, which minimal guests may lack ("protocol not
// supported").
func (l *policyLab) attachedProgID() (ebpf.ProgramID, error) {
	h, err := netlink.NewHandleAt(l.topo.DUT.Handle(), unix.NETLINK_ROUTE)
	if err != nil {
		return 0, fmt.Errorf("netlink handle in namespace dut: %w", err)
	}
	defer h.Close()
	link, err := h.LinkByIndex(l.topo.DUTIndex)
	if err != nil {
		return 0, fmt.Errorf("find %s: %w", netlab.DUTLink, err)
	}
	x := link.Attrs().Xdp
	if x == nil || !x.Attached {
		return 0, fmt.Errorf("no XDP program attached to %s", netlab.DUTLink)
	}
	return ebpf.ProgramID(x.ProgId), nil
}

// F5: the seed's updater loads the object again without pinning, so it
// blocks in brand-new maps the attached firewall never reads.
func TestF5UpdaterWritesNewMap(t *testing.T) {
	l := newPolicyLab(t)

	seed, err := firewall.Load(firewall.Options{}) // BUG (F5): fresh maps
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, seed.Close()) })
	require.NoError(t, seed.Block(victimNet), "the seed's block 'succeeds'")

	rec := &recorder{}
	l.checkBlocked(rec, victim)
	requireDetected(t, rec, "blocked address "+victim.String()+" still delivered")
	rec = &recorder{}
	l.checkLiveMaps(rec, seed)
	requireDetected(t, rec, "the map is not the live one")

	// The fix: open the live maps pinned in bpffs.
	fixed, err := firewall.Load(firewall.Options{PinDir: l.pinDir})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fixed.Close()) })
	require.NoError(t, fixed.Block(victimNet))
	l.checkLiveMaps(t, fixed)
	l.checkBlocked(t, victim)
}
