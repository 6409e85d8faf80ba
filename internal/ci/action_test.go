package ci

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// actionFile is the part of action.yml the tests read.
type actionFile struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			Run string            `yaml:"run"`
			Env map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func TestActionPassesEveryInputToTheScript(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	require.NoError(t, err)
	var a actionFile
	require.NoError(t, yaml.Unmarshal(data, &a))
	require.Equal(t, "composite", a.Runs.Using)
	env := map[string]string{}
	for _, s := range a.Runs.Steps {
		for k, v := range s.Env {
			env[k] = v
		}
	}
	for in, name := range map[string]string{"packages": "INPUT_PACKAGES", "objects": "INPUT_OBJECTS",
		"kernels": "INPUT_KERNELS", "baseline": "INPUT_BASELINE", "output-dir": "INPUT_OUTPUT_DIR", "cover": "INPUT_COVER"} {
		_, ok := a.Inputs[in]
		require.True(t, ok, "input %s", in)
		assert.Equal(t, "${{ inputs."+in+" }}", env[name], "input %s reaches the script as %s", in, name)
	}
}

// runAction runs scripts/action.sh as action.yml does, with a real static
// bpflab, on the host kernel only: nothing is downloaded.
func runAction(t *testing.T, bpflab, dir string, env ...string) (int, string, string) {
	t.Helper()
	script, err := filepath.Abs("../../scripts/action.sh")
	require.NoError(t, err)
	summary := filepath.Join(t.TempDir(), "summary.md")
	cmd := exec.Command("bash", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"BPFLAB=" + bpflab, "GITHUB_STEP_SUMMARY=" + summary}, env...)...)
	out, _ := cmd.CombinedOutput()
	sum, _ := os.ReadFile(summary)
	return cmd.ProcessState.ExitCode(), string(out), string(sum)
}

func TestActionScriptRefusesNoWork(t *testing.T) {
	code, out, _ := runAction(t, "/nonexistent/bpflab", t.TempDir(), "INPUT_PACKAGES=", "INPUT_OBJECTS=")
	assert.Equal(t, 2, code)
	assert.Contains(t, out, "set packages")
}

func TestActionScriptOnHost(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: bpflab check loads BPF programs on the host kernel")
	}
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "bpflab")
	build := exec.Command("go", "build", "-o", bin, "./cmd/bpflab")
	build.Dir, build.Env = repo, append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	// A project of its own: the external fixture module, outside the repo.
	proj := filepath.Join(t.TempDir(), "extmod")
	require.NoError(t, os.CopyFS(proj, os.DirFS(filepath.Join(repo, "internal", "anyproject", "testdata", "extmod"))))
	mod, err := os.ReadFile(filepath.Join(proj, "go.mod"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(proj, "go.mod"), bytes.Replace(mod, []byte("=> ../../../.."), []byte("=> "+repo), 1), 0o644))

	inputs := []string{"INPUT_KERNELS=host", "INPUT_PACKAGES=./...", "INPUT_OBJECTS=testdata/*.o", "INPUT_OUTPUT_DIR=res", "INPUT_COVER=true"}
	code, log, summary := runAction(t, bin, proj, inputs...)
	assert.Equal(t, 1, code, "core_missing fails on every kernel:\n%s", log)
	assert.Contains(t, summary, "## bpflab matrix")
	assert.Contains(t, summary, "## bpflab check")
	assert.Contains(t, summary, "CORE_RELOCATION_FAILED")
	for _, f := range []string{"matrix.json", "matrix.xml", "check.json", "check.xml", "cover/host.out", "cover/merged.out"} {
		assert.FileExists(t, filepath.Join(proj, "res", f))
	}

	// With the check's own results as the baseline nothing regressed.
	code, log, _ = runAction(t, bin, proj, "INPUT_KERNELS=host", "INPUT_PACKAGES=", "INPUT_OBJECTS=testdata/*.o",
		"INPUT_OUTPUT_DIR=res2", "INPUT_BASELINE=res/check.json")
	assert.Equal(t, 0, code, log)
}
