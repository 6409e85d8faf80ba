package qemu

import (
	"bufio"
	"io"
	"strings"
	"sync"

	"github.com/bpflab/bpflab/internal/guest"
)

// Console lines that mean the kernel is going down. (An OOM kill is not
// one: the victim's result already says "killed by signal 9".)
var fatalMarks = []string{"Kernel panic - not syncing"}

// consoleTailLines is how much of the console a PhaseError carries.
const consoleTailLines = 40

// console follows ttyS0: it saves every byte, keeps a tail, streams the
// output of the running binary, and reports fatal kernel messages.
type console struct {
	mu    sync.Mutex
	tail  []string
	fatal chan string // first fatal line, buffered 1
}

func newConsole() *console {
	return &console{fatal: make(chan string, 1)}
}

// follow reads r until EOF. Everything is copied to save; lines between the
// guest's run/end markers go to stream.
func (c *console) follow(r io.Reader, save io.Writer, stream func(binary string, line []byte)) {
	br := bufio.NewReaderSize(io.TeeReader(r, save), 64<<10)
	running := ""
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			text := strings.TrimRight(string(line), "\r\n")
			c.add(text)
			switch {
			case strings.HasPrefix(text, guest.MarkRun):
				running = strings.TrimPrefix(text, guest.MarkRun)
			case strings.HasPrefix(text, guest.MarkEnd):
				running = ""
			case running != "" && stream != nil:
				stream(running, []byte(strings.TrimRight(string(line), "\r\n")+"\n"))
			}
			for _, m := range fatalMarks {
				if strings.Contains(text, m) {
					select {
					case c.fatal <- strings.TrimSpace(text):
					default:
					}
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (c *console) add(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tail = append(c.tail, line)
	if len(c.tail) > 4*consoleTailLines {
		c.tail = append([]string(nil), c.tail[len(c.tail)-consoleTailLines:]...)
	}
}

// Tail returns the last lines of the console.
func (c *console) Tail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tail
	if len(t) > consoleTailLines {
		t = t[len(t)-consoleTailLines:]
	}
	return strings.Join(t, "\n")
}
