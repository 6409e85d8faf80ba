package vmlinux

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// xzTimeout bounds one decompression: a kernel payload takes about a
// second; minutes mean xz is stuck.
const xzTimeout = 2 * time.Minute

// unxz decodes the xz stream at the start of p with the xz tool (xz-utils,
// which scripts/setup installs): every block, the x86 BCJ filter the kernel
// build applies and the stream's integrity check. The kernel appends the
// uncompressed size after the stream; --single-stream ignores what follows
// the first stream.
func unxz(p []byte) ([]byte, error) {
	bin, err := exec.LookPath("xz")
	if err != nil {
		return nil, fmt.Errorf("xz payload: the xz tool (xz-utils) is needed to decompress it; scripts/setup installs it: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), xzTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--decompress", "--stdout", "--single-stream", "--quiet", "--no-warn")
	cmd.Stdin = bytes.NewReader(p)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("xz: no result within %v", xzTimeout)
		}
		return nil, fmt.Errorf("xz: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out.Bytes(), nil
}
