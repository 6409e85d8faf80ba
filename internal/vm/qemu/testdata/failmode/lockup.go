package main

import (
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
)

// softLockup makes the kernel report a real soft lockup: with
// kernel.watchdog_thresh=1 a CPU that does not schedule for 2 s is
// reported ("BUG: soft lockup - CPU#N stuck for 2s!"). One
// BPF_PROG_TEST_RUN of an XDP program that calls bpf_loop (5.17+) many
// times keeps its CPU busy in the kernel without a scheduling point on a
// voluntary-preemption kernel (Debian's 6.1). Guests only: on a host it
// would stall a real CPU.
func softLockup(target time.Duration) error {
	if os.Getenv("BPFLAB_GUEST") != "1" {
		return fmt.Errorf("refusing to lock up a CPU outside a bpflab guest (BPFLAB_GUEST is not 1)")
	}
	if err := os.WriteFile("/proc/sys/kernel/watchdog_thresh", []byte("1"), 0); err != nil {
		return fmt.Errorf("lower the watchdog threshold: %w", err)
	}
	// Calibrate: how long does one bpf_loop of 1<<23 empty iterations take here?
	one, err := runLoops(1)
	if err != nil {
		return err
	}
	calls := int(target/max(one, time.Millisecond)) + 1
	calls = min(calls, 4000)
	fmt.Printf("one bpf_loop(1<<23) took %v; running %d in one program run\n", one, calls)
	took, err := runLoops(calls)
	if err != nil {
		return err
	}
	fmt.Printf("the program ran for %v without scheduling (the kernel caps the figure at 4.29s)\n", took)
	time.Sleep(500 * time.Millisecond) // let the console catch up
	return nil
}

// runLoops loads an XDP program calling bpf_loop(1<<23, cb) n times and
// runs it once, returning the kernel-measured run time.
func runLoops(n int) (time.Duration, error) {
	i32 := &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
	u32 := &btf.Int{Name: "unsigned int", Size: 4}
	voidp := &btf.Pointer{Target: &btf.Void{}}
	mainFn := &btf.Func{Name: "lockup", Linkage: btf.GlobalFunc,
		Type: &btf.FuncProto{Return: i32, Params: []btf.FuncParam{{Name: "ctx", Type: voidp}}}}
	cbFn := &btf.Func{Name: "spin", Linkage: btf.StaticFunc,
		Type: &btf.FuncProto{Return: i32, Params: []btf.FuncParam{{Name: "i", Type: u32}, {Name: "data", Type: voidp}}}}

	var insns asm.Instructions
	for i := range n {
		ins := []asm.Instruction{
			asm.Mov.Imm(asm.R1, 1<<23),
			{OpCode: asm.LoadImmOp(asm.DWord), Dst: asm.R2, Src: asm.PseudoFunc, Constant: -1},
			asm.Mov.Imm(asm.R3, 0),
			asm.Mov.Imm(asm.R4, 0),
			asm.FnLoop.Call(),
		}
		ins[1] = ins[1].WithReference("spin")
		if i == 0 {
			ins[0] = btf.WithFuncMetadata(ins[0].WithSymbol("lockup"), mainFn)
		}
		insns = append(insns, ins...)
	}
	insns = append(insns,
		asm.Mov.Imm(asm.R0, 2), // XDP_PASS
		asm.Return(),
		btf.WithFuncMetadata(asm.Mov.Imm(asm.R0, 0).WithSymbol("spin"), cbFn), // 0: continue
		asm.Return(),
	)
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Name: "lockup", Type: ebpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		return 0, fmt.Errorf("load the bpf_loop program: %w", err)
	}
	defer prog.Close()
	ret, took, err := prog.Benchmark(make([]byte, 64), 1, nil)
	if err != nil {
		return 0, fmt.Errorf("run the bpf_loop program: %w", err)
	}
	if ret != 2 {
		return 0, fmt.Errorf("the bpf_loop program returned %d, want XDP_PASS", ret)
	}
	return took, nil
}
