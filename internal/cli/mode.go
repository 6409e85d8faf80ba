package cli

import (
	"flag"
	"fmt"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/internal/cli/command"
)

// modeSpellings are the words --mode accepts, for every command that
// attaches XDP (firewall attach, replay): the kernel's names (native,
// generic) and iproute2's (driver: `ip link set xdpdrv`, skb: xdpgeneric's
// SKB mode).
var modeSpellings = []struct {
	word string
	mode firewall.Mode
}{
	{"auto", firewall.ModeAuto},
	{"native", firewall.ModeNative},
	{"driver", firewall.ModeNative},
	{"generic", firewall.ModeGeneric},
	{"skb", firewall.ModeGeneric},
}

// ParseMode parses an XDP attach mode: auto, native (or driver), generic
// (or skb).
func ParseMode(s string) (firewall.Mode, error) {
	for _, m := range modeSpellings {
		if s == m.word {
			return m.mode, nil
		}
	}
	return 0, command.Usagef("unknown --mode %q: want auto, native (or driver) or generic (or skb)", s)
}

// modeFlag defines --mode on fs; parse its value with ParseMode.
func modeFlag(fs *flag.FlagSet, what string) *string {
	return fs.String("mode", "auto", fmt.Sprintf("%s: auto, native (or driver) or generic (or skb)", what))
}
