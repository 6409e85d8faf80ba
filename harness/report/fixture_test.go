package report

import "time"

// sampleMatrix is a small matrix with every kind of outcome.
func sampleMatrix() *Matrix {
	sec := func(f float64) Duration { return Duration(f * float64(time.Second)) }
	return &Matrix{
		Backend: "vng", DefaultBackend: "qemu", Duration: sec(30),
		Kernels: []Kernel{
			{
				Name: "host", Release: "6.18.0", Backend: "host", Accel: "host", Duration: sec(2),
				Phases: []Phase{{"test", sec(2)}},
				Tests: []Test{
					{Package: "scenarios/xdp", Name: "TestDrop", Status: Pass, Duration: sec(0.5)},
					{Package: "scenarios/xdp", Name: "TestDrop/ipv6", Status: Pass},
					{Package: "scenarios/execve", Name: "TestCount", Status: Pass},
				},
			},
			{
				Name: "5.10", Release: "5.10.0-46-amd64", Suite: "bullseye", Package: "linux-image-5.10.0-46-amd64-unsigned",
				Version: "5.10.262-1", Backend: "vng", Accel: "tcg", Duration: sec(25),
				Phases: []Phase{{"boot", sec(20)}, {"test", sec(5)}},
				Tests: []Test{
					{Package: "scenarios/xdp", Name: "TestDrop", Status: Fail, Reason: "got XDP_PASS, want XDP_DROP",
						Output: "xdp_test.go:40: got XDP_PASS, want XDP_DROP"},
					{Package: "scenarios/xdp", Name: "TestDrop/ipv6", Status: Skip, Reason: "BPF_LINK for XDP needs 5.9"},
					{Package: "scenarios/execve", Name: "TestCount", Status: Pass},
				},
			},
			{
				Name: "6.1", Backend: "vng", Accel: "tcg", Duration: sec(60),
				Error: "boot: no results after 60s", ErrorPhase: "boot", ConsoleTail: "Probing EDD\nKernel panic - not syncing",
				Console: "work/6.1/console.log",
			},
		},
	}
}
