package oracle_test

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/bpf/firewall/model"
	"github.com/bpflab/bpflab/bpf/firewall/model/corpus"
	"github.com/bpflab/bpflab/harness/testenv"
)

// Policies the corpora run under. lab keeps every edge it can inside the
// documentation ranges (veth runs it); the others reach outside them and
// run through BPF_PROG_TEST_RUN only, which puts nothing on any wire.
var (
	labPolicy = model.MustPolicy("192.0.2.66/32", "192.0.2.128/25", "198.51.100.0/24",
		"2001:db8::66/128", "2001:db8:bad::/48", "2001:db8:8000::/33")
	policies = []struct {
		name string
		p    model.Policy
	}{
		{"lab", labPolicy},
		{"none", model.MustPolicy()},
		{"short and extreme", model.MustPolicy("128.0.0.0/1", "10.0.0.0/8", "0.0.0.0/32", "255.255.255.255/32",
			"8000::/1", "::/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "::/96")},
		{"everything", model.MustPolicy("0.0.0.0/0", "::/0")},
	}
	// Sources the templates are built from: allowed and blocked by lab.
	allowed4, blocked4 = netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("192.0.2.66")
	allowed6, blocked6 = netip.MustParseAddr("2001:db8::10"), netip.MustParseAddr("2001:db8::66")
)

// templates are the template frames from an allowed and a blocked source.
func templates() []corpus.Frame {
	return append(templatesFrom(allowed4, allowed6), templatesFrom(blocked4, blocked6)...)
}

func templatesFrom(src4, src6 netip.Addr) []corpus.Frame {
	var out []corpus.Frame
	for _, f := range corpus.Templates(src4, src6) {
		f.Name += " from " + src4.String() + "/" + src6.String()
		out = append(out, f)
	}
	return out
}

// truncations are every truncation (from 14 bytes) of the allowed-source
// templates, and of the blocked-source ones those where the source
// matters: the lengths the lab policy drops as blocked, and the one byte
// shorter than the first of them. Below that a frame is malformed
// whatever its source, which the allowed-source cuts cover already.
func truncations() []corpus.Frame {
	out := corpus.Truncations(templatesFrom(allowed4, allowed6), model.EthernetLen)
	blocked := corpus.Truncations(templatesFrom(blocked4, blocked6), model.EthernetLen)
	for i, f := range blocked {
		next := i+1 < len(blocked) && len(blocked[i+1].Bytes) == len(f.Bytes)+1 &&
			labPolicy.Judge(blocked[i+1].Bytes).Reason == model.Blocked
		if next || labPolicy.Judge(f.Bytes).Reason == model.Blocked {
			out = append(out, f)
		}
	}
	return out
}

// counters maps the loader's Stats onto the model's counters field by
// field, so a counter the loader reads from the wrong index shows.
func counters(s firewall.Stats) model.Counters {
	return model.Counters{Passed: s.Passed, Dropped: s.Dropped, Malformed: s.Malformed, NonIP: s.NonIP,
		VLAN: s.VLAN, IPv4: s.IPv4, IPv6: s.IPv6, NoList: s.NoList}
}

func load(t testing.TB) *firewall.Firewall {
	t.Helper()
	testenv.Setup(t)
	fw, err := firewall.Load(firewall.Options{})
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		t.Fatalf("verifier: %+v", ve)
	}
	require.NoError(t, err, "load firewall")
	t.Cleanup(func() { assert.NoError(t, fw.Close()) })
	return fw
}

func stats(t testing.TB, fw *firewall.Firewall) model.Counters {
	t.Helper()
	s, err := fw.Stats()
	require.NoError(t, err)
	return counters(s)
}

// seed is BPFLAB_SEED when set (to replay a failure), else the clock.
func seed(t testing.TB) uint64 {
	t.Helper()
	if s := os.Getenv("BPFLAB_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "BPFLAB_SEED=%q: want a decimal number", s)
		return v
	}
	return uint64(time.Now().UnixNano())
}

// budget is how long each path spends on random mutations.
func budget(t testing.TB) time.Duration {
	t.Helper()
	if s := os.Getenv("BPFLAB_ORACLE_BUDGET"); s != "" {
		d, err := time.ParseDuration(s)
		require.NoError(t, err, "BPFLAB_ORACLE_BUDGET=%q: want a Go duration such as 5s", s)
		return d
	}
	return 2 * time.Second
}

// repro is what a failure prints so the frame can be run again anywhere:
// as a fuzz corpus entry (replayed by FuzzFirewall in every kernel) and,
// for random frames, with the seed that made it.
func repro(f corpus.Frame, seed uint64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "frame %q (%d bytes): %x\n", f.Name, len(f.Bytes), f.Bytes)
	fmt.Fprintf(&b, "repro: printf 'go test fuzz v1\\n[]byte(%%s)\\n' '%s' > scenarios/oracle/testdata/fuzz/FuzzFirewall/repro && go test -run 'FuzzFirewall/repro' ./scenarios/oracle", strings.ReplaceAll(strconv.QuoteToASCII(string(f.Bytes)), "'", `\x27`))
	if seed != 0 {
		fmt.Fprintf(&b, "\n   or: BPFLAB_SEED=%d go test -run '%s' ./scenarios/oracle", seed, "TestCorpus")
	}
	return b.String()
}

