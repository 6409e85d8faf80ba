package mutate

import (
	"fmt"
	"strconv"
	"strings"
)

// Replacement tables. Each swap is something a developer could write by
// mistake and that still compiles: the same type, the same arity.
var (
	relational = map[string]string{">": ">=", ">=": ">", "<": "<=", "<=": "<", "==": "!=", "!=": "=="}

	// Named constants: enum constants in vmlinux.h (XDP_*, BPF_*) or macros
	// a program defines itself (TC_ACT_*).
	namedConstants = map[string]struct {
		op   string
		repl []string
	}{
		"XDP_PASS":      {OpAction, []string{"XDP_DROP"}},
		"XDP_DROP":      {OpAction, []string{"XDP_PASS"}},
		"XDP_TX":        {OpAction, []string{"XDP_PASS"}},
		"XDP_ABORTED":   {OpAction, []string{"XDP_DROP"}},
		"XDP_REDIRECT":  {OpAction, []string{"XDP_PASS"}},
		"TC_ACT_OK":     {OpAction, []string{"TC_ACT_SHOT"}},
		"TC_ACT_SHOT":   {OpAction, []string{"TC_ACT_OK"}},
		"TC_ACT_UNSPEC": {OpAction, []string{"TC_ACT_OK"}},
		"SK_PASS":       {OpAction, []string{"SK_DROP"}},
		"SK_DROP":       {OpAction, []string{"SK_PASS"}},
		"BPF_NOEXIST":   {OpMapFlag, []string{"BPF_ANY", "BPF_EXIST"}},
		"BPF_ANY":       {OpMapFlag, []string{"BPF_NOEXIST", "BPF_EXIST"}},
		"BPF_EXIST":     {OpMapFlag, []string{"BPF_ANY", "BPF_NOEXIST"}},
	}

	helpers = map[string]string{
		"bpf_probe_read_user":       "bpf_probe_read_kernel",
		"bpf_probe_read_kernel":     "bpf_probe_read_user",
		"bpf_probe_read_user_str":   "bpf_probe_read_kernel_str",
		"bpf_probe_read_kernel_str": "bpf_probe_read_user_str",
		"bpf_ringbuf_submit":        "bpf_ringbuf_discard",
		"bpf_ringbuf_discard":       "bpf_ringbuf_submit",
		"bpf_get_current_pid_tgid":  "bpf_get_current_uid_gid",
		"bpf_get_current_uid_gid":   "bpf_get_current_pid_tgid",
		"bpf_ktime_get_ns":          "bpf_ktime_get_boot_ns",
		"bpf_ktime_get_boot_ns":     "bpf_ktime_get_ns",
	}

	// Sibling fields of the same type in the same struct.
	fields = map[string]string{
		"saddr": "daddr", "daddr": "saddr", "source": "dest", "dest": "source",
		"sport": "dport", "dport": "sport", "h_source": "h_dest", "h_dest": "h_source",
		"pid": "tgid", "tgid": "pid", "uid": "gid", "gid": "uid", "euid": "egid", "egid": "euid",
		"task_pid": "task_tgid", "task_tgid": "task_pid", "real_parent": "parent", "parent": "real_parent",
		"data": "data_end", "data_end": "data", "ifindex": "ingress_ifindex", "ingress_ifindex": "ifindex",
	}

	byteOrder = map[string]bool{
		"bpf_htons": true, "bpf_ntohs": true, "bpf_htonl": true, "bpf_ntohl": true,
		"bpf_cpu_to_be64": true, "bpf_be64_to_cpu": true,
	}
)

// collector walks one function body and gathers candidate edits.
type collector struct {
	src   []byte
	main  string
	edits []edit
}

func (c *collector) add(op string, off, end int, repl string) {
	c.edits = append(c.edits, edit{op: op, off: off, end: end, repl: repl})
}

// tokenIs reports whether the main-file point holds exactly the token want.
func (c *collector) tokenIs(p point, want string) bool {
	return p.ok && p.off+len(want) <= len(c.src) && tokenAt(c.src, p.off) == want
}

