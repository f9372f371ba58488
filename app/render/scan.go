package render

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The strict scanner. pongo2 renders an undefined variable as an empty
// string, so before a template is used its source is tokenized here and
// every identifier is checked against the known variables, the variables a
// tag introduced, and the allowed filters and tags.
//
// Scoping is an approximation of pongo2's: names from {% for %} and
// {% with %} are visible until the matching end tag; a name from {% set %}
// is visible from the tag to the end of the enclosing for/with block (or to
// the end of the template at top level).
//
// A variable counts as guarded (it may be empty at render time) when it is
// piped through `default`/`default_if_none` or appears in an if/elif/firstof
// condition anywhere in the template.

// tokKind classifies a scanned token.
type tokKind int

const (
	tokIdent tokKind = iota
	tokString
	tokNumber
	tokSymbol
)

// tok is one token inside a {{ }} or {% %} block; line and col are 1-based,
// col counted in characters (runes).
type tok struct {
	kind      tokKind
	val       string
	line, col int
}

// block is one {{ ... }} (isTag false) or {% ... %} (isTag true).
type block struct {
	isTag     bool
	toks      []tok
	line, col int
}

// ref is a use of a canonical variable.
type ref struct {
	name      string
	line, col int
}

// scanResult is what the strict scanner learned about one template source.
type scanResult struct {
	problems []Problem
	refs     []ref           // canonical variables used, in order
	guarded  map[string]bool // canonical variables allowed to be empty
}

var keywords = map[string]bool{
	"in": true, "and": true, "or": true, "not": true, "true": true, "false": true,
	"as": true, "export": true, "nil": true, "None": true, "none": true,
	"reversed": true, "sorted": true,
}

var symbols = []string{"==", ">=", "<=", "&&", "||", "!=", "<>", "(", ")", "+", "-", "*", "<", ">", "/", "^", ",", ".", "!", "|", ":", "=", "%", "[", "]"}

// lexBlocks splits src into blocks. Problems are lexical (unclosed tags);
// pongo2 reports the same ones too, so callers may drop duplicates.
func lexBlocks(src string) ([]block, []Problem) {
	var blocks []block
	var problems []Problem
	line, col := 1, 1
	i := 0
	advance := func(n int) {
		for _, r := range src[i : i+n] {
			if r == '\n' {
				line++
				col = 1
			} else {
				col++
			}
		}
		i += n
	}
	for i < len(src) {
		rest := src[i:]
		switch {
		case strings.HasPrefix(rest, "{#"):
			end := strings.Index(rest, "#}")
			if end < 0 {
				problems = append(problems, errorAt(line, col, "comment is not closed with #}"))
				return blocks, problems
			}
			advance(end + 2)
		case strings.HasPrefix(rest, "{{"), strings.HasPrefix(rest, "{%"):
			isTag := rest[1] == '%'
			closer := "}}"
			if isTag {
				closer = "%}"
			}
			b := block{isTag: isTag, line: line, col: col}
			advance(2)
			if i < len(src) && src[i] == '-' {
				advance(1)
			}
			closed := false
			for i < len(src) {
				rest = src[i:]
				if strings.HasPrefix(rest, closer) || strings.HasPrefix(rest, "-"+closer) {
					if rest[0] == '-' {
						advance(1)
					}
					advance(2)
					closed = true
					break
				}
				c := rest[0]
				switch {
				case c == '\n':
					closed = false
				case c == ' ' || c == '\t' || c == '\r':
					advance(1)
					continue
				case isIdentStart(c):
					n := 1
					for n < len(rest) && (isIdentStart(rest[n]) || isDigit(rest[n])) {
						n++
					}
					b.toks = append(b.toks, tok{kind: tokIdent, val: rest[:n], line: line, col: col})
					advance(n)
					continue
				case isDigit(c):
					n := 1
					for n < len(rest) && (isDigit(rest[n]) || rest[n] == '.') {
						n++
					}
					b.toks = append(b.toks, tok{kind: tokNumber, val: rest[:n], line: line, col: col})
					advance(n)
					continue
				case c == '"' || c == '\'':
					n := 1
					for n < len(rest) && rest[n] != c && rest[n] != '\n' {
						if rest[n] == '\\' {
							n++
						}
						n++
					}
					if n >= len(rest) || rest[n] != c {
						problems = append(problems, errorAt(line, col, "string is not closed"))
						return blocks, problems
					}
					b.toks = append(b.toks, tok{kind: tokString, val: rest[1:n], line: line, col: col})
					advance(n + 1)
					continue
				default:
					matched := false
					for _, s := range symbols {
						if strings.HasPrefix(rest, s) {
							b.toks = append(b.toks, tok{kind: tokSymbol, val: s, line: line, col: col})
							advance(len(s))
							matched = true
							break
						}
					}
					if matched {
						continue
					}
					r, _ := utf8.DecodeRuneInString(rest)
					problems = append(problems, errorAt(line, col, fmt.Sprintf("unexpected character %q", r)))
					return blocks, problems
				}
				break // newline inside a block
			}
			if !closed {
				problems = append(problems, errorAt(b.line, b.col, fmt.Sprintf("%s is not closed with %s on the same line", rest0(isTag), closer)))
				return blocks, problems
			}
			blocks = append(blocks, b)
		default:
			_, w := utf8.DecodeRuneInString(rest)
			advance(w)
		}
	}
	return blocks, problems
}

func rest0(isTag bool) string {
	if isTag {
		return "tag {%"
	}
	return "variable {{"
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func errorAt(line, col int, msg string) Problem {
	return Problem{Line: line, Column: col, Severity: SeverityError, Message: msg}
}
