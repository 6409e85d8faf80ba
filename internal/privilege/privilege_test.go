package privilege

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		job    Job
		capBPF bool
		want   []Cap
	}{
		{JobXDP, true, []Cap{CapBPF, CapNetAdmin, CapPerfmon}},
		{JobTracing, true, []Cap{CapBPF, CapPerfmon}},
		{JobMaps, true, []Cap{CapBPF}},
		{JobXDP, false, []Cap{CapSysAdmin, CapNetAdmin}},
		{JobTracing, false, []Cap{CapSysAdmin}},
	} {
		require.Equal(t, tc.want, Required(tc.job, tc.capBPF), "%s capBPF=%v", tc.job, tc.capBPF)
	}
}

func TestHaveSysAdminStandsIn(t *testing.T) {
	sysadmin := uint64(1) << uint(CapSysAdmin)
	require.True(t, have(sysadmin, CapBPF))
	require.True(t, have(sysadmin, CapPerfmon))
	require.False(t, have(sysadmin, CapNetAdmin))
	require.True(t, have(1<<uint(CapNetAdmin), CapNetAdmin))
}

func TestMissingErrorMessage(t *testing.T) {
	err := &MissingError{Job: JobXDP, Missing: []Cap{CapNetAdmin}}
	require.ErrorIs(t, err, unix.EPERM)
	require.Equal(t, "missing CAP_NET_ADMIN to load and attach the XDP firewall; run as root or grant it, e.g. `setcap cap_net_admin+ep bpflab`", err.Error())
}
