package render

import (
	"fmt"
	"sort"
)

// scope is one level of names introduced by for/with/set.
type scope struct {
	opener string // "for", "with" or "" for the top level
	names  map[string]bool
}

// checker walks the blocks of one template.
type checker struct {
	scopes    []scope
	res       scanResult
	inComment bool
}

// scanTemplate runs the strict scanner over src.
func scanTemplate(src string) scanResult {
	blocks, problems := lexBlocks(src)
	c := &checker{
		scopes: []scope{{names: map[string]bool{}}},
		res:    scanResult{problems: problems, guarded: map[string]bool{}},
	}
	for _, b := range blocks {
		switch {
		case b.isTag:
			c.tag(b)
		case c.inComment:
		default:
			c.expr(b.toks, false)
		}
	}
	for i := len(c.scopes) - 1; i > 0; i-- {
		c.errorf(0, 0, "{%% %s %%} is not closed with {%% end%s %%}", c.scopes[i].opener, c.scopes[i].opener)
	}
	return c.res
}

func (c *checker) errorf(line, col int, format string, args ...any) {
	c.res.problems = append(c.res.problems, errorAt(line, col, fmt.Sprintf(format, args...)))
}

// tag checks one {% ... %} block.
func (c *checker) tag(b block) {
	if len(b.toks) == 0 || b.toks[0].kind != tokIdent {
		c.errorf(b.line, b.col, "tag name expected after {%%")
		return
	}
	name, args := b.toks[0], b.toks[1:]
	if c.inComment {
		if name.val == "endcomment" {
			c.inComment = false
		}
		return
	}
	if !allowedTags[name.val] {
		c.errorf(name.line, name.col, "tag %q is not allowed in message templates%s", name.val, suggest(name.val, keysOf(allowedTags)))
		return
	}
	switch name.val {
	case "if", "elif", "firstof":
		c.expr(args, true)
	case "comment":
		c.inComment = true
	case "for":
		c.forTag(name, args)
	case "endfor", "endwith":
		opener := name.val[3:]
		if len(c.scopes) == 1 || c.scopes[len(c.scopes)-1].opener != opener {
			c.errorf(name.line, name.col, "{%% %s %%} without a matching {%% %s %%}", name.val, opener)
			return
		}
		c.scopes = c.scopes[:len(c.scopes)-1]
	case "set":
		if len(args) < 2 || args[0].kind != tokIdent || args[1].val != "=" {
			c.errorf(name.line, name.col, "set expects {%% set name = value %%}")
			return
		}
		c.expr(args[2:], false)
		c.scopes[len(c.scopes)-1].names[args[0].val] = true
	case "with":
		c.withTag(name, args)
	case "filter":
		for i, t := range args {
			if t.kind == tokIdent && (i == 0 || args[i-1].val == "|") {
				c.filterName(t)
			}
		}
	}
}

// forTag handles {% for a[, b] in expr [reversed|sorted] %}.
func (c *checker) forTag(name tok, args []tok) {
	in := -1
	for i, t := range args {
		if t.kind == tokIdent && t.val == "in" {
			in = i
			break
		}
	}
	if in < 1 {
		c.errorf(name.line, name.col, "for expects {%% for item in list %%}")
		return
	}
	c.expr(args[in+1:], false)
	s := scope{opener: "for", names: map[string]bool{"forloop": true}}
	for _, t := range args[:in] {
		if t.kind == tokIdent {
			s.names[t.val] = true
		}
	}
	c.scopes = append(c.scopes, s)
}

// withTag handles {% with a=expr b=expr %} and {% with expr as a %}.
func (c *checker) withTag(name tok, args []tok) {
	s := scope{opener: "with", names: map[string]bool{}}
	if n := len(args); n >= 3 && args[n-2].val == "as" {
		c.expr(args[:n-2], false)
		s.names[args[n-1].val] = true
	} else {
		start := 0
		for i := 0; i < len(args); i++ {
			if i+1 < len(args) && args[i].kind == tokIdent && args[i+1].val == "=" {
				if i > start {
					c.expr(args[start:i], false)
				}
				s.names[args[i].val] = true
				i++
				start = i + 1
			}
		}
		c.expr(args[start:], false)
		if len(s.names) == 0 {
			c.errorf(name.line, name.col, "with expects {%% with name=value %%}")
		}
	}
	c.scopes = append(c.scopes, s)
}

// expr checks the identifiers of an expression: variables, attribute
// accesses and filter names. cond marks the variables as guarded.
func (c *checker) expr(toks []tok, cond bool) {
	for i, t := range toks {
		if t.kind != tokIdent || keywords[t.val] {
			continue
		}
		prev := ""
		if i > 0 {
			prev = toks[i-1].val
		}
		switch prev {
		case "|":
			c.filterName(t)
			continue
		case ".":
			continue // attribute of a local; checked on its base
		}
		if i+1 < len(toks) && toks[i+1].val == "(" {
			c.errorf(t.line, t.col, "function calls are not allowed (%s)", t.val)
			continue
		}
		if c.local(t.val) {
			continue
		}
		if _, ok := variableIndex[t.val]; !ok {
			c.errorf(t.line, t.col, "unknown variable %q%s", t.val, suggest(t.val, c.visible()))
			continue
		}
		if i+1 < len(toks) && toks[i+1].val == "." {
			c.errorf(toks[i+1].line, toks[i+1].col, "variable %q has no attributes", t.val)
		}
		c.res.refs = append(c.res.refs, ref{name: t.val, line: t.line, col: t.col})
		if cond || hasDefault(toks[i+1:]) {
			c.res.guarded[t.val] = true
		}
	}
}

// hasDefault reports whether the filter chain right after a variable
// contains default or default_if_none.
func hasDefault(after []tok) bool {
	for i := 0; i+1 < len(after); i++ {
		if after[i].val != "|" {
			continue
		}
		if f := after[i+1].val; f == "default" || f == "default_if_none" {
			return true
		}
	}
	return false
}

func (c *checker) filterName(t tok) {
	if !allowedFilters[t.val] {
		c.errorf(t.line, t.col, "unknown filter %q%s", t.val, suggest(t.val, keysOf(allowedFilters)))
	}
}

func (c *checker) local(name string) bool {
	for _, s := range c.scopes {
		if s.names[name] {
			return true
		}
	}
	return false
}

// visible lists the names usable at this point, for suggestions.
func (c *checker) visible() []string {
	names := VariableNames()
	for _, s := range c.scopes {
		names = append(names, keysOf(s.names)...)
	}
	return names
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest returns ` (did you mean "x"?)` for the closest candidate, or "".
func suggest(name string, candidates []string) string {
	best, bestDist := "", len(name)/2+1
	if bestDist > 3 {
		bestDist = 3
	}
	bestDist++
	for _, cand := range candidates {
		if d := levenshtein(name, cand); d < bestDist {
			best, bestDist = cand, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// levenshtein is the edit distance between a and b (bytes; names are ASCII).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
