package policycli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/harness/probe"
)

// TestBpftoolInterop: the standard tool sees what the CLI made: our entries
// in the pinned live trie and our program on dut0.
func TestBpftoolInterop(t *testing.T) {
	// Missing: skip where nothing promised it, fail where the matrix or
	// bpflab exec carried the host's bpftool into this kernel.
	bpftool := probe.Tool(t, "bpftool")
	l := newLab(t, "generic")
	mustCLI(t, l.topo.DUT, l.args("policy", "block", "198.51.100.7", "192.0.2.128/25")...)

	run := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bpftool, args...)
		var out []byte
		err := l.topo.DUT.Do(func() error { // bpftool net lists this namespace
			var err error
			out, err = cmd.Output()
			return err
		})
		require.NoError(t, err, "bpftool %v: %s", args, out)
		return out
	}

	// bpftool prints raw bytes and, with the map's BTF, a formatted view.
	// Single hosts live in the hash map hosts_v4 (looked up first), other
	// prefixes in the trie blocklist_v4.
	type entry struct {
		Formatted struct {
			Key struct {
				Prefixlen *int  `json:"prefixlen"`
				Addr      []int `json:"addr"`
			} `json:"key"`
			Value int `json:"value"`
		} `json:"formatted"`
	}
	var got []string
	for _, m := range []struct {
		pin  string
		trie bool
	}{{"blocklist_v4_live", true}, {"hosts_v4_live", false}} {
		var dump []entry
		require.NoError(t, json.Unmarshal(run("-j", "map", "dump", "pinned", filepath.Join(l.pinDir, m.pin)), &dump))
		for _, d := range dump {
			e := d.Formatted
			a := e.Key.Addr
			require.Len(t, a, 4)
			bits := 32
			if m.trie {
				require.NotNil(t, e.Key.Prefixlen, "%s: trie key has a prefixlen", m.pin)
				bits = *e.Key.Prefixlen
			} else {
				assert.Nil(t, e.Key.Prefixlen, "%s: host key is the address alone", m.pin)
			}
			got = append(got, fmt.Sprintf("%d.%d.%d.%d/%d", a[0], a[1], a[2], a[3], bits))
			assert.Equal(t, 1, e.Value)
		}
	}
	assert.ElementsMatch(t, []string{"198.51.100.7/32", "192.0.2.128/25"}, got)

	var net []struct {
		XDP []struct {
			Devname string `json:"devname"`
			ID      uint32 `json:"id"`
			Mode    string `json:"mode"`
		} `json:"xdp"`
	}
	require.NoError(t, json.Unmarshal(run("-j", "net", "show"), &net))
	require.Len(t, net, 1)
	st, err := l.topo.DUTXDP()
	require.NoError(t, err)
	require.Len(t, net[0].XDP, 1, "bpftool net shows one XDP program: %+v", net)
	assert.Equal(t, "dut0", net[0].XDP[0].Devname)
	assert.Equal(t, st.ProgID, net[0].XDP[0].ID)
	assert.Equal(t, "generic", net[0].XDP[0].Mode)
}
