package render

import (
	"errors"
	"fmt"
	"strings"
)

// Problem severities.
const (
	SeverityError   = "error"   // the template cannot be saved or sent
	SeverityWarning = "warning" // staff should look, but it may be saved
)

// maxSMSSegments is the segment count above which Lint warns.
const maxSMSSegments = 3

// Problem is one finding about a template. Line and Column are 1-based
// (columns in characters) within Part; they are 0 when the finding is about
// the template as a whole.
type Problem struct {
	Part     string // subject, html, text or sms
	Line     int
	Column   int
	Severity string
	Message  string
}

// String formats p as "part:line:col: severity: message".
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", p.Part, p.Line, p.Column, p.Severity, p.Message)
}

// Lint checks t when staff save it: syntax, unknown variables, filters and
// tags (errors); privileged content in the subject or SMS and SMS longer
// than three segments with sample data (warnings).
func (e *Engine) Lint(t Template) []Problem {
	var out []Problem
	var parts []partSource
	switch t.Channel {
	case ChannelEmail:
		if strings.TrimSpace(t.Subject) == "" {
			out = append(out, Problem{Part: PartSubject, Severity: SeverityError, Message: "an email needs a subject"})
		}
		if strings.TrimSpace(t.HTML) == "" {
			out = append(out, Problem{Part: PartHTML, Severity: SeverityError, Message: "an email needs an HTML body"})
		}
		parts = append(parts, partSource{PartSubject, t.Subject}, partSource{PartHTML, t.HTML})
		if strings.TrimSpace(t.Text) != "" {
			parts = append(parts, partSource{PartText, t.Text})
		}
	case ChannelSMS:
		if strings.TrimSpace(t.SMS) == "" {
			out = append(out, Problem{Part: PartSMS, Severity: SeverityError, Message: "an SMS needs a body"})
		}
		parts = append(parts, partSource{PartSMS, t.SMS})
	default:
		return []Problem{{Severity: SeverityError, Message: fmt.Sprintf("unknown channel %q (want %q or %q)", t.Channel, ChannelEmail, ChannelSMS)}}
	}

	for _, p := range parts {
		for _, prob := range e.compile(p.name, p.src).problems {
			prob.Part = p.name
			out = append(out, prob)
		}
		if p.name == PartSubject || p.name == PartSMS {
			for _, h := range ScanPrivileged(p.src, e.opts.SensitiveWords) {
				line, col := position(p.src, h.Offset)
				out = append(out, Problem{Part: p.name, Line: line, Column: col, Severity: SeverityWarning,
					Message: fmt.Sprintf("%s %q should not travel in clear text by %s", h.Kind, h.Text, channelWord(p.name))})
			}
		}
	}

	if hasErrors(out) {
		return out
	}
	// A trial render with sample data finds what only shows at run time,
	// such as format_time applied to a date without a time.
	r, err := e.Render(t, SampleVars())
	var terr *TemplateError
	if errors.As(err, &terr) && !terr.Missing {
		out = append(out, terr.Problem)
	}
	if err == nil && t.Channel == ChannelSMS {
		if r.Segments > maxSMSSegments {
			out = append(out, Problem{Part: PartSMS, Line: 1, Column: 1, Severity: SeverityWarning,
				Message: fmt.Sprintf("the SMS is %d segments (%s) with sample data; keep it to %d or fewer", r.Segments, r.Encoding, maxSMSSegments)})
		}
	}
	return out
}

// partSource is one part of a template and its source.
type partSource struct{ name, src string }

func channelWord(part string) string {
	if part == PartSMS {
		return "SMS"
	}
	return "email subject"
}

// position converts a byte offset in src into a 1-based line and column.
func position(src string, offset int) (line, col int) {
	line, col = 1, 1
	for i, r := range src {
		if i >= offset {
			break
		}
		if r == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return line, col
}
