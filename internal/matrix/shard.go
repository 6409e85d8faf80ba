package matrix

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard is one of N machines' share of a matrix: `--shard 2/3`.
type Shard struct{ Index, Count int }

// ParseShard parses "I/N" with 1 <= I <= N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want I/N, e.g. 1/4", s)
	}
	idx, err1 := strconv.Atoi(i)
	cnt, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil || cnt < 1 || idx < 1 || idx > cnt {
		return Shard{}, fmt.Errorf("shard %q: want I/N with 1 <= I <= N, e.g. 1/4", s)
	}
	return Shard{Index: idx, Count: cnt}, nil
}

// Pick returns the kernels this shard runs. A kernel's shard depends only
// on its name, so adding a kernel to the manifest never moves the others to
// another machine (and their caches stay warm).
func (s Shard) Pick(names []string) []string {
	if s.Count <= 1 {
		return names
	}
	var out []string
	for _, n := range names {
		h := fnv.New32a()
		h.Write([]byte(n))
		if int(h.Sum32()%uint32(s.Count)) == s.Index-1 {
			out = append(out, n)
		}
	}
	return out
}
