package mutate

import (
	"strings"
)

// skipSpace returns the offset of the first byte at or after i in src that
// is neither white space nor inside a comment.
func skipSpace(src []byte, i int) int {
	for i < len(src) {
		switch {
		case src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r' || src[i] == '\f' || src[i] == '\v':
			i++
		case src[i] == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i += 2
		case strings.HasPrefix(string(src[i:min(i+2, len(src))]), "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(string(src[i:min(i+2, len(src))]), "/*"):
			end := strings.Index(string(src[i+2:]), "*/")
			if end < 0 {
				return len(src)
			}
			i += 2 + end + 2
		default:
			return i
		}
	}
	return i
}

// tokenAt returns the C token starting at i (identifier, number or
// punctuator of up to three characters), or "".
func tokenAt(src []byte, i int) string {
	if i >= len(src) {
		return ""
	}
	isIdent := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if isIdent(src[i]) {
		j := i
		for j < len(src) && (isIdent(src[j]) || (src[j] == '.' && src[i] >= '0' && src[i] <= '9')) {
			j++
		}
		return string(src[i:j])
	}
	for _, p := range []string{"<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^="} {
		if strings.HasPrefix(string(src[i:]), p) {
			return p
		}
	}
	return string(src[i : i+1])
}

// operatorBetween finds the binary operator op in src[from:to], allowing
// only white space, comments and parentheses around it, and returns its
// offset (or -1). That is how a BinaryOperator of the AST, which records
// only the ranges of its operands, is located in the text.
func operatorBetween(src []byte, from, to int, op string) int {
	found := -1
	for i := skipSpace(src, from); i < to; i = skipSpace(src, i) {
		tok := tokenAt(src, i)
		switch {
		case tok == "(" || tok == ")":
		case tok == op && found < 0:
			found = i
		default:
			return -1
		}
		i += len(tok)
	}
	return found
}

// macroCall returns the end offset (after the closing parenthesis) and the
// argument text of the function-like macro invocation whose name starts at
// i, e.g. bpf_htons(ETH_P_IP). Parentheses inside comments and character
// literals are not expected in such arguments; a mismatch returns ok=false.
func macroCall(src []byte, i int) (end int, arg string, ok bool) {
	name := tokenAt(src, i)
	j := skipSpace(src, i+len(name))
	if j >= len(src) || src[j] != '(' {
		return 0, "", false
	}
	depth := 0
	for k := j; k < len(src); k++ {
		switch src[k] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return k + 1, strings.TrimSpace(string(src[j+1 : k])), true
			}
		case '\n', ';', '{', '}':
			if src[k] != '\n' {
				return 0, "", false
			}
		}
	}
	return 0, "", false
}

// statementEnd extends a statement's range end (clang's ranges stop at the
// last token, before the ';') over a following semicolon.
func statementEnd(src []byte, end int) int {
	j := skipSpace(src, end)
	if j < len(src) && src[j] == ';' {
		return j + 1
	}
	return end
}

// lineOf returns the 1-based line of offset off.
func lineOf(src []byte, off int) int {
	return strings.Count(string(src[:min(off, len(src))]), "\n") + 1
}

// lineText returns the line holding off, without its newline.
func lineText(src []byte, off int) string {
	start := strings.LastIndexByte(string(src[:off]), '\n') + 1
	end := strings.IndexByte(string(src[off:]), '\n')
	if end < 0 {
		end = len(src) - off
	}
	return string(src[start : off+end])
}
