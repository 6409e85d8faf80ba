// Package packet crafts Ethernet frames for the network scenarios: IPv4/UDP,
// IPv6/UDP, ARP, 802.1Q-tagged IPv4, truncated frames, garbage and a bad IHL.
//
// Every frame carries a Marker in its source MAC address (02:b1:xx:xx:xx:xx),
// the one place that survives truncation down to the 14-byte minimum an
// AF_PACKET socket will send, VLAN untagging and any payload. UDP frames
// repeat it as an 8-byte ID in the payload. A capture can therefore tell
// exactly which crafted frames arrived, and ignore frames the kernel sends on
// its own (neighbour discovery, MLD), which never use the 02:b1 prefix.
//
// Addresses are restricted to the documentation ranges 192.0.2.0/24,
// 198.51.100.0/24 and 2001:db8::/32; anything else is refused.
package packet
