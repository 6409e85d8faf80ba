package probe

import (
	"encoding/json"
	"fmt"

	"github.com/bpflab/bpflab/harness/artifacts"
)

// Artifact is one kernel's probe results as the matrix keeps them: written
// by a scenario (WriteArtifact, as probes-<release>.json) and read by the
// report (ReadArtifact) for its probes table.
type Artifact struct {
	Kernel        string         `json:"kernel"`
	Results       []Result       `json:"results"`
	Disagreements []Disagreement `json:"disagreements"`
}

// ArtifactPrefix starts the file name of every probe artifact.
const ArtifactPrefix = "probes-"

// WriteArtifact writes a into the artifacts directory ($BPFLAB_ARTIFACTS)
// and returns its path, or "" when the variable is unset.
func WriteArtifact(a Artifact) (string, error) {
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return "", fmt.Errorf("probe artifact: %w", err)
	}
	return artifacts.Write(ArtifactPrefix+artifacts.Name(a.Kernel)+".json", data)
}

// ReadArtifact decodes what WriteArtifact wrote.
func ReadArtifact(data []byte) (Artifact, error) {
	var a Artifact
	if err := json.Unmarshal(data, &a); err != nil {
		return Artifact{}, fmt.Errorf("probe artifact: %w", err)
	}
	return a, nil
}
