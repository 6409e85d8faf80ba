package guard

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Scope is where the policy applies.
type Scope struct {
	// CgroupPath is the cgroup v2 directory; "" is the whole system.
	CgroupPath string
	CgroupID   uint64
}

func (s Scope) String() string {
	if s.CgroupID == 0 {
		return "system"
	}
	if s.CgroupPath == "" {
		return fmt.Sprintf("cgroup id %d", s.CgroupID)
	}
	return fmt.Sprintf("cgroup:%s (id %d)", s.CgroupPath, s.CgroupID)
}

// ParseScope reads "system" or "cgroup:PATH"; PATH is a cgroup v2 directory,
// absolute or relative to the cgroup2 mount.
func ParseScope(s string) (Scope, error) {
	switch {
	case s == "system":
		return Scope{}, nil
	case strings.HasPrefix(s, "cgroup:"):
		p := strings.TrimPrefix(s, "cgroup:")
		dir, id, err := CgroupDir(p)
		if err != nil {
			return Scope{}, fmt.Errorf("scope %q: %w", s, err)
		}
		return Scope{CgroupPath: dir, CgroupID: id}, nil
	}
	return Scope{}, fmt.Errorf("scope %q: want system or cgroup:PATH (%w)", s, ErrBadInput)
}

// CgroupDir resolves p to a cgroup v2 directory and its id (on cgroup2 the
// directory's inode number is the cgroup id bpf_get_current_cgroup_id and
// kernfs_node->id report).
func CgroupDir(p string) (string, uint64, error) {
	if !filepath.IsAbs(p) {
		root, err := Cgroup2Mount()
		if err != nil {
			return "", 0, err
		}
		p = filepath.Join(root, p)
	}
	var sfs unix.Statfs_t
	if err := unix.Statfs(p, &sfs); err != nil {
		return "", 0, fmt.Errorf("cgroup %s: %w (%w: create it first, e.g. mkdir)", p, err, ErrBadInput)
	}
	if sfs.Type != unix.CGROUP2_SUPER_MAGIC {
		return "", 0, fmt.Errorf("cgroup %s: not on a cgroup v2 filesystem (%w)", p, ErrBadInput)
	}
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return "", 0, fmt.Errorf("cgroup %s: %w", p, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return "", 0, fmt.Errorf("cgroup %s: not a directory (%w)", p, ErrBadInput)
	}
	return p, st.Ino, nil
}

// Cgroup2Mount finds where the cgroup v2 hierarchy is mounted
// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems).
func Cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER
		fields := strings.Fields(sc.Text())
		for i, fld := range fields {
			if fld == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" && len(fields) > 4 {
				return fields[4], nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	return "", fmt.Errorf("no cgroup2 filesystem is mounted (%w: mount -t cgroup2 none /sys/fs/cgroup, or use --scope system)", ErrBadInput)
}
