// Package render turns a message template and a case's variables into the
// content Herald sends: an email (subject, HTML, plain text) or an SMS.
//
// Templates use pongo2's Jinja/Django syntax so a firm's existing templates
// render unchanged. The engine is pure (no database, no network, no files)
// and strict: an unknown variable, filter or tag is an error both when staff
// save a template (Lint) and when a message is rendered (Render), because a
// message must never go out with a blank where a name or a date should be.
package render

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // client time zones must resolve on any host

	"github.com/flosch/pongo2/v6"
)

// ErrTemplate marks a template that cannot be rendered: a syntax error, an
// unknown variable or filter, a forbidden tag or a filter failure. Delivery
// dead-letters the message with the error text as the reason.
var ErrTemplate = errors.New("template error")

// ErrMissingValue marks a variable the template uses without a default
// whose value is empty for this case (a court reminder without a court
// date). Errors wrapping it also wrap ErrTemplate.
var ErrMissingValue = errors.New("missing value")

// TemplateError is the error Render returns for a template that cannot be
// rendered; it wraps ErrTemplate (and ErrMissingValue when Missing is set)
// and says where the problem is.
type TemplateError struct {
	Problem Problem
	Missing bool // an empty variable was used without a default
}

// Error describes the problem with its position.
func (e *TemplateError) Error() string {
	if e.Missing {
		return "template error: missing value: " + e.Problem.String()
	}
	return "template error: " + e.Problem.String()
}

// Unwrap returns ErrTemplate, and ErrMissingValue for a missing value.
func (e *TemplateError) Unwrap() []error {
	if e.Missing {
		return []error{ErrTemplate, ErrMissingValue}
	}
	return []error{ErrTemplate}
}

// ErrVars marks variables that cannot be used, such as an unknown time zone.
var ErrVars = errors.New("invalid template variables")

// Channels a Template can be written for.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Template is the content of one template version for one channel and
// language. Email uses Subject, HTML and optionally Text (generated from the
// HTML when empty); SMS uses SMS.
type Template struct {
	Channel  string
	Language string // "en", "es", "es-MX"…; empty means the client's language
	Subject  string
	HTML     string
	Text     string
	SMS      string
}

// Rendered is the frozen content of one message.
type Rendered struct {
	Subject  string
	HTML     string
	Text     string
	SMS      string
	Segments int    // SMS segments; 0 for email
	Encoding string // "GSM-7" or "UCS-2" for SMS
}

// Options configure an Engine.
type Options struct {
	// Now is the clock; days_until counts from it. Defaults to time.Now.
	Now func() time.Time
	// FirmLocation is used when a client has no time zone. Defaults to UTC.
	FirmLocation *time.Location
	// Locale is the firm's default language ("en" or "es"). Defaults to "en".
	Locale string
	// SensitiveWords are reported by Lint in subjects and SMS (see ScanPrivileged).
	SensitiveWords []string
}

// Engine renders and lints templates. It is safe for concurrent use and
// caches parsed templates by their content.
type Engine struct {
	opts Options
	set  *pongo2.TemplateSet

	mu    sync.RWMutex
	cache map[string]*compiled      // parsed parts by content
	zones map[string]*time.Location // loaded time zones by name
}

// maxCached bounds the parse cache; it is cleared when full.
const maxCached = 1024

// New returns an Engine with a sandboxed pongo2 template set.
func New(opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FirmLocation == nil {
		opts.FirmLocation = time.UTC
	}
	if opts.Locale == "" {
		opts.Locale = "en"
	}
	return &Engine{opts: opts, set: newSet(), cache: map[string]*compiled{}, zones: map[string]*time.Location{}}
}

// part names, as used in Problem.Part.
const (
	PartSubject = "subject"
	PartHTML    = "html"
	PartText    = "text"
	PartSMS     = "sms"
)

// Render renders t with v. Errors wrap ErrTemplate (and ErrMissingValue for
// an empty variable used without a default) or ErrVars.
func (e *Engine) Render(t Template, v Vars) (Rendered, error) {
	fc, err := e.formatContext(t, v)
	if err != nil {
		return Rendered{}, err
	}
	ctx := v.context(fc)
	var out Rendered
	switch t.Channel {
	case ChannelEmail:
		if out.Subject, err = e.renderPart(PartSubject, t.Subject, ctx, v); err != nil {
			return Rendered{}, err
		}
		out.Subject = strings.Join(strings.Fields(out.Subject), " ")
		if out.HTML, err = e.renderPart(PartHTML, t.HTML, ctx, v); err != nil {
			return Rendered{}, err
		}
		if strings.TrimSpace(t.Text) == "" {
			out.Text = HTMLToText(out.HTML)
		} else if out.Text, err = e.renderPart(PartText, t.Text, ctx, v); err != nil {
			return Rendered{}, err
		}
	case ChannelSMS:
		if out.SMS, err = e.renderPart(PartSMS, t.SMS, ctx, v); err != nil {
			return Rendered{}, err
		}
		out.SMS = strings.TrimSpace(out.SMS)
		out.Segments, out.Encoding = Segments(out.SMS)
	default:
		return Rendered{}, &TemplateError{Problem: Problem{Severity: SeverityError,
			Message: fmt.Sprintf("unknown channel %q", t.Channel)}}
	}
	return out, nil
}

