package cli

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/bpflab/bpflab/internal/cli/command"
)

// ParseCIDR parses an IPv4 or IPv6 prefix as the firewall stores it: a
// single address means /32 or /128, and a prefix with host bits set is
// refused as ambiguous, suggesting what was probably meant.
func ParseCIDR(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("empty CIDR")
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix (e.g. 192.0.2.0/24, 2001:db8::/32)", s)
		}
		if a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q has a zone; blocklists hold plain addresses", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix (e.g. 192.0.2.0/24, 2001:db8::/32): %w", s, err)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped IPv6 prefix; write it as IPv4", s)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%q is ambiguous: it has host bits set; did you mean %s (the network) or %s (the one address)?",
			s, m, netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
	}
	return p, nil
}

// parseCIDRs parses every argument before anything is changed.
func parseCIDRs(args []string) ([]netip.Prefix, error) {
	if len(args) == 0 {
		return nil, command.Usagef("no CIDR given (e.g. 198.51.100.7 or 2001:db8:bad::/48)")
	}
	out := make([]netip.Prefix, 0, len(args))
	for _, a := range args {
		p, err := ParseCIDR(a)
		if err != nil {
			return nil, &command.UsageError{Err: err}
		}
		out = append(out, p)
	}
	return out, nil
}
