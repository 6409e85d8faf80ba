package core

import "fmt"

// Preset stores r as the recorded result before the program runs, so a
// test can tell which fields the program overwrote: a sentinel the
// program should replace (e.g. a State that no task has) shows a write
// that never happened, which a zeroed map would hide when the right value
// is itself zero (TASK_RUNNING).
func (p *Program) Preset(r Result) error {
	v := coreCoreResult{Hits: r.Hits, State: r.State, Field: uint32(r.Field), Pid: r.PID, Tgid: r.TGID,
		TaskPid: r.TaskPID, TaskTgid: r.TaskTGID}
	if err := p.objs.Result.Put(uint32(0), &v); err != nil {
		return fmt.Errorf("preset core result: %w", err)
	}
	return nil
}
