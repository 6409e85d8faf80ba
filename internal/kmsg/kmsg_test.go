package kmsg

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormat(t *testing.T) {
	assert.Equal(t, "[   12.104512] watchdog: BUG: soft lockup - CPU#0 stuck for 3s! [failmode:71]\n",
		Format([]byte("0,812,12104512,-;watchdog: BUG: soft lockup - CPU#0 stuck for 3s! [failmode:71]\n SUBSYSTEM=cpu\n")))
	assert.Equal(t, "[    1.000000] a\n[    1.000000] b\n", Format([]byte(`4,1,1000000,c;a\x0ab`+"\n")))
}

// TestReadNewSeesOnlyNewRecords writes a record to the host's kernel log
// (root) and reads it back, without the records logged before Open.
func TestReadNewSeesOnlyNewRecords(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("writing to /dev/kmsg needs root")
	}
	r, err := Open(true)
	require.NoError(t, err)
	defer r.Close()
	mark := "bpflab kmsg test " + time.Now().Format(time.RFC3339Nano)
	require.NoError(t, os.WriteFile(Path, []byte(mark+"\n"), 0))
	got, err := r.ReadNew()
	require.NoError(t, err)
	assert.Contains(t, got, mark)
	assert.NotContains(t, got, "Linux version", "old records are skipped")
	again, err := r.ReadNew()
	require.NoError(t, err)
	assert.NotContains(t, again, mark, "a record is returned once")
	assert.True(t, strings.HasPrefix(got, "["), "%q", got)
}
