package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var today = time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)

func TestParseQuarantine(t *testing.T) {
	q, err := ParseQuarantine("kernels/quarantine", []byte(`
# test pattern | kernels | expires | reason
scenarios/xdp TestVerdicts/native$ | 6.1, 7.x | 2026-12-31 | flips under TCG, issue 42
^scenarios/execve  | *        | 2026-11-26 | one more day
`), today)
	require.NoError(t, err)
	require.Len(t, q, 2)
	assert.Equal(t, []string{"6.1", "7.x"}, q[0].Kernels)
	assert.Equal(t, "flips under TCG, issue 42", q[0].Reason)
	assert.Equal(t, 3, q[0].Line)

	for _, tc := range []struct{ name, in, want string }{
		{"no reason", "scenarios/xdp TestA | * | 2026-12-31 |", "kernels/quarantine:1: no reason"},
		{"missing field", "scenarios/xdp TestA | * | flaky", "3 fields, want 4"},
		{"expired", "scenarios/xdp TestA | * | 2026-11-25 | flaky", "expired on 2026-11-25 (flaky): fix the test"},
		{"expired long ago", "x | 6.1 | 2025-01-01 | flaky", "expired"},
		{"bad date", "x | 6.1 | 31.12.2026 | flaky", "want YYYY-MM-DD"},
		{"bad pattern", "x( | 6.1 | 2026-12-31 | flaky", "pattern"},
		{"no kernels", "x | , | 2026-12-31 | flaky", "no kernels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseQuarantine("kernels/quarantine", []byte(tc.in), today)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var pe *PolicyError
			assert.ErrorAs(t, err, &pe)
		})
	}
}

func TestQuarantinePolicy(t *testing.T) {
	q, err := ParseQuarantine("q", []byte("scenarios/xdp TestDrop$ | 5.10 | 2026-12-31 | flaky verdict under TCG\n"), today)
	require.NoError(t, err)
	m := sampleMatrix()
	m.Kernels = m.Kernels[:2] // host passes, 5.10 fails TestDrop
	require.True(t, m.Failed())
	for i := range m.Kernels {
		ApplyQuarantine(&m.Kernels[i], q)
	}
	assert.Empty(t, m.Kernels[0].Tests[0].Quarantined, "the entry names 5.10 only")
	assert.Equal(t, "flaky verdict under TCG (until 2026-12-31)", m.Kernels[1].Tests[0].Quarantined)
	assert.Empty(t, m.Kernels[1].Tests[1].Quarantined, "TestDrop/ipv6 is not TestDrop")
	assert.False(t, m.Failed(), "a quarantined failure does not fail the matrix")
	assert.Equal(t, Fail, m.Kernels[1].Tests[0].Status, "it still runs and shows as failed")

	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, m))
	assert.Contains(t, buf.String(), `<skipped message="quarantined (flaky verdict under TCG (until 2026-12-31)), failed: got XDP_PASS, want XDP_DROP">`)
	buf.Reset()
	require.NoError(t, WriteTable(&buf, m))
	assert.Contains(t, buf.String(), "fail(q)")
	assert.Contains(t, buf.String(), "quarantined, not failing the matrix: flaky verdict under TCG")

	m.Kernels[1].Tests[1].Status = Fail // a failure outside the quarantine
	assert.True(t, m.Failed())
}

func TestSplatAllowlist(t *testing.T) {
	list, err := ParseSplatAllowlist("a", []byte("WARNING: .* at net/core/dev\\.c | host, 6.1 | known, fixed upstream in v6.2\n"))
	require.NoError(t, err)
	_, err = ParseSplatAllowlist("a", []byte("WARNING: | * | \n"))
	assert.ErrorContains(t, err, "no reason")

	k := Kernel{Name: "6.1", Splats: ScanSplats(warnOnce + "\n" + softLockup)}
	AllowSplats(&k, list)
	require.Len(t, k.Splats, 2)
	assert.Equal(t, "known, fixed upstream in v6.2", k.Splats[0].Allowed)
	assert.Empty(t, k.Splats[1].Allowed, "the soft lockup is not allowed")
	assert.True(t, k.Failed())

	other := Kernel{Name: "5.10", Splats: ScanSplats(warnOnce)}
	AllowSplats(&other, list)
	assert.True(t, other.Failed(), "the entry does not cover 5.10")
}
