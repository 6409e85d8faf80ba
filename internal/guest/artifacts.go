package guest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// ReadArtifacts reads the regular files directly in dir, by base name, up
// to limit bytes in all; files past the limit are left out and named in the
// error (the rest are still returned).
func ReadArtifacts(dir string, limit int) (map[string][]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read artifacts: %w", err)
	}
	out := map[string][]byte{}
	var skipped []string
	total := 0
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			skipped = append(skipped, e.Name())
			continue
		}
		if total+len(data) > limit {
			skipped = append(skipped, e.Name())
			continue
		}
		total += len(data)
		out[e.Name()] = data
	}
	if len(out) == 0 {
		out = nil
	}
	if len(skipped) > 0 {
		return out, fmt.Errorf("artifacts %v in %s left out (unreadable or over %d bytes in all)", skipped, dir, limit)
	}
	return out, nil
}

// WriteArtifacts writes artifacts (as carried in a Report) into dir and
// returns the paths written, sorted. Names must be plain base names: a
// guest cannot write outside dir.
func WriteArtifacts(dir string, arts map[string][]byte) ([]string, error) {
	if len(arts) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write artifacts: %w", err)
	}
	var paths []string
	for name, data := range arts {
		if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
			return paths, fmt.Errorf("write artifacts: refusing name %q from the guest (not a base name)", name)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return paths, fmt.Errorf("write artifacts: %w", err)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths, nil
}