// formatContext resolves the client's zone and the language for t.
func (e *Engine) formatContext(t Template, v Vars) (formatContext, error) {
	loc := e.opts.FirmLocation
	if v.Timezone != "" {
		l, err := e.location(v.Timezone)
		if err != nil {
			return formatContext{}, err
		}
		loc = l
	}
	lang := t.Language
	if lang == "" {
		lang = v.PreferredLanguage
	}
	lang = ChooseLanguage([]string{"en", "es"}, lang, e.opts.Locale)
	return formatContext{loc: loc, lang: lang, now: e.opts.Now()}, nil
}

// location loads a time zone once per engine (loading parses tzdata).
func (e *Engine) location(name string) (*time.Location, error) {
	e.mu.RLock()
	loc, ok := e.zones[name]
	e.mu.RUnlock()
	if ok {
		return loc, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: time zone %q: %w", ErrVars, name, err)
	}
	e.mu.Lock()
	e.zones[name] = loc
	e.mu.Unlock()
	return loc, nil
}

// renderPart renders one part after the strict checks.
func (e *Engine) renderPart(part, src string, ctx map[string]any, v Vars) (string, error) {
	c := e.compile(part, src)
	for _, p := range c.problems {
		if p.Severity == SeverityError {
			p.Part = part
			return "", &TemplateError{Problem: p}
		}
	}
	for _, r := range c.scan.refs {
		if c.scan.guarded[r.name] || variableIndex[r.name].optional || v.hasValue(r.name) {
			continue
		}
		return "", &TemplateError{Missing: true, Problem: Problem{
			Part: part, Line: r.line, Column: r.col, Severity: SeverityError,
			Message: fmt.Sprintf("%q is empty for this case and the template has no default", r.name),
		}}
	}
	out, err := c.tpl.Execute(pongo2.Context(ctx))
	if err != nil {
		return "", &TemplateError{Problem: e.problemFromPongo(part, src, err)}
	}
	return out, nil
}

// compiled is a parsed template part with its strict-scan results.
type compiled struct {
	tpl      *pongo2.Template // nil when problems has errors
	scan     scanResult
	problems []Problem // scanner and parser problems, Part unset
}

// autoescapeOff wraps parts that are plain text (subject, text, SMS).
const autoescapeOff = "{% autoescape off %}"

// compile scans and parses src, caching the result by part kind and content.
func (e *Engine) compile(part, src string) *compiled {
	escape := part == PartHTML
	key := "t:" + src
	if escape {
		key = "h:" + src
	}
	e.mu.RLock()
	c, ok := e.cache[key]
	e.mu.RUnlock()
	if ok {
		return c
	}

	c = &compiled{scan: scanTemplate(src)}
	c.problems = append(c.problems, c.scan.problems...)
	body := src
	if !escape {
		body = autoescapeOff + src + "{% endautoescape %}"
	}
	tpl, err := e.set.FromString(body)
	if err != nil {
		p := e.problemFromPongo("", src, err)
		if !hasErrorOnLine(c.problems, p.Line) {
			c.problems = append(c.problems, p)
		}
	}
	if !hasErrors(c.problems) {
		c.tpl = tpl
	}
	sortProblems(c.problems)

	e.mu.Lock()
	if len(e.cache) >= maxCached {
		e.cache = map[string]*compiled{}
	}
	e.cache[key] = c
	e.mu.Unlock()
	return c
}

// problemFromPongo converts a pongo2 error into a Problem positioned in the
// user's source (rune columns, without the autoescape wrapper).
func (e *Engine) problemFromPongo(part, src string, err error) Problem {
	p := Problem{Part: part, Severity: SeverityError, Message: err.Error()}
	var perr *pongo2.Error
	if !errors.As(err, &perr) {
		return p
	}
	if perr.OrigError != nil {
		p.Message = perr.OrigError.Error()
	}
	line, col := perr.Line, perr.Column
	if line == 1 && part != PartHTML && col > len(autoescapeOff) {
		col -= len(autoescapeOff)
	}
	p.Line, p.Column = line, runeColumn(src, line, col)
	return p
}

// runeColumn converts pongo2's 1-based byte column into a character column.
func runeColumn(src string, line, byteCol int) int {
	if line < 1 || byteCol < 1 {
		return byteCol
	}
	lines := strings.Split(src, "\n")
	if line > len(lines) {
		return byteCol
	}
	l := lines[line-1]
	if byteCol-1 > len(l) {
		return byteCol
	}
	return len([]rune(l[:byteCol-1])) + 1
}

// sortProblems orders problems by position.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
}

func hasErrors(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

func hasErrorOnLine(ps []Problem, line int) bool {
	for _, p := range ps {
		if p.Severity == SeverityError && p.Line == line {
			return true
		}
	}
	return false
}
