package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/netlab"
	"github.com/bpflab/bpflab/harness/packet"
)

// maxVethFrame is the longest frame a default-MTU veth carries.
const maxVethFrame = 1514

// markerBase keeps replayed frames' markers apart from the packet
// builder's (which count up from 1).
const markerBase = 0x00b10000

// Verdict is what happened to one frame.
type Verdict struct {
	Frame
	// Veth is "delivered", "dropped" or "n/a (reason)".
	Veth    string
	TestRun firewall.Verdict
	// Refused: the kernel does not run the program on this frame (shorter
	// than an Ethernet header); TestRun is then no verdict at all.
	Refused bool
	// Expect is the verdict the frame should get, if HasExpect.
	Expect    firewall.Verdict
	HasExpect bool
	// Agree: delivered <=> XDP_PASS, and XDP_PASS/DROP as expected.
	Agree bool
}

// Options configure Run.
type Options struct {
	Frames []Frame
	Policy []netip.Prefix // blocked prefixes
	Mode   firewall.Mode  // attach mode on dut0 (zero: auto)
	// Expect holds per-frame expectations (see Expect); frames without
	// one are judged on veth vs BPF_PROG_TEST_RUN only.
	Expect Expectations
	// Settle bounds the wait for the frames to cross the veth.
	Settle time.Duration
}

// Run builds the topology, loads and attaches the firewall with the policy,
// replays the frames over veth and through BPF_PROG_TEST_RUN, and returns
// the verdicts. It needs root (namespaces, XDP, bpffs not required).
func Run(ctx context.Context, o Options) (_ []Verdict, err error) {
	if o.Settle == 0 {
		o.Settle = 10 * time.Second
	}
	topo, err := netlab.Create(ctx)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer func() { err = errors.Join(err, topo.Close()) }()
	fw, err := firewall.Load(firewall.Options{})
	if err != nil {
		return nil, fmt.Errorf("replay: load firewall: %w", err)
	}
	defer func() { err = errors.Join(err, fw.Close()) }()
	if len(o.Policy) > 0 {
		if err := fw.BlockAll(o.Policy); err != nil {
			return nil, fmt.Errorf("replay: policy: %w", err)
		}
	}
	if err := topo.DUT.Do(func() error { return fw.Attach(topo.DUTIndex, o.Mode) }); err != nil {
		return nil, fmt.Errorf("replay: attach firewall to %s: %w", netlab.DUTLink, err)
	}
	c, err := topo.Capture()
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer func() { err = errors.Join(err, c.Close()) }()

	out := make([]Verdict, len(o.Frames))
	var wire [][]byte
	for i, f := range o.Frames {
		out[i].Frame = f
		out[i].Expect, out[i].HasExpect = o.Expect[f.Index]
		if len(f.Data) < packet.MinFrameLen {
			out[i].Veth = fmt.Sprintf("n/a (%d bytes, shorter than an Ethernet header)", len(f.Data))
			out[i].Refused = true
			continue
		}
		// The frame as replayed: marker source MAC, sink destination MAC.
		data := append([]byte(nil), f.Data...)
		copy(data[0:6], netlab.SinkMAC)
		copy(data[6:12], packet.Marker(markerBase+f.Index).MAC())
		out[i].Data = data
		if len(data) > maxVethFrame {
			out[i].Veth = fmt.Sprintf("n/a (%d bytes, over the veth MTU)", len(data))
		} else {
			wire = append(wire, data)
		}
		v, err := fw.TestRun(data)
		if err != nil {
			return nil, fmt.Errorf("replay: frame %d: %w", f.Index, err)
		}
		out[i].TestRun = v
	}
	if len(wire) > 0 {
		if err := topo.Inject(wire...); err != nil {
			return nil, fmt.Errorf("replay: inject: %w", err)
		}
	}
	// A non-IP fence (the firewall passes those) proves every frame before
	// it was handled, so "not seen" means dropped.
	b, err := packet.NewBuilder(netlab.SinkMAC)
	if err != nil {
		return nil, err
	}
	fence, err := b.Garbage("fence", 0x88b5, 60)
	if err != nil {
		return nil, err
	}
	if err := topo.Settle(c, fence, o.Settle); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	for i := range out {
		if out[i].Veth == "" {
			out[i].Veth = "dropped"
			if c.Seen(packet.Marker(markerBase + out[i].Index)) {
				out[i].Veth = "delivered"
			}
			out[i].Agree = (out[i].Veth == "delivered") == (out[i].TestRun == firewall.XDPPass) &&
				(!out[i].HasExpect || out[i].TestRun == out[i].Expect)
		}
	}
	return out, nil
}

// Disagreements counts the frames whose two verdicts differ.
func Disagreements(vs []Verdict) int {
	n := 0
	for _, v := range vs {
		if v.Refused {
			continue
		}
		// An over-MTU frame has no veth verdict; its test run still
		// answers to the expectation.
		if strings.HasPrefix(v.Veth, "n/a") {
			if v.HasExpect && v.TestRun != v.Expect {
				n++
			}
			continue
		}
		if !v.Agree {
			n++
		}
	}
	return n
}

// Write prints one line per frame: number, summary, veth verdict,
// test-run verdict ("refused" where the kernel does not run the program),
// the expectation when any frame has one, agreement; then a count line.
func Write(w io.Writer, kernel string, vs []Verdict) error {
	fmt.Fprintf(w, "replay on kernel %s: %d frames\n", kernel, len(vs))
	expect := false
	for _, v := range vs {
		expect = expect || v.HasExpect
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if expect {
		fmt.Fprintln(tw, "#\tFRAME\tVETH\tTEST_RUN\tEXPECT\tAGREE")
	} else {
		fmt.Fprintln(tw, "#\tFRAME\tVETH\tTEST_RUN\tAGREE")
	}
	for _, v := range vs {
		agree := "yes"
		switch {
		case v.Refused || strings.HasPrefix(v.Veth, "n/a"):
			agree = "-"
		case !v.Agree:
			agree = "NO"
		}
		run := v.TestRun.String()
		if v.Refused {
			run = "refused"
		}
		if !expect {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.Index, v.Summary, v.Veth, run, agree)
			continue
		}
		want := "-"
		if v.HasExpect {
			want = v.Expect.String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", v.Index, v.Summary, v.Veth, run, want, agree)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d of %d frames disagree\n", Disagreements(vs), len(vs))
	return err
}
