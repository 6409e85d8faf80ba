package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bpflab/bpflab/harness/loadreport"
	"github.com/bpflab/bpflab/harness/probe"
)

// CollectArtifacts lists the files in dir (a kernel's artifacts directory)
// into k.Artifacts and loads the load report (loadreport-*.json) and probe
// results (probes-*.json) into k. A missing dir is not an error: scenarios
// that write nothing leave none.
func CollectArtifacts(k *Kernel, dir string) error {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("artifacts of kernel %s: %w", k.Name, err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		k.Artifacts = append(k.Artifacts, p)
		if !strings.HasSuffix(n, ".json") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("artifacts of kernel %s: %w", k.Name, err)
		}
		switch {
		case strings.HasPrefix(n, "loadreport-"):
			r, err := loadreport.ReadJSON(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("artifact %s: %w", p, err)
			}
			k.LoadReport = &r
		case strings.HasPrefix(n, probe.ArtifactPrefix):
			if !json.Valid(data) {
				return fmt.Errorf("artifact %s: not valid JSON", p)
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, data); err != nil {
				return fmt.Errorf("artifact %s: %w", p, err)
			}
			k.Probes = buf.Bytes()
		}
	}
	return nil
}
