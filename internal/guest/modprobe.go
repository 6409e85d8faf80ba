package guest

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
)

// AutoloadModule is a module the kernel may request by name or alias.
type AutoloadModule struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"` // may be globs, as in .modinfo
	Paths   []string `json:"paths"`             // .ko files, dependencies first
}

// modprobeHelper is /proc/sys/kernel/modprobe's setting: the kernel runs
// it as `/init -q -- NAME` (call_modprobe), as a process that is not PID 1.
const modprobeHelper = "/init"

// ModprobeRequest reports whether args (without argv[0]) are the kernel's
// request_module call, and for which module or alias.
func ModprobeRequest(args []string) (string, bool) {
	if len(args) == 3 && args[0] == "-q" && args[1] == "--" && os.Getpid() != 1 {
		return args[2], true
	}
	return "", false
}

// Modprobe serves one request_module: it loads the spec's autoload module
// whose name or alias matches, dependencies first. The exit status is what
// the kernel sees: 0 loaded (or already there), 1 not found or failed.
func Modprobe(name string) int {
	spec, err := ReadSpec(SpecPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bpflab-guest modprobe %s: %v\n", name, err)
		return 1
	}
	m, ok := findAutoload(spec.Autoload, name)
	if !ok {
		return 1 // not carried: the kernel reports the feature as missing
	}
	for _, p := range m.Paths {
		if err := finitModule(p); err != nil {
			fmt.Fprintf(os.Stderr, "bpflab-guest modprobe %s: %v\n", name, err)
			return 1
		}
	}
	return 0
}

// findAutoload matches a request against module names ("-" and "_" are
// the same) and aliases (glob patterns, like modprobe's).
func findAutoload(mods []AutoloadModule, name string) (AutoloadModule, bool) {
	norm := strings.ReplaceAll(name, "-", "_")
	for _, m := range mods {
		if strings.ReplaceAll(m.Name, "-", "_") == norm {
			return m, true
		}
	}
	for _, m := range mods {
		if slices.ContainsFunc(m.Aliases, func(a string) bool {
			ok, err := path.Match(a, name)
			return err == nil && ok
		}) {
			return m, true
		}
	}
	return AutoloadModule{}, false
}

// enableAutoload points the kernel's module loader at this runner.
func enableAutoload(spec *Spec) error {
	if len(spec.Autoload) == 0 {
		return nil
	}
	if err := os.WriteFile("/proc/sys/kernel/modprobe", []byte(modprobeHelper), 0); err != nil {
		return fmt.Errorf("set kernel.modprobe for autoload: %w", err)
	}
	return nil
}
