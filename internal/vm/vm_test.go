package vm

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bpflab/bpflab/internal/guest"
)

func TestGuestResults(t *testing.T) {
	out := []byte("PASS\n")
	rs := GuestResults(
		guest.Result{Name: "ok", ExitCode: 0, Output: out},
		guest.Result{Name: "gone", ExitCode: -1, Output: out, Err: "exec: no such file"},
	)
	assert.Equal(t, "PASS\n", string(rs[0].Output))
	assert.Equal(t, "PASS\n\nbpflab-guest: exec: no such file\n", string(rs[1].Output))
	assert.Equal(t, "PASS\n", string(out), "the guest's output slice is not written to")
	assert.Equal(t, []string{"ok", "gone"}, []string{rs[0].Name, rs[1].Name})
	assert.Equal(t, -1, rs[1].ExitCode)
}
