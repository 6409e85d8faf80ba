package kernel

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "1.1", -1},
		{"1.10", "1.9", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1", "1.0~rc2", -1},
		{"1.0~~", "1.0~", -1},
		{"1.0", "1.0+b1", -1},
		{"1.0a", "1.0", 1},
		{"1.0a", "1.0+", -1}, // letters sort before non-letters
		{"1:1.0", "2.0", 1},
		{"0:1.0", "1.0", 0},
		{"1.0-1", "1.0-2", -1},
		{"1.0-10", "1.0-9", 1},
		{"1.0", "1.0-0", 0},
		{"007", "7", 0},
		// kernels as the archive carries them
		{"6.1.192-2", "6.1.192-1", 1},
		{"6.1.192-1", "6.1.158-1", 1},
		{"5.10.262-1", "5.10.237-1", 1},
		{"6.12.118-1", "6.12.95-1~bpo12+1", 1},
		{"6.12.95-1~bpo12+1", "6.12.95-1", -1},
		{"7.2.13-1", "7.2.13-1+b1", -1},
		{"7.2~rc5-1~exp1", "7.2.1-1", -1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_vs_"+tt.b, func(t *testing.T) {
			assert.Equal(t, tt.want, CompareVersions(tt.a, tt.b))
			assert.Equal(t, -tt.want, CompareVersions(tt.b, tt.a), "antisymmetric")
		})
	}
}

func TestValidVersion(t *testing.T) {
	for _, v := range []string{"1.0", "1:6.1.192-2", "6.12.95-1~bpo12+1", "7.2.13-1"} {
		assert.NoError(t, ValidVersion(v), v)
	}
	for _, v := range []string{"", "a1.0", "x:1.0", "1.0 beta", "1.0/2"} {
		assert.Error(t, ValidVersion(v), v)
	}
}
