package oracle_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall/model"
	"github.com/bpflab/bpflab/bpf/firewall/model/corpus"
)

// maxReports bounds how many disagreements a test prints before it stops:
// one bug usually shows in hundreds of frames.
const maxReports = 10

// TestCorpusTestRun judges every corpus frame through BPF_PROG_TEST_RUN
// under each policy, frame by frame, verdict and all eight counters.
func TestCorpusTestRun(t *testing.T) {
	fw := load(t)
	s := seed(t)
	perPolicy := budget(t) / time.Duration(len(policies))
	t.Logf("seed %d (replay with BPFLAB_SEED=%d), random budget %s per policy", s, s, perPolicy)
	tmpl := templates()
	for i, pol := range policies {
		t.Run(pol.name, func(t *testing.T) {
			require.NoError(t, fw.Replace(pol.p.Prefixes()), "install policy %s", pol.name)
			got, err := fw.Blocked()
			require.NoError(t, err)
			require.ElementsMatch(t, pol.p.Prefixes(), got, "the live blocklist is the policy")

			// Every truncation under the first policy; the others change
			// only which sources are blocked, so they get the whole
			// templates and the edges (theirs and lab's), which is where
			// a policy shows.
			fixed := slices.Concat(tmpl, corpus.EdgeFrames(pol.p), corpus.EdgeFrames(labPolicy))
			if i == 0 {
				fixed = slices.Concat(truncations(), fixed, committedFrames(t))
			}
			bad := 0
			before := stats(t, fw)
			start := time.Now()
			for _, f := range fixed {
				var ok bool
				if before, ok = judgeTestRun(t, fw, pol.p, f, before, 0); !ok {
					if bad++; bad >= maxReports {
						t.Fatalf("stopping after %d disagreements", bad)
					}
				}
			}
			fixedTime := time.Since(start)

			g := corpus.NewRandom(s+uint64(i), tmpl)
			n, start := 0, time.Now()
			for time.Since(start) < perPolicy {
				f := g.Next()
				if len(f.Bytes) < model.EthernetLen {
					continue // the kernel refuses it; the model unit tests cover it
				}
				var ok bool
				if before, ok = judgeTestRun(t, fw, pol.p, f, before, s); !ok {
					if bad++; bad >= maxReports {
						t.Fatalf("stopping after %d disagreements", bad)
					}
				}
				n++
			}
			randTime := time.Since(start)
			t.Logf("%d fixed frames in %s (%.0f frames/s); %d random frames (stream seed %d, from the seed above) in %s (%.0f frames/s)",
				len(fixed), fixedTime.Round(time.Millisecond), float64(len(fixed))/fixedTime.Seconds(),
				n, g.Seed, randTime.Round(time.Millisecond), float64(n)/randTime.Seconds())
		})
	}
}

// TestEdgesReachBothSides checks the corpus is worth running: under the
// lab policy the edge frames include blocked and allowed sources of both
// families, and mapped sources both ways (a corpus that only ever passes
// would not catch a swapped verdict).
func TestEdgesReachBothSides(t *testing.T) {
	seen := map[string]int{}
	for _, f := range corpus.EdgeFrames(labPolicy) {
		r := labPolicy.Judge(f.Bytes)
		fam := "v4"
		if r.Delta.IPv6 > 0 {
			fam = "v6"
			if r.Source.Is4() {
				fam = "mapped"
			}
		}
		seen[fam+" "+string(r.Reason)]++
	}
	for _, k := range []string{"v4 source blocked", "v4 source allowed", "v6 source blocked", "v6 source allowed",
		"mapped source blocked", "mapped source allowed"} {
		require.Positive(t, seen[k], "edge frames with %q (have %v)", k, seen)
	}
}
