package objsign

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestObjectNameFollowsByteOrder(t *testing.T) {
	big := map[string]bool{"s390x": true, "ppc64": true, "mips": true, "mips64": true}[runtime.GOARCH]
	assert.Equal(t, big, BigEndian())
	want := map[bool]string{false: "execve_bpfel.o", true: "execve_bpfeb.o"}[big]
	assert.Equal(t, want, ObjectName("execve"))
	assert.Equal(t, map[bool]string{false: "el", true: "eb"}[big], string(Native([]byte("el"), []byte("eb"))))
}
