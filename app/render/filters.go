package render

import (
	"fmt"
	"io"
	"sync"

	"github.com/flosch/pongo2/v6"
)

// herald's own filters. pongo2 keeps filters in a process-wide registry, so
// they are registered once; they are pure functions of their input because
// each date carries its own formatContext (see dateValue).
var heraldFilters = map[string]pongo2.FilterFunction{
	"format_date": filterFormatDate,
	"format_time": filterFormatTime,
	"days_until":  filterDaysUntil,
}

// allowedFilters are the filters a template may use; every other pongo2
// filter is banned in the engine's template set and reported by Lint.
// safe (raw HTML from case data), date/time (Go layouts in the server's
// zone), random, stringformat (Go's %v of internals) and the filters that
// emit HTML which autoescaping would then show as text are left out.
var allowedFilters = map[string]bool{
	"format_date": true, "format_time": true, "days_until": true,
	"default": true, "default_if_none": true,
	"upper": true, "lower": true, "title": true, "capfirst": true,
	"striptags":     true,
	"truncatechars": true, "truncatewords": true, "wordwrap": true,
	"length": true, "first": true, "last": true, "join": true, "cut": true,
	"pluralize": true, "yesno": true, "urlencode": true, "add": true,
}

// builtinFilters lists pongo2 v6's filters so those not allowed can be banned.
var builtinFilters = []string{
	"escape", "e", "safe", "escapejs", "add", "addslashes", "capfirst", "center", "cut",
	"date", "default", "default_if_none", "divisibleby", "first", "floatformat", "get_digit",
	"iriencode", "join", "last", "length", "length_is", "linebreaks", "linebreaksbr",
	"linenumbers", "ljust", "lower", "make_list", "phone2numeric", "pluralize", "random",
	"removetags", "rjust", "slice", "split", "stringformat", "striptags", "time", "title",
	"truncatechars", "truncatechars_html", "truncatewords", "truncatewords_html", "upper",
	"urlencode", "urlize", "urlizetrunc", "wordcount", "wordwrap", "yesno", "float", "integer",
}

// allowedTags are the tags a template may use (checked by the strict scanner).
var allowedTags = map[string]bool{
	"if": true, "elif": true, "else": true, "endif": true,
	"for": true, "empty": true, "endfor": true,
	"set": true, "with": true, "endwith": true,
	"comment": true, "endcomment": true,
	"filter": true, "endfilter": true,
	"spaceless": true, "endspaceless": true,
	"firstof": true,
}

// bannedTags are removed from the engine's template set outright: they read
// files, reach other templates or produce non-deterministic output.
// autoescape stays registered because the engine wraps SMS and subjects in
// it; the scanner refuses it in user templates.
var bannedTags = []string{
	"include", "import", "extends", "ssi", "macro", "block", "now", "lorem",
	"templatetag", "widthratio", "cycle", "ifchanged", "ifequal", "ifnotequal",
}

var registerOnce sync.Once

// registerFilters adds herald's filters to pongo2's registry exactly once.
func registerFilters() {
	registerOnce.Do(func() {
		for name, fn := range heraldFilters {
			if pongo2.FilterExists(name) {
				_ = pongo2.ReplaceFilter(name, fn)
				continue
			}
			_ = pongo2.RegisterFilter(name, fn)
		}
	})
}

// newSet builds the sandboxed template set: no loader can read anything,
// and unsafe tags and filters are banned.
func newSet() *pongo2.TemplateSet {
	registerFilters()
	set := pongo2.NewSet("herald", refuseLoader{})
	for _, tag := range bannedTags {
		_ = set.BanTag(tag)
	}
	for _, f := range builtinFilters {
		if !allowedFilters[f] && pongo2.FilterExists(f) {
			_ = set.BanFilter(f)
		}
	}
	return set
}

// refuseLoader is a pongo2 loader that refuses every file: templates come
// from strings stored in the database.
type refuseLoader struct{}

// Abs returns name unchanged.
func (refuseLoader) Abs(_, name string) string { return name }

// Get always fails.
func (refuseLoader) Get(path string) (io.Reader, error) {
	return nil, fmt.Errorf("%w: templates cannot load %q", ErrTemplate, path)
}

// dateInput extracts the Date from a filter input. ok is false for a
// missing value (nil), which filters render as empty so `default` applies.
func dateInput(name string, in *pongo2.Value) (dateValue, bool, *pongo2.Error) {
	if in.IsNil() {
		return dateValue{}, false, nil
	}
	dv, isDate := in.Interface().(dateValue)
	if !isDate {
		return dateValue{}, false, &pongo2.Error{
			Sender:    "filter:" + name,
			OrigError: fmt.Errorf("%s expects a date, got %q", name, in.String()),
		}
	}
	return dv, true, nil
}

func filterFormatDate(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	dv, ok, err := dateInput("format_date", in)
	if !ok {
		return pongo2.AsValue(""), err
	}
	return pongo2.AsValue(formatDate(dv.d, dv.fc, param.String())), nil
}

func filterFormatTime(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	dv, ok, err := dateInput("format_time", in)
	if !ok {
		return pongo2.AsValue(""), err
	}
	s, ferr := formatTime(dv.d, dv.fc, param.String())
	if ferr != nil {
		return nil, &pongo2.Error{Sender: "filter:format_time", OrigError: ferr}
	}
	return pongo2.AsValue(s), nil
}

func filterDaysUntil(in, _ *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	dv, ok, err := dateInput("days_until", in)
	if !ok {
		return pongo2.AsValue(""), err
	}
	return pongo2.AsValue(daysUntil(dv.d, dv.fc)), nil
}