// endOf returns the main-file offset just after a range's end token; a
// function-like macro there (the dump records only its name) extends to
// its closing parenthesis.
func (c *collector) endOf(l astLoc) (int, bool) {
	p := mainPoint(l, c.main)
	if !p.ok {
		return 0, false
	}
	if p.macro {
		if end, _, ok := macroCall(c.src, p.off); ok {
			return end, true
		}
	}
	return p.off + p.tokLen, true
}

func (c *collector) beginOf(l astLoc) (int, bool) {
	p := mainPoint(l, c.main)
	return p.off, p.ok
}

// walk visits n; parent is its enclosing node.
func (c *collector) walk(n, parent *astNode, funcBody *astNode) {
	c.macros(n)
	switch n.Kind {
	case "BinaryOperator":
		c.binary(n)
	case "DeclRefExpr":
		c.declRef(n)
	case "MemberExpr":
		c.member(n)
	case "IntegerLiteral":
		c.integer(n)
	case "CompoundStmt":
		if p := mainPoint(n.Range.Begin, c.main); !p.ok || p.macro {
			break // a block inside a macro body, e.g. BPF_CORE_READ's ({ ... })
		}
		for i, s := range n.Inner {
			last := i == len(n.Inner)-1
			c.deleteStmt(s, ";", n == funcBody && last)
		}
	case "IfStmt":
		if p := mainPoint(n.Range.Begin, c.main); !p.ok || p.macro {
			break
		}
		for i, s := range n.Inner {
			if i > 0 && s.Kind != "CompoundStmt" { // then/else without braces
				c.deleteExprStmt(s, "{}")
			}
		}
	}
	for _, k := range n.Inner {
		c.walk(k, n, funcBody)
	}
}

// macros finds macro invocations expanded at n's locations: byte-order
// conversions and named constants that are macros.
func (c *collector) macros(n *astNode) {
	for _, l := range []astLoc{n.Loc, n.Range.Begin} {
		p := mainPoint(l, c.main)
		if !p.ok || !p.macro {
			continue
		}
		name := tokenAt(c.src, p.off)
		if byteOrder[name] {
			if end, arg, ok := macroCall(c.src, p.off); ok && arg != "" {
				if !simpleExpr(arg) {
					arg = "(" + arg + ")"
				}
				c.add(OpByteOrder, p.off, end, arg)
			}
		}
		if nc, ok := namedConstants[name]; ok {
			for _, r := range nc.repl {
				c.add(nc.op, p.off, p.off+len(name), r)
			}
		}
	}
}

// simpleExpr reports whether s is one identifier or number.
func simpleExpr(s string) bool {
	return s != "" && tokenAt([]byte(s), 0) == s
}

func (c *collector) binary(n *astNode) {
	repl, ok := relational[n.Opcode]
	if !ok || len(n.Inner) != 2 {
		return
	}
	from, ok1 := c.endOf(n.Inner[0].Range.End)
	to, ok2 := c.beginOf(n.Inner[1].Range.Begin)
	if !ok1 || !ok2 || from > to {
		return
	}
	if at := operatorBetween(c.src, from, to, n.Opcode); at >= 0 {
		c.add(OpRelational, at, at+len(n.Opcode), repl)
	}
}

func (c *collector) declRef(n *astNode) {
	if n.ReferencedDecl == nil {
		return
	}
	name := n.ReferencedDecl.Name
	p := mainPoint(n.Range.Begin, c.main)
	if p.macro || !c.tokenIs(p, name) {
		return
	}
	if nc, ok := namedConstants[name]; ok && n.ReferencedDecl.Kind == "EnumConstantDecl" {
		for _, r := range nc.repl {
			c.add(nc.op, p.off, p.off+len(name), r)
		}
	}
	if r, ok := helpers[name]; ok {
		c.add(OpHelper, p.off, p.off+len(name), r)
	}
}

