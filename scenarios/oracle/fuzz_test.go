package oracle_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/firewall/model"
	"github.com/bpflab/bpflab/bpf/firewall/model/corpus"
)

// FuzzFirewall feeds frames through BPF_PROG_TEST_RUN under the lab policy
// and requires the model's verdict and counter deltas. Without -fuzz it
// replays its seeds (the committed corpus is embedded and replayed in every
// VM by TestCorpusTestRun); `make fuzz` runs the coverage-guided fuzzer on the host, and a
// frame it finds lands in testdata/fuzz/FuzzFirewall, to be committed.
func FuzzFirewall(f *testing.F) {
	// A few seeds of each family; the templates and the committed corpus
	// run in full in TestCorpusTestRun (every seed would be a line in the
	// matrix report).
	for _, fr := range corpus.Templates(allowed4, allowed6)[:6] {
		f.Add(fr.Bytes)
	}
	fw := load(f)
	require.NoError(f, fw.Replace(labPolicy.Prefixes()))
	f.Fuzz(func(t *testing.T, frame []byte) {
		fr := corpus.Frame{Name: "fuzz input", Bytes: frame}
		if len(frame) < model.EthernetLen {
			// The kernel refuses such input; the model must call it a
			// truncated Ethernet header, never a verdict on content.
			_, err := fw.TestRun(frame)
			assert.Error(t, err, "a %d-byte frame must be refused", len(frame))
			assert.Equal(t, model.ShortEthernet, labPolicy.Judge(frame).Reason)
			return
		}
		judgeTestRun(t, fw, labPolicy, fr, stats(t, fw), 0)
	})
}
