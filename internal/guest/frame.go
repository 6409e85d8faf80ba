package guest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// frameMagic starts every frame header line: "@@BPFLAB1 <len> <crc32>\n",
// followed by exactly len bytes of JSON and a newline.
const frameMagic = "@@BPFLAB1 "

// maxFrame bounds a frame so a corrupted length cannot make the host
// allocate without limit.
const maxFrame = 256 << 20

// WriteFrame writes one record as a framed, checksummed message.
func WriteFrame(w io.Writer, rec Record) error {
	payload, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode %s record: %w", rec.Kind, err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "\n%s%d %08x\n", frameMagic, len(payload), crc32.ChecksumIEEE(payload))
	buf.Write(payload)
	buf.WriteByte('\n')
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("send %s record: %w", rec.Kind, err)
	}
	return nil
}

// ReadFrames reads framed records from r until EOF, calling fn for each
// valid one. Bytes outside frames are skipped. A frame with a bad length or
// checksum is reported through bad (if not nil) and skipped. It returns the
// read error, if any, other than EOF.
func ReadFrames(r io.Reader, fn func(Record), bad func(error)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		i := strings.Index(line, frameMagic)
		if i < 0 {
			continue
		}
		n, sum, perr := parseHeader(strings.TrimSpace(line[i+len(frameMagic):]))
		if perr != nil {
			report(bad, perr)
			continue
		}
		payload := make([]byte, n+1)
		if _, err := io.ReadFull(br, payload); err != nil {
			report(bad, fmt.Errorf("frame of %d bytes cut short: %w", n, err))
			return nil
		}
		payload = payload[:n]
		if got := crc32.ChecksumIEEE(payload); got != sum {
			report(bad, fmt.Errorf("frame checksum mismatch: header says %08x, payload has %08x", sum, got))
			continue
		}
		var rec Record
		if err := json.Unmarshal(payload, &rec); err != nil {
			report(bad, fmt.Errorf("decode frame: %w", err))
			continue
		}
		fn(rec)
	}
}

func parseHeader(h string) (int, uint32, error) {
	f := strings.Fields(h)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("bad frame header %q", h)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 0 || n > maxFrame {
		return 0, 0, fmt.Errorf("bad frame length in header %q", h)
	}
	sum, err := strconv.ParseUint(f[1], 16, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("bad frame checksum in header %q", h)
	}
	return n, uint32(sum), nil
}

func report(bad func(error), err error) {
	if bad != nil {
		bad(err)
	}
}
