package netlab

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/sys/unix"
)

func TestVethError(t *testing.T) {
	err := vethError(unix.EOPNOTSUPP)
	assert.ErrorContains(t, err, "veth: operation not supported; load the veth module")
	assert.True(t, errors.Is(err, unix.EOPNOTSUPP), "the errno stays inspectable")

	err = vethError(unix.EEXIST)
	assert.NotContains(t, err.Error(), "load the veth module")
	assert.ErrorContains(t, err, "create veth pair dut0/peer0")
}
