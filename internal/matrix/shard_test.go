package matrix

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stretchr/testify/require"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		err  bool
	}{
		{"1/1", Shard{1, 1}, false},
		{"2/3", Shard{2, 3}, false},
		{"0/3", Shard{}, true},
		{"4/3", Shard{}, true},
		{"1", Shard{}, true},
		{"a/b", Shard{}, true},
	} {
		got, err := ParseShard(tc.in)
		if tc.err {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got)
	}
}

func TestShardsPartitionStably(t *testing.T) {
	names := []string{"5.10", "6.1", "6.12", "7.x", "host", "bpo", "mykernel"}
	for n := 1; n <= 4; n++ {
		seen := map[string]int{}
		for i := 1; i <= n; i++ {
			for _, k := range (Shard{i, n}).Pick(names) {
				seen[k]++
			}
		}
		require.Len(t, seen, len(names), "shards of %d must cover every kernel", n)
		for k, c := range seen {
			require.Equal(t, 1, c, "kernel %s in %d shards of %d", k, c, n)
		}
	}
	// Adding a kernel does not move existing ones.
	before := (Shard{1, 3}).Pick(names[:5])
	after := (Shard{1, 3}).Pick(names)
	require.Subset(t, after, before)
}

// TestProgressCountsFramedTopLevelResults: with -test.v=test2json subtests'
// results sit at the left margin too; only top-level ones are progress.
func TestProgressCountsFramedTopLevelResults(t *testing.T) {
	var buf bytes.Buffer
	l := NewLines(&buf)
	l.Line("6.1", "scenarios/xdp", []byte("\x16--- PASS: TestA/sub (0.01s)\n"))
	l.Line("6.1", "scenarios/xdp", []byte("    --- PASS: TestFake (0.00s)\n"))
	l.Line("6.1", "scenarios/xdp", []byte("\x16--- FAIL: TestA (0.02s)\n"))
	assert.Equal(t, "[6.1] fail scenarios/xdp TestA (0.02s)\n", buf.String())
}
