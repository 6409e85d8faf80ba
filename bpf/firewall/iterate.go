package firewall

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
)

// lookupChunk is how many keys one BPF_MAP_LOOKUP_BATCH returns.
const lookupChunk = 4096

// eachKey calls fn for every key of m, in batches where the kernel has
// them for LPM tries and one key at a time otherwise: listing a
// million-entry set key by key costs a million syscalls.
func eachKey[K any](m *ebpf.Map, fn func(K)) error {
	keys := make([]K, lookupChunk)
	values := make([]uint8, lookupChunk)
	var cursor ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookup(&cursor, keys, values, nil)
		if errors.Is(err, ebpf.ErrNotSupported) {
			break
		}
		for _, k := range keys[:n] {
			fn(k)
		}
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", m, err)
		}
	}
	var k K
	var v uint8
	it := m.Iterate()
	for it.Next(&k, &v) {
		fn(k)
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("list %s: %w", m, err)
	}
	return nil
}
