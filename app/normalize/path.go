package normalize

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Path is a compiled JSON path. Its text form is dot-separated keys
// ("data.current_attributes.client_email"); a numeric segment indexes an
// array ("data.phones.0.number", or "phones[0]"), and a "[key=value]"
// selector picks the first array element whose key equals value
// ("data.custom_field_values[field_name=Next Court Date].value"), which is how
// Clio custom fields are addressed.
type Path []step

type step struct {
	key      string // object key, or "" for a pure index/filter step
	index    int    // array index when isIndex
	isIndex  bool
	filterK  string // "[k=v]" selector
	filterV  string
	isFilter bool
}

// ParsePath compiles a path. An empty string is an error.
func ParsePath(s string) (Path, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty path")
	}
	var p Path
	for _, seg := range splitPath(s) {
		if seg == "" {
			return nil, fmt.Errorf("path %q: empty segment", s)
		}
		name, rest := seg, ""
		if i := strings.IndexByte(seg, '['); i >= 0 {
			name, rest = seg[:i], seg[i:]
		}
		if name != "" {
			if n, err := strconv.Atoi(name); err == nil && n >= 0 {
				p = append(p, step{key: name, index: n, isIndex: true})
			} else {
				p = append(p, step{key: name})
			}
		}
		for rest != "" {
			end := strings.IndexByte(rest, ']')
			if rest[0] != '[' || end < 0 {
				return nil, fmt.Errorf("path %q: bad bracket in %q", s, seg)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if k, v, ok := strings.Cut(inner, "="); ok && k != "" {
				p = append(p, step{filterK: k, filterV: v, isFilter: true})
			} else if n, err := strconv.Atoi(inner); err == nil && n >= 0 {
				p = append(p, step{index: n, isIndex: true})
			} else {
				return nil, fmt.Errorf("path %q: %q is neither an index nor key=value", s, inner)
			}
		}
	}
	return p, nil
}

// splitPath splits on dots outside brackets.
func splitPath(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Lookup follows the path through a value decoded with UseNumber. It reports
// false when any step is missing; a JSON null is returned as nil, true.
func (p Path) Lookup(v any) (any, bool) {
	for _, st := range p {
		switch {
		case st.isFilter:
			arr, ok := v.([]any)
			if !ok {
				return nil, false
			}
			found := false
			for _, el := range arr {
				if obj, ok := el.(map[string]any); ok {
					if s, ok := scalarString(obj[st.filterK]); ok && s == st.filterV {
						v, found = el, true
						break
					}
				}
			}
			if !found {
				return nil, false
			}
		case st.isIndex:
			if arr, ok := v.([]any); ok {
				if st.index >= len(arr) {
					return nil, false
				}
				v = arr[st.index]
				continue
			}
			obj, ok := v.(map[string]any)
			if !ok || st.key == "" {
				return nil, false
			}
			if v, ok = obj[st.key]; !ok {
				return nil, false
			}
		default:
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = obj[st.key]; !ok {
				return nil, false
			}
		}
	}
	return v, true
}

// scalarString renders a JSON scalar as text: strings as they are, numbers
// as written, booleans as true/false. Null, objects and arrays report false.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}
