package loadreport

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
)

// reloString parses btf.CORERelocation's String(), the only exported view
// of its kind, accessor and local type id:
// "CORERelocation(byte_off, Struct:"task_struct"[0:1], local_id=12)".
var reloString = regexp.MustCompile(`^CORERelocation\((\w+), .*\[([0-9:]+)\], local_id=(\d+)\)$`)

// fixupString parses btf.COREFixup's String(): "kind=local->target" or
// "kind=poison".
var fixupString = regexp.MustCompile(`^\w+=(?:(poison)|(\d+)->(\d+))$`)

// relocations lists the CO-RE relocations of ps and resolves them against
// the kernel's BTF, as the loader will.
func relocations(ps *ebpf.ProgramSpec, spec *ebpf.CollectionSpec, kernel *btf.Spec) ([]Relocation, error) {
	var (
		out   []Relocation
		relos []*btf.CORERelocation
	)
	for i, ins := range ps.Instructions {
		cr := btf.CORERelocationMetadata(&ins)
		if cr == nil {
			continue
		}
		r := Relocation{Insn: i}
		m := reloString.FindStringSubmatch(cr.String())
		if m == nil {
			r.Kind, r.Access = "unknown", cr.String()
		} else {
			r.Kind = m[1]
			id, _ := strconv.Atoi(m[3])
			r.Type, r.Access = describe(spec.Types, btf.TypeID(id), r.Kind, m[2])
		}
		out = append(out, r)
		relos = append(relos, cr)
	}
	if len(relos) == 0 {
		return out, nil
	}
	fixups, err := btf.CORERelocate(relos, []*btf.Spec{kernel}, spec.ByteOrder, func(btf.Type) (btf.TypeID, error) { return 0, nil })
	if err != nil {
		for i := range out {
			out[i].Target = "unresolved"
		}
		return out, fmt.Errorf("resolve CO-RE relocations of %s: %w", ps.Name, err)
	}
	for i := range fixups {
		fm := fixupString.FindStringSubmatch(fixups[i].String())
		switch {
		case fm == nil:
			out[i].Target = fixups[i].String()
		case fm[1] == "poison":
			out[i].Target, out[i].Missing = "missing", true
		default:
			out[i].Local, out[i].Target = fm[2], fm[3]
			// An existence check that resolved to 0 says the kernel lacks it.
			if strings.HasSuffix(out[i].Kind, "exists") && fm[3] == "0" {
				out[i].Target, out[i].Missing = "0 (missing)", true
			}
		}
	}
	return out, nil
}

// describe turns a relocation's local type and accessor ("0:1:3") into a
// readable path such as "task_struct.__state".
func describe(types *btf.Spec, id btf.TypeID, kind, accessor string) (string, string) {
	if types == nil {
		return "?", accessor
	}
	typ, err := types.TypeByID(id)
	if err != nil {
		return "?", accessor
	}
	name := typ.TypeName()
	idx := strings.Split(accessor, ":")
	switch {
	case strings.HasPrefix(kind, "enumval"):
		if e, ok := btf.UnderlyingType(typ).(*btf.Enum); ok && len(idx) == 1 {
			if n, err := strconv.Atoi(idx[0]); err == nil && n < len(e.Values) {
				return name, name + "::" + e.Values[n].Name
			}
		}
		return name, name + "[" + accessor + "]"
	case !isFieldKind(kind):
		return name, name
	}
	path := name
	if idx[0] != "0" {
		path += "[" + idx[0] + "]"
	}
	cur := typ
	for _, s := range idx[1:] {
		n, err := strconv.Atoi(s)
		if err != nil {
			return name, name + "[" + accessor + "]"
		}
		switch t := btf.UnderlyingType(cur).(type) {
		case *btf.Struct:
			if n >= len(t.Members) {
				return name, name + "[" + accessor + "]"
			}
			path += "." + memberName(t.Members[n])
			cur = t.Members[n].Type
		case *btf.Union:
			if n >= len(t.Members) {
				return name, name + "[" + accessor + "]"
			}
			path += "." + memberName(t.Members[n])
			cur = t.Members[n].Type
		case *btf.Array:
			path += "[" + s + "]"
			cur = t.Type
		default:
			return name, name + "[" + accessor + "]"
		}
	}
	return name, path
}

func memberName(m btf.Member) string {
	if m.Name == "" {
		return "(anon)"
	}
	return m.Name
}

func isFieldKind(kind string) bool {
	switch kind {
	case "byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64":
		return true
	}
	return false
}
