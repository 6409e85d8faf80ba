package guest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFindAutoload(t *testing.T) {
	mods := []AutoloadModule{
		{Name: "xfrm_user", Aliases: []string{"net-pf-16-proto-6"}, Paths: []string{"/a/xfrm_algo.ko", "/a/xfrm_user.ko"}},
		{Name: "veth", Aliases: []string{"rtnl-link-veth"}, Paths: []string{"/a/veth.ko"}},
		{Name: "e1000", Aliases: []string{"pci:v00008086d0000100E*"}, Paths: []string{"/a/e1000.ko"}},
	}
	for _, tc := range []struct {
		request, want string
	}{
		{"net-pf-16-proto-6", "xfrm_user"},
		{"xfrm-user", "xfrm_user"}, // "-" and "_" are the same in names
		{"rtnl-link-veth", "veth"},
		{"pci:v00008086d0000100Esv00001AF4", "e1000"}, // glob alias
		{"net-pf-16-proto-21", ""},
	} {
		t.Run(tc.request, func(t *testing.T) {
			m, ok := findAutoload(mods, tc.request)
			require.Equal(t, tc.want != "", ok)
			require.Equal(t, tc.want, m.Name)
		})
	}
}

func TestModprobeRequest(t *testing.T) {
	name, ok := ModprobeRequest([]string{"-q", "--", "net-pf-16-proto-6"})
	require.True(t, ok, "the kernel's call_modprobe argv (this test is not PID 1)")
	require.Equal(t, "net-pf-16-proto-6", name)
	for _, args := range [][]string{nil, {"--spec", "/x"}, {"-q", "net-pf-16-proto-6"}} {
		_, ok := ModprobeRequest(args)
		require.False(t, ok, "%q", args)
	}
}
