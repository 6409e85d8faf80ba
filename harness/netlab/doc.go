// Package netlab builds the network the XDP scenarios run on: two fresh,
// anonymous network namespaces, "dut" (device under test) and "peer", joined
// by a veth pair dut0 <-> peer0, with documentation addresses on both ends.
//
// Frames are injected from the peer side through an AF_PACKET socket bound to
// peer0 and observed on the DUT side through another AF_PACKET socket bound
// to dut0. Packet taps run after XDP (native and generic), so a frame the XDP
// program dropped never reaches the capture. "Not delivered" is decided with
// a fence: after the frames under test, a frame that must pass is injected
// and awaited; frames travel one queue in order, so once the fence arrived
// every earlier frame that was not seen was dropped. No sleep is an oracle.
//
// Everything is created through netlink and raw sockets (no `ip` command),
// so the package works inside minimal VM guests and static test binaries.
// Both veth ends get one queue, which native XDP on older kernels (5.10)
// also requires (rx queues >= the peer's tx queues). The namespaces are
// anonymous: they vanish with the last reference, even if the test process
// dies, and deleting them removes the veth pair.
package netlab
