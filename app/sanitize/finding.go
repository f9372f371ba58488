// Package sanitize turns raw CMS values (phones, emails, dates, statuses) into
// clean canonical values. Every function is pure: no I/O, no clock, no globals
// holding state. A value that cannot be trusted becomes nil plus a Finding, so
// nothing is silently dropped and nothing is guessed.
package sanitize

import "strings"

// Finding codes. They match the data_findings.code check constraint.
const (
	CodeInvalidPhone    = "invalid_phone"
	CodeNotMobile       = "not_mobile"
	CodeInvalidEmail    = "invalid_email"
	CodeSuspectedTypo   = "suspected_typo"
	CodeMultipleValues  = "multiple_values"
	CodeUnparseableDate = "unparseable_date"
	CodeUnknownStatus   = "unknown_status"
	CodeMissingField    = "missing_field"
)

// Finding is one problem found in a raw value. Field is the canonical
// attribute name (client_email, next_court_date, …); the sanitizers in this
// package leave it empty because they do not know which attribute they are
// looking at, and the caller fills it in with SetField.
type Finding struct {
	Field      string `json:"field"`
	Code       string `json:"code"`
	Raw        string `json:"raw"`
	Suggestion string `json:"suggestion"`
}

// SetField sets Field on every finding in fs and returns fs.
func SetField(fs []Finding, field string) []Finding {
	for i := range fs {
		fs[i].Field = field
	}
	return fs
}

// isPlaceholder reports whether s is one of the words people type into a CMS
// field to mean "no value". The comparison ignores case, surrounding spaces and
// surrounding punctuation.
func isPlaceholder(s string) bool {
	_, ok := placeholders[placeholderKey(s)]
	return ok
}

var placeholders = map[string]struct{}{
	"": {}, "na": {}, "n/a": {}, "n.a": {}, "none": {}, "null": {}, "nil": {},
	"unknown": {}, "unk": {}, "tbd": {}, "tba": {}, "call office": {},
	"see notes": {}, "no phone": {}, "no email": {}, "noemail": {},
	"not provided": {}, "declined": {}, "-": {}, "--": {}, "---": {},
	"?": {}, "x": {}, "0": {}, "pending": {},
}

func placeholderKey(s string) string {
	return strings.Trim(strings.ToLower(strings.Join(strings.Fields(s), " ")), " ()[].")
}
