package mutate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// astLoc is one location of clang's JSON AST dump. The dump writes "file"
// (and "line") only when they differ from the previous location printed,
// so locations are resolved in print order (see resolve).
type astLoc struct {
	Offset    *int    `json:"offset"`
	File      string  `json:"file"`
	TokLen    int     `json:"tokLen"`
	Spelling  *astLoc `json:"spellingLoc"`
	Expansion *astLoc `json:"expansionLoc"`
	MacroArg  bool    `json:"isMacroArgExpansion"`

	file string // resolved file name
}

type astRange struct {
	Begin astLoc `json:"begin"`
	End   astLoc `json:"end"`
}

type astDecl struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// astNode is the part of a clang JSON AST node the operators use.
type astNode struct {
	Kind           string     `json:"kind"`
	Name           string     `json:"name"`
	Opcode         string     `json:"opcode"`
	Value          any        `json:"value"` // a string for IntegerLiteral, a number for CharacterLiteral
	IsPostfix      bool       `json:"isPostfix"`
	Loc            astLoc     `json:"loc"`
	Range          astRange   `json:"range"`
	ReferencedDecl *astDecl   `json:"referencedDecl"`
	HasElse        bool       `json:"hasElse"`
	Inner          []*astNode `json:"inner"`
}

// resolver tracks the last file printed, as clang's JSONNodeDumper does.
type resolver struct{ last string }

func (r *resolver) loc(l *astLoc) {
	if l.Spelling != nil || l.Expansion != nil {
		// Printed as spellingLoc then expansionLoc.
		if l.Spelling != nil {
			r.loc(l.Spelling)
		}
		if l.Expansion != nil {
			r.loc(l.Expansion)
		}
		return
	}
	if l.Offset == nil {
		return // invalid location: clang prints {}
	}
	if l.File != "" {
		r.last = l.File
	}
	l.file = r.last
}

// node resolves n's locations in print order: loc, range, then children.
func (r *resolver) node(n *astNode) {
	r.loc(&n.Loc)
	r.loc(&n.Range.Begin)
	r.loc(&n.Range.End)
	for _, c := range n.Inner {
		r.node(c)
	}
}

// point is a byte offset in the main file and how it was found.
type point struct {
	off    int
	tokLen int
	macro  bool // the expansion point of a macro (not one of its arguments)
	ok     bool
}

// mainPoint maps a location to the main file: a plain location there, the
// spelling of a macro argument written there, or the place where a macro
// is expanded there. Tokens spelled inside macro bodies of other files
// have no place in the main file.
func mainPoint(l astLoc, main string) point {
	if l.Spelling == nil && l.Expansion == nil {
		if l.Offset != nil && l.file == main {
			return point{off: *l.Offset, tokLen: l.TokLen, ok: true}
		}
		return point{}
	}
	if l.Expansion != nil && l.Expansion.MacroArg && l.Spelling != nil && l.Spelling.Offset != nil && l.Spelling.file == main {
		return point{off: *l.Spelling.Offset, tokLen: l.Spelling.TokLen, ok: true}
	}
	if l.Expansion != nil && l.Expansion.Offset != nil && l.Expansion.file == main {
		return point{off: *l.Expansion.Offset, tokLen: l.Expansion.TokLen, macro: true, ok: true}
	}
	return point{}
}

// spellingPoint is where the token itself is written, when that is in the
// main file (also inside a macro body defined there, e.g. a #define'd
// constant).
func spellingPoint(l astLoc, main string) point {
	if l.Spelling == nil && l.Expansion == nil {
		return mainPoint(l, main)
	}
	if l.Spelling != nil && l.Spelling.Offset != nil && l.Spelling.file == main {
		return point{off: *l.Spelling.Offset, tokLen: l.Spelling.TokLen, ok: true}
	}
	return point{}
}

// astTimeout bounds one AST dump (a second or two normally).
const astTimeout = 2 * time.Minute

// dumpAST runs clang's JSON AST dump of source (relative to dir) and
// returns the main file's function definitions, resolved.
func dumpAST(ctx context.Context, clang, dir, source string, clangArgs []string) ([]*astNode, error) {
	ctx, cancel := context.WithTimeout(ctx, astTimeout)
	defer cancel()
	args := append(append([]string{}, clangArgs...), "-Wno-error", "-Xclang", "-ast-dump=json", "-fsyntax-only", source)
	cmd := exec.CommandContext(ctx, clang, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", clang, err)
	}
	funcs, perr := parseAST(out, source)
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	if werr != nil {
		return nil, fmt.Errorf("%s %s (in %s): %w\n%s", clang, strings.Join(args, " "), dir, werr, strings.TrimSpace(stderr.String()))
	}
	if perr != nil {
		return nil, fmt.Errorf("parse clang AST of %s: %w", source, perr)
	}
	return funcs, nil
}

// parseAST streams the TranslationUnitDecl's children (headers such as
// vmlinux.h make the dump ~150 MB), resolving every location in order and
// keeping only function definitions of the main file.
func parseAST(r io.Reader, main string) ([]*astNode, error) {
	dec := json.NewDecoder(r)
	var res resolver
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var funcs []*astNode
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch key {
		case "inner":
			if err := expectDelim(dec, '['); err != nil {
				return nil, err
			}
			for dec.More() {
				var n astNode
				if err := dec.Decode(&n); err != nil {
					return nil, err
				}
				res.node(&n)
				if n.Kind != "FunctionDecl" || !mainPoint(n.Loc, main).ok {
					continue
				}
				if body := n.body(); body != nil {
					funcs = append(funcs, &n)
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return nil, err
			}
		case "loc", "range":
			var l json.RawMessage
			if err := dec.Decode(&l); err != nil {
				return nil, err
			}
			var n astNode
			_ = json.Unmarshal([]byte(`{"`+key.(string)+`":`+string(l)+`}`), &n)
			res.node(&n)
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	return funcs, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("clang AST: want %q, got %v", want, tok)
	}
	return nil
}

// body returns a function definition's CompoundStmt.
func (n *astNode) body() *astNode {
	for _, c := range n.Inner {
		if c.Kind == "CompoundStmt" {
			return c
		}
	}
	return nil
}
