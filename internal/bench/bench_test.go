package bench

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/bpflab/bpflab/internal/vm/vng"
)

// Environment knobs of BenchmarkBackends (make bench sets none of them).
const (
	envKernels = "BPFLAB_BENCH_KERNELS" // comma-separated manifest names
	envBoots   = "BPFLAB_BENCH_BOOTS"   // repetitions of each cheap boot (median kept)
	envVng     = "BPFLAB_BENCH_VNG"     // "0" skips the vng exec (minutes under TCG)
	envSuite   = "BPFLAB_BENCH_SUITE"   // "0" skips the full scenario suite
)

// Targets from the project's goals.
const (
	targetExecOverPVH = 1.2  // bpflab exec <= 1.2x the PVH floor
	targetVngOverExec = 10.0 // and >= 10x faster than vng
)

// row is one kernel's measurements; NaN means not measured.
type row struct {
	kernel                  string
	bz, pvh, exec, execBare float64 // wall seconds (medians)
	pvhCPU, execCPU         float64 // CPU seconds (medians)
	vng, suite              float64
	suiteTests              string
	notes                   []string
}

func (r row) execOverPVH() float64 { return r.exec / r.pvh }
func (r row) vngOverExec() float64 { return r.vng / r.exec }
func (r row) pvhOverBz() float64   { return r.pvh / r.bz }
func (r row) bareOverPVH() float64 { return r.execBare / r.pvh }
func nan() float64                 { return math.NaN() }
func (r row) cpuOverPVH() float64  { return r.execCPU / r.pvhCPU }

// BenchmarkBackends measures, per kernel and in one run: the bzImage and
// PVH bare-boot floors, `bpflab exec` of a trivial binary on the qemu
// backend (defaults, and bare: no autoload modules, no tools) and on vng, and the
// full scenario suite on the qemu backend; then it prints the ratios
// against the targets. Run it once per kernel (-benchtime 1x): cheap boots
// repeat $BPFLAB_BENCH_BOOTS times (default 3) inside and keep the median.
func BenchmarkBackends(b *testing.B) {
	f := newFixture(b)
	boots := 3
	if v, err := strconv.Atoi(os.Getenv(envBoots)); err == nil && v > 0 {
		boots = v
	}
	vngSkip := ""
	switch {
	case os.Getenv(envVng) == "0":
		vngSkip = envVng + "=0"
	case vng.Available() != nil:
		vngSkip = "vng not installed (scripts/setup-vng installs it)"
	}
	var rows []row
	for _, name := range benchKernels() {
		b.Run(name, func(b *testing.B) {
			var r row
			for b.Loop() {
				r = f.measure(b, name, boots, vngSkip)
			}
			for unit, v := range map[string]float64{
				"s/bzimage-boot": r.bz, "s/pvh-boot": r.pvh, "s/exec-qemu": r.exec, "s/exec-qemu-nomod": r.execBare,
				"s/exec-vng": r.vng, "s/suite": r.suite, "cpu-s/pvh-boot": r.pvhCPU, "cpu-s/exec-qemu": r.execCPU,
				"x-exec/pvh": r.execOverPVH(), "x-vng/exec": r.vngOverExec(), "x-pvh/bzimage": r.pvhOverBz(),
			} {
				if !math.IsNaN(v) {
					b.ReportMetric(v, unit)
				}
			}
			b.ReportMetric(0, "ns/op") // the wall time of everything is meaningless here
			rows = append(rows, r)
		})
	}
	printTable(os.Stdout, rows, f.accel)
}

