package firewall

import (
	"fmt"

	"github.com/cilium/ebpf"
)

// Verdict is an XDP action returned by the program.
type Verdict uint32

// XDP actions, as in enum xdp_action.
const (
	XDPAborted  Verdict = 0
	XDPDrop     Verdict = 1
	XDPPass     Verdict = 2
	XDPTx       Verdict = 3
	XDPRedirect Verdict = 4
)

func (v Verdict) String() string {
	switch v {
	case XDPAborted:
		return "XDP_ABORTED"
	case XDPDrop:
		return "XDP_DROP"
	case XDPPass:
		return "XDP_PASS"
	case XDPTx:
		return "XDP_TX"
	case XDPRedirect:
		return "XDP_REDIRECT"
	}
	return fmt.Sprintf("XDP_UNKNOWN(%d)", uint32(v))
}

// ethHeaderLen is the kernel's lower bound for BPF_PROG_TEST_RUN input.
const ethHeaderLen = 14

// TestRun runs the program once on frame with BPF_PROG_TEST_RUN and returns
// its verdict. The counters count the run like a real packet.
func (fw *Firewall) TestRun(frame []byte) (Verdict, error) {
	if len(frame) < ethHeaderLen {
		return 0, fmt.Errorf("test run: frame of %d bytes is shorter than an Ethernet header (%d); the kernel rejects such input", len(frame), ethHeaderLen)
	}
	ret, err := fw.objs.XdpFirewall.Run(&ebpf.RunOptions{Data: frame})
	if err != nil {
		return 0, fmt.Errorf("test run of %d-byte frame: %w", len(frame), err)
	}
	return Verdict(ret), nil
}