// judgeTestRun runs one frame through BPF_PROG_TEST_RUN and compares the
// verdict and every counter's delta with the model. before is the counter
// state before the run; it returns the state after.
func judgeTestRun(t *testing.T, fw *firewall.Firewall, p model.Policy, f corpus.Frame, before model.Counters, seed uint64) (model.Counters, bool) {
	t.Helper()
	want := p.Judge(f.Bytes)
	got, err := fw.TestRun(f.Bytes)
	require.NoError(t, err, "test run of %s", repro(f, seed))
	after := stats(t, fw)
	delta := after.Sub(before)
	ok := model.Verdict(got) == want.Verdict && delta == want.Delta
	if !ok {
		t.Errorf("BPF_PROG_TEST_RUN disagrees with the model\n  kernel: %s, counters moved %s\n  model:  %s\n  %s",
			firewall.Verdict(got), delta, want, repro(f, seed))
	}
	return after, ok
}

//go:embed testdata/fuzz/FuzzFirewall
var fuzzCorpus embed.FS

// committedFrames are the fuzz corpus entries, read from the embedded copy
// so the static binary in a VM has them too.
func committedFrames(t testing.TB) []corpus.Frame {
	t.Helper()
	const dir = "testdata/fuzz/FuzzFirewall"
	ents, err := fs.ReadDir(fuzzCorpus, dir)
	require.NoError(t, err)
	var out []corpus.Frame
	for _, e := range ents {
		data, err := fuzzCorpus.ReadFile(dir + "/" + e.Name())
		require.NoError(t, err)
		b, err := parseCorpusEntry(string(data))
		require.NoError(t, err, "corpus entry %s", e.Name())
		out = append(out, corpus.Frame{Name: "corpus " + e.Name(), Bytes: b})
	}
	return out
}

// parseCorpusEntry reads a one-argument `go test fuzz v1` file.
func parseCorpusEntry(s string) ([]byte, error) {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return nil, fmt.Errorf("want 'go test fuzz v1' and one []byte line, got %d lines", len(lines))
	}
	arg := strings.TrimSpace(lines[1])
	if !strings.HasPrefix(arg, "[]byte(") || !strings.HasSuffix(arg, ")") {
		return nil, fmt.Errorf("want []byte(\"...\"), got %.40q", arg)
	}
	v, err := strconv.Unquote(arg[len("[]byte(") : len(arg)-1])
	if err != nil {
		return nil, fmt.Errorf("unquote %.40q: %w", arg, err)
	}
	return []byte(v), nil
}
