package replay

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/bpf/firewall/model"
)

// ExpectModel as the --expect argument takes each frame's expectation from
// the firewall's reference model under the replay's policy.
const ExpectModel = "model"

// Expectations map a frame's Index to the verdict it should get.
type Expectations map[int]firewall.Verdict

// Expect resolves an --expect argument: "" (none), ExpectModel, or a file
// of expectations (see ReadExpectations).
func Expect(spec string, frames []Frame, policy []netip.Prefix) (Expectations, error) {
	switch spec {
	case "":
		return nil, nil
	case ExpectModel:
		return ModelExpectations(frames, policy)
	}
	return ReadExpectations(spec, len(frames))
}

// ModelExpectations asks the reference model for every frame the kernel
// can run; frames shorter than an Ethernet header get none (the kernel
// refuses them, so there is no verdict to expect).
func ModelExpectations(frames []Frame, policy []netip.Prefix) (Expectations, error) {
	p, err := model.NewPolicy(policy...)
	if err != nil {
		return nil, fmt.Errorf("expect model: policy: %w", err)
	}
	out := Expectations{}
	for _, f := range frames {
		if len(f.Data) >= model.EthernetLen {
			out[f.Index] = firewall.Verdict(p.Judge(f.Data).Verdict)
		}
	}
	return out, nil
}

// ReadExpectations reads a file with one "FRAME VERDICT" per line: FRAME
// is the frame's number as the replay prints it (1-based), VERDICT is
// pass, drop, XDP_PASS or XDP_DROP; blank lines and lines starting with #
// are ignored. Frames not listed have no expectation.
func ReadExpectations(path string, frames int) (Expectations, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("expect: %w", err)
	}
	defer f.Close()
	out := Expectations{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		bad := func(why string) error {
			return fmt.Errorf("expect %s:%d: %q: %s; want \"FRAME pass|drop\", FRAME from 1 to %d", path, line, text, why, frames)
		}
		fields := strings.Fields(text)
		if len(fields) != 2 {
			return nil, bad("want two fields")
		}
		n, err := strconv.Atoi(fields[0])
		if err != nil || n < 1 || n > frames {
			return nil, bad("no such frame")
		}
		if _, dup := out[n]; dup {
			return nil, bad("frame listed twice")
		}
		switch strings.ToLower(fields[1]) {
		case "pass", "xdp_pass":
			out[n] = firewall.XDPPass
		case "drop", "xdp_drop":
			out[n] = firewall.XDPDrop
		default:
			return nil, bad("unknown verdict")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("expect %s: %w", path, err)
	}
	return out, nil
}