func (c *collector) member(n *astNode) {
	r, ok := fields[n.Name]
	if !ok {
		return
	}
	// The dump gives a MemberExpr no loc: its range ends at the member name.
	p := mainPoint(n.Range.End, c.main)
	if p.macro || !c.tokenIs(p, n.Name) {
		return
	}
	c.add(OpField, p.off, p.off+len(n.Name), r)
}

func (c *collector) integer(n *astNode) {
	p := spellingPoint(n.Range.Begin, c.main)
	if !p.ok {
		return
	}
	if e := mainPoint(n.Range.Begin, c.main); e.ok && e.macro {
		if _, named := namedConstants[tokenAt(c.src, e.off)]; named {
			return // TC_ACT_OK's value: the action operator swaps the name instead
		}
	}
	tok := tokenAt(c.src, p.off)
	digits := strings.TrimRight(tok, "uUlL")
	v, err := strconv.ParseUint(digits, 0, 64)
	if err != nil || n.Value != any(strconv.FormatUint(v, 10)) {
		return
	}
	suffix := tok[len(digits):]
	format := func(x uint64) string {
		if strings.HasPrefix(digits, "0x") || strings.HasPrefix(digits, "0X") {
			s := fmt.Sprintf("%0*x", len(digits)-2, x)
			if strings.ToUpper(digits[2:]) == digits[2:] {
				s = strings.ToUpper(s)
			}
			return digits[:2] + s + suffix
		}
		return strconv.FormatUint(x, 10) + suffix
	}
	c.add(OpConstant, p.off, p.off+len(tok), format(v+1))
	if v > 0 {
		c.add(OpConstant, p.off, p.off+len(tok), format(v-1))
	}
}

// stmtRange returns the main-file range of a statement, with its ';'.
func (c *collector) stmtRange(s *astNode) (int, int, bool) {
	b := mainPoint(s.Range.Begin, c.main)
	end, ok := c.endOf(s.Range.End)
	if !b.ok || !ok || b.off >= end {
		return 0, 0, false
	}
	if b.macro && !strings.HasPrefix(s.Kind, "If") {
		// A statement that is itself a macro call: keep it only when the
		// call ends where the statement does.
		if e, _, ok := macroCall(c.src, b.off); !ok || e != end {
			return 0, 0, false
		}
	}
	return b.off, statementEnd(c.src, end), true
}

// deleteStmt offers deleting a statement of a block: an if without else
// (a bounds check, an early return, a guarded bump), a return that is not
// the function's last statement, or an expression statement.
func (c *collector) deleteStmt(s *astNode, repl string, lastOfFunction bool) {
	switch s.Kind {
	case "IfStmt":
		if s.HasElse {
			return
		}
		if off, end, ok := c.stmtRange(s); ok {
			c.add(OpDelete, off, end, "")
		}
	case "ReturnStmt":
		if lastOfFunction {
			return
		}
		if off, end, ok := c.stmtRange(s); ok {
			c.add(OpDelete, off, end, "")
		}
	default:
		c.deleteExprStmt(s, "")
	}
}

// deleteExprStmt offers deleting a call, an increment, a compound or a
// plain assignment used as a statement.
func (c *collector) deleteExprStmt(s *astNode, repl string) {
	switch {
	case s.Kind == "CallExpr",
		s.Kind == "UnaryOperator" && (s.Opcode == "++" || s.Opcode == "--"),
		s.Kind == "CompoundAssignOperator",
		s.Kind == "BinaryOperator" && s.Opcode == "=":
	default:
		return
	}
	if off, end, ok := c.stmtRange(s); ok {
		c.add(OpDelete, off, end, repl)
	}
}

// Generate lists the mutants of one C source from its function bodies.
func generate(ident, file string, src []byte, funcs []*astNode, main string) []Mutant {
	c := &collector{src: src, main: main}
	for _, f := range funcs {
		body := f.body()
		c.walk(body, f, body)
	}
	return finish(ident, file, src, c.edits)
}
