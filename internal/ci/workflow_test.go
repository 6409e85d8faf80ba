package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/bpflab/bpflab/internal/kernel"
)

const workflow = "../../.github/workflows/kernel-matrix.yml"

func TestWorkflowLints(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go is not on PATH (%v): actionlint runs as `go tool actionlint`", err)
	}
	cmd := exec.Command(goBin, "tool", "actionlint", "-no-color", filepath.Base(workflow))
	cmd.Dir = filepath.Dir(workflow)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "actionlint:\n%s", out)
}

type workflowFile struct {
	Jobs map[string]struct {
		Needs    any `yaml:"needs"`
		Strategy struct {
			Matrix map[string]any `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Run  string            `yaml:"run"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func TestKernelJobsComeFromTheManifest(t *testing.T) {
	data, err := os.ReadFile(workflow)
	require.NoError(t, err)
	var wf workflowFile
	require.NoError(t, yaml.Unmarshal(data, &wf))

	kernelJob, ok := wf.Jobs["kernel"]
	require.True(t, ok, "workflow has no `kernel` job")
	require.Equal(t, "${{ fromJSON(needs.plan.outputs.kernels) }}", kernelJob.Strategy.Matrix["kernel"],
		"the kernel job's matrix must be the plan job's output, read from kernels/manifest")
	require.Equal(t, "plan", kernelJob.Needs)

	var planRuns []string
	for _, s := range wf.Jobs["plan"].Steps {
		planRuns = append(planRuns, s.Run)
	}
	require.Contains(t, strings.Join(planRuns, "\n"), "bpflab kernels list --json",
		"the plan job must list kernels with bpflab from the manifest")

	// No kernel name from the manifest may be spelled out in the workflow:
	// that would be a second list.
	m, err := kernel.LoadManifest("../../kernels/manifest")
	require.NoError(t, err)
	for _, name := range m.Names() {
		if name == "host" {
			continue
		}
		re := regexp.MustCompile(`(^|[^\w.])` + regexp.QuoteMeta(name) + `($|[^\w.])`)
		require.False(t, re.Match(data), "workflow mentions kernel %q literally; the list must come from kernels/manifest", name)
	}

	// Each kernel job runs the action any repository uses (action.yml),
	// which runs the same `bpflab matrix --kernels K` a user runs locally.
	var uses []string
	for _, s := range kernelJob.Steps {
		if s.Uses == "./" {
			uses = append(uses, s.With["kernels"])
		}
	}
	require.Equal(t, []string{"${{ matrix.kernel }}"}, uses, "the kernel job must run the repository's own action on its kernel")
	script, err := os.ReadFile("../../scripts/action.sh")
	require.NoError(t, err)
	require.Contains(t, string(script), `"$BPFLAB" matrix "${common[@]}"`)
	require.Contains(t, string(script), `common+=(--kernels "$INPUT_KERNELS")`)
}
