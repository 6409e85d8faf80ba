package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Names and addresses of the topology. Only documentation ranges are used.
const (
	DUTLink  = "dut0"
	PeerLink = "peer0"
)

var (
	DUTAddr4  = netip.MustParsePrefix("192.0.2.1/24")
	PeerAddr4 = netip.MustParsePrefix("192.0.2.2/24")
	DUTAddr6  = netip.MustParsePrefix("2001:db8::1/64")
	PeerAddr6 = netip.MustParsePrefix("2001:db8::2/64")
)

// SinkMAC is a unicast MAC no interface owns. Frames sent to it reach dut0,
// its XDP program and its taps (as PACKET_OTHERHOST), but the DUT's IP stack
// discards them, so it never reacts (ICMP errors, ARP for the source).
//
// Why it matters, measured on 6.18: a UDP frame to dut0's own MAC from the
// subnet broadcast address 192.0.2.255 makes the DUT send an ICMP error to
// that broadcast address; the kernel loops broadcast copies back into dut0
// (dev_loopback_xmit: PACKET_LOOPBACK, mac header reset to the IP header).
// Generic XDP runs on that copy, seeing the IP header where the Ethernet
// header should be, while AF_PACKET taps drop PACKET_LOOPBACK. Result: one
// XDP run (classified as non-IP, passed) that no capture sees. Native XDP
// does not see such copies.
var SinkMAC = net.HardwareAddr{0x02, 0xb2, 0, 0, 0, 1}

// Topology is the dut/peer namespace pair and the veth between them.
type Topology struct {
	DUT, Peer *Namespace
	// DUTIndex is dut0's ifindex inside the DUT namespace: attach XDP there
	// from within DUT.Do.
	DUTIndex  int
	PeerIndex int
	DUTMAC    net.HardwareAddr
	PeerMAC   net.HardwareAddr

	inj *injector
}

// New creates a Topology for a test and registers its teardown with
// tb.Cleanup, so it goes away even when the test fails.
func New(tb testing.TB) *Topology {
	tb.Helper()
	topo, err := Create(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := topo.Close(); err != nil {
			tb.Error(err)
		}
	})
	return topo
}

// Create builds the namespaces, the veth pair and the addresses. The caller
// must Close the Topology.
func Create(ctx context.Context) (*Topology, error) {
	topo := &Topology{}
	if err := topo.build(ctx); err != nil {
		return nil, errors.Join(err, topo.Close())
	}
	return topo, nil
}

func (t *Topology) build(ctx context.Context) error {
	var err error
	if t.DUT, err = newNamespace("dut"); err != nil {
		return err
	}
	if t.Peer, err = newNamespace("peer"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create topology: %w", err)
	}
	if err := t.buildVeth(); err != nil {
		return err
	}
	if t.inj, err = newInjector(t.Peer, t.PeerIndex); err != nil {
		return err
	}
	return nil
}

func (t *Topology) buildVeth() error {
	dh, err := netlink.NewHandleAt(t.DUT.handle, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink handle in namespace dut: %w", err)
	}
	defer dh.Close()
	ph, err := netlink.NewHandleAt(t.Peer.handle, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink handle in namespace peer: %w", err)
	}
	defer ph.Close()

	// One queue per side: frames from one sender then cross a single ring
	// and arrive in order, which the fence relies on.
	veth := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: DUTLink, NumTxQueues: 1, NumRxQueues: 1},
		PeerName:  PeerLink, PeerNamespace: netlink.NsFd(t.Peer.handle),
		PeerNumTxQueues: 1, PeerNumRxQueues: 1,
	}
	if err := dh.LinkAdd(veth); err != nil {
		return vethError(err)
	}
	if t.DUTIndex, t.DUTMAC, err = configure(dh, t.DUT.Name, DUTLink, DUTAddr4, DUTAddr6); err != nil {
		return err
	}
	// The peer is a traffic generator: with ARP off its stack neither
	// answers ARP nor joins IPv6 solicited-node groups, so it sends no MLD
	// reports (measured: two unsolicited MLDv2 reports within ~2 s
	// otherwise) that would pass dut0's XDP and skew its counters.
	pl, err := ph.LinkByName(PeerLink)
	if err != nil {
		return fmt.Errorf("namespace %s: find %s: %w", t.Peer.Name, PeerLink, err)
	}
	if err := ph.LinkSetARPOff(pl); err != nil {
		return fmt.Errorf("namespace %s: set %s noarp: %w", t.Peer.Name, PeerLink, err)
	}
	if t.PeerIndex, t.PeerMAC, err = configure(ph, t.Peer.Name, PeerLink, PeerAddr4, PeerAddr6); err != nil {
		return err
	}
	return nil
}

// vethError explains a failed veth creation. The kernel answers EOPNOTSUPP
// when no "veth" link kind is registered (module not loaded, or not built).
func vethError(err error) error {
	if errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("create veth pair %s/%s: veth: operation not supported; load the veth module (modprobe veth): %w", DUTLink, PeerLink, err)
	}
	return fmt.Errorf("create veth pair %s/%s: %w", DUTLink, PeerLink, err)
}

// configure sets addresses and brings the link up. IPv6 link-local address
// generation is off and the static addresses skip DAD, so no neighbour
// discovery or router solicitation is in flight when a test starts.
func configure(h *netlink.Handle, ns, name string, addrs ...netip.Prefix) (int, net.HardwareAddr, error) {
	l, err := h.LinkByName(name)
	if err != nil {
		return 0, nil, fmt.Errorf("namespace %s: find %s: %w", ns, name, err)
	}
	if err := h.LinkSetIP6AddrGenMode(l, nl.IN6_ADDR_GEN_MODE_NONE); err != nil {
		return 0, nil, fmt.Errorf("namespace %s: %s: disable IPv6 link-local address: %w", ns, name, err)
	}
	for _, a := range addrs {
		ipn := &net.IPNet{IP: a.Addr().AsSlice(), Mask: net.CIDRMask(a.Bits(), a.Addr().BitLen())}
		addr := &netlink.Addr{IPNet: ipn}
		if a.Addr().Is6() {
			addr.Flags = unix.IFA_F_NODAD
		}
		if err := h.AddrAdd(l, addr); err != nil {
			return 0, nil, fmt.Errorf("namespace %s: add %s to %s: %w", ns, a, name, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return 0, nil, fmt.Errorf("namespace %s: set %s up: %w", ns, name, err)
	}
	return l.Attrs().Index, l.Attrs().HardwareAddr, nil
}

// Inject sends frames, in order, out of peer0 towards dut0.
func (t *Topology) Inject(frames ...[]byte) error {
	return t.inj.send(frames)
}

// Close tears the topology down. Dropping the namespaces removes the veth
// pair (asynchronously, in the kernel's netns cleanup work).
func (t *Topology) Close() error {
	var errs []error
	if t.inj != nil {
		errs = append(errs, t.inj.close())
		t.inj = nil
	}
	for _, ns := range []*Namespace{t.DUT, t.Peer} {
		if ns != nil {
			errs = append(errs, ns.Close())
		}
	}
	return errors.Join(errs...)
}
