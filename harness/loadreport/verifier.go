package loadreport

import (
	"regexp"
	"strconv"
	"strings"
)

// insnLine matches an instruction line of the verifier log, e.g.
// "3: (69) r1 = *(u16 *)(r3 +12)" or "3: R1=ctx() ... (69) r1 = ...".
var insnLine = regexp.MustCompile(`^\d+: (\([0-9a-f]{2}\) |R\d)`)

var statsLine = regexp.MustCompile(`processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+) mark_read (\d+)`)

// Offending returns the index of the last instruction line in a verifier
// log: the instruction the verifier was checking when it refused the
// program (the error message follows it).
func Offending(log []string) (int, bool) {
	for i := len(log) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(log[i]); insnLine.MatchString(l) && strings.Contains(l, ") ") {
			return i, true
		}
	}
	return -1, false
}

// ParseStats reads the statistics line of a verifier log; fields the log
// lacks are -1.
func ParseStats(log string) *VerifierStats {
	return parseStatsLines(strings.Split(log, "\n"))
}

func parseStatsLines(lines []string) *VerifierStats {
	st := &VerifierStats{InsnsProcessed: -1, MaxStatesPerInsn: -1, TotalStates: -1, PeakStates: -1, MarkRead: -1}
	for _, l := range lines {
		m := statsLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n := make([]int, 5)
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
		st.InsnsProcessed, st.MaxStatesPerInsn, st.TotalStates, st.PeakStates, st.MarkRead = n[0], n[1], n[2], n[3], n[4]
		st.Raw = strings.TrimSpace(l)
	}
	return st
}