// measure takes one kernel's row.
func (f *fixture) measure(b *testing.B, name string, boots int, vngSkip string) row {
	r := row{kernel: name, bz: nan(), pvh: nan(), exec: nan(), execBare: nan(), vng: nan(), suite: nan(), pvhCPU: nan(), execCPU: nan()}
	k := f.kernel(b, name)
	if k == nil {
		b.Skipf("%s is the host kernel: nothing to boot", name)
	}
	// Interleaved, so a load spike from other work hits every column alike.
	var bz, pvh, ex, bare []sample
	image := f.pvhImage(b, k)
	for range boots {
		bz = append(bz, f.bareBoot(b, k.Vmlinuz))
		if image != "" {
			pvh = append(pvh, f.bareBoot(b, image))
		}
		ex = append(ex, f.exec(b, "qemu", name))
		bare = append(bare, f.exec(b, "qemu", name, "--autoload", "", "--tools", ""))
	}
	b.Logf("%s: bzImage %v, PVH %v, exec %v, exec bare %v", name, bz, pvh, ex, bare)
	r.bz, _ = median(bz)
	r.exec, r.execCPU = median(ex)
	r.execBare, _ = median(bare)
	if image != "" {
		r.pvh, r.pvhCPU = median(pvh)
	} else {
		r.notes = append(r.notes, "no PVH note: the backend boots the bzImage")
	}
	if vngSkip == "" {
		// vng's own boot deadline can expire on a loaded machine: that is
		// a measurement (vng is that slow), not a reason to lose the row.
		if sm, err := f.tryExec("vng", name); err != nil {
			r.notes = append(r.notes, "vng failed: "+firstLine(err.Error()))
			b.Logf("%s: vng: %v", name, err)
		} else {
			r.vng = sm.wall.Seconds()
		}
	} else {
		r.notes = append(r.notes, "vng skipped: "+vngSkip)
	}
	if os.Getenv(envSuite) != "0" {
		k := f.suite(b, name, "qemu")
		r.suite = time.Duration(k.Duration).Seconds()
		var fails int
		r.suiteTests, fails = counts(k)
		if k.Error != "" {
			r.notes = append(r.notes, fmt.Sprintf("suite %s failed: %s", k.ErrorPhase, firstLine(k.Error)))
		} else if fails > 0 {
			r.notes = append(r.notes, fmt.Sprintf("suite: %d failing tests", fails))
		}
	} else {
		r.notes = append(r.notes, "suite skipped: "+envSuite+"=0")
	}
	return r
}

// benchKernels is $BPFLAB_BENCH_KERNELS, default the oldest and newest.
func benchKernels() []string {
	v := os.Getenv(envKernels)
	if v == "" {
		v = "5.10,7.x"
	}
	var out []string
	for _, k := range strings.Split(v, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// printTable writes the aligned summary with the ratios and the targets.
func printTable(w io.Writer, rows []row, accel string) {
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(w, "\nbpflab backends (%s, load average %s)\n", accel, strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\tbzImage floor\tPVH floor\texec qemu\texec qemu (bare)\texec vng\tsuite\texec/PVH\tvng/exec\tPVH/bzImage\tCPU: PVH floor\texec qemu\texec/PVH\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.kernel, s(r.bz), s(r.pvh), s(r.exec), s(r.execBare),
			s(r.vng), s(r.suite), x(r.execOverPVH()), x(r.vngOverExec()), x(r.pvhOverBz()), s(r.pvhCPU), s(r.execCPU), x(r.cpuOverPVH()))
	}
	tw.Flush()
	fmt.Fprintf(w, "targets: exec/PVH <= %.1fx, vng/exec >= %.0fx (wall; medians; CPU = user+sys of qemu and bpflab)\n", targetExecOverPVH, targetVngOverExec)
	for _, r := range rows {
		if r.suiteTests != "" {
			fmt.Fprintf(w, "%s suite: %s\n", r.kernel, r.suiteTests)
		}
		for _, n := range r.notes {
			fmt.Fprintf(w, "%s: %s\n", r.kernel, n)
		}
		if e := r.execOverPVH(); !math.IsNaN(e) && e > targetExecOverPVH {
			fmt.Fprintf(w, "%s: exec/PVH %.2fx misses the %.1fx target (bare %.2fx)\n", r.kernel, e, targetExecOverPVH, r.bareOverPVH())
		}
		if v := r.vngOverExec(); !math.IsNaN(v) && v < targetVngOverExec {
			fmt.Fprintf(w, "%s: vng/exec %.1fx misses the %.0fx target\n", r.kernel, v, targetVngOverExec)
		}
	}
}

func s(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.2fs", v)
}

func x(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.2fx", v)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
