package cli

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// ParsePolicy reads a policy file: one IPv4 or IPv6 CIDR (or single
// address) per line; blank lines and '#' comments are ignored. The first
// error names the file, line and column of the offending text.
func ParsePolicy(r io.Reader, name string) ([]netip.Prefix, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []netip.Prefix
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		trimmed := strings.TrimLeft(text, " \t")
		col := len(text) - len(trimmed) + 1
		trimmed = strings.TrimRight(trimmed, " \t\r")
		if trimmed == "" {
			continue
		}
		if i := strings.IndexAny(trimmed, " \t"); i >= 0 {
			return nil, fmt.Errorf("%s:%d:%d: unexpected %q after %q: one CIDR per line", name, line, col+i+len(trimmed[i:])-len(strings.TrimLeft(trimmed[i:], " \t")),
				strings.TrimLeft(trimmed[i:], " \t"), trimmed[:i])
		}
		p, err := ParseCIDR(trimmed)
		if err != nil {
			return nil, fmt.Errorf("%s:%d:%d: %w", name, line, col, err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return out, nil
}

// writePolicy writes prefixes in the format ParsePolicy reads.
func writePolicy(w io.Writer, header string, ps []netip.Prefix) error {
	bw := bufio.NewWriter(w)
	if header != "" {
		fmt.Fprintf(bw, "# %s\n", header)
	}
	for _, p := range ps {
		bw.WriteString(p.String())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
