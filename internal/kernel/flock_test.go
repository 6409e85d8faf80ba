package kernel

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLockFileExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.lock")
	var log bytes.Buffer
	unlock, err := lockFile(context.Background(), path, &log)
	require.NoError(t, err)

	// A second holder (a separate open file, as another process has) waits
	// and gives up at its deadline with a message naming the lock.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = lockFile(ctx, path, &log)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, path)
	assert.Contains(t, log.String(), "waiting for "+path)

	// Once released, the lock is free again.
	got := make(chan error, 1)
	go func() {
		u, err := lockFile(context.Background(), path, &log)
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	unlock()
	select {
	case err := <-got:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("lock not acquired 5s after release")
	}
}

func TestNotFound(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&CommandError{Cmd: "apt-get download x=1", Err: errors.New("exit status 100"),
			Stderr: "E: Version '1' for 'x' was not found"}, true},
		{&CommandError{Cmd: "apt-get download x=1", Err: errors.New("exit status 100"),
			Stderr: "E: Failed to fetch http://deb.example/pool/x.deb  404  Not Found [IP: 1.2.3.4 80]"}, true},
		{&CommandError{Cmd: "apt-get download x=1", Err: errors.New("exit status 100"),
			Stderr: "E: Could not resolve 'mirror'"}, false},
		{errors.New("was not found"), false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, notFound(tt.err), tt.err.Error())
	}
	ce := &CommandError{Cmd: "dpkg-deb -x a b", Err: errors.New("exit status 2"), Stderr: "dpkg-deb: error: bad archive\n"}
	assert.Equal(t, "dpkg-deb -x a b: exit status 2: dpkg-deb: error: bad archive", ce.Error())
}

func TestRunTimeout(t *testing.T) {
	_, err := run(context.Background(), 100*time.Millisecond, "", "sleep", "5")
	var ce *CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "sleep 5", ce.Cmd)
	assert.ErrorContains(t, err, "timed out after 100ms")
}
