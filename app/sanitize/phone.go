package sanitize

import (
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Phone formats reported in PhoneResult.Format, for the data audit.
const (
	PhoneFormatPlaceholder = "placeholder"
	PhoneFormatMultiple    = "multiple numbers"
	PhoneFormatE164        = "+E.164"
	PhoneFormatPlus        = "+cc with separators"
	PhoneFormatOther       = "other"
)

// PhoneResult is the outcome of sanitizing one raw phone field.
type PhoneResult struct {
	// E164 is the number usable for SMS in E.164 form, or nil.
	E164 *string
	// Format names the shape the raw value was written in ("(ddd) ddd-dddd",
	// "+E.164", "ddd-ddd-dddd with annotation", …); empty for an empty value.
	Format   string
	Findings []Finding
}

var (
	phoneSeparators = regexp.MustCompile(`(?i)\s*(?:[/,;|\n\r]|\bor\b|\band\b|&)\s*`)
	phoneExtension  = regexp.MustCompile(`(?i)\s*(?:,\s*)?(?:ext\.?|extension|x|#)\s*\d{1,6}\s*$`)
	phoneLabels     = regexp.MustCompile(`(?i)[\(\[]\s*(?:cell|mobile|mob|cel|c|m|h|w|home|work|office|wk|hm|text|sms|primary|personal|main|tel|phone|ph|daytime|evening|best|preferred|pref|client|husband|wife|mom|dad|spouse)\.?\s*[\)\]]|\b(?:cell(?:ular)?|mobile|mob|home|work|office|tel|phone|ph|text|sms|primary|main)\b\s*(?:phone|number|no\.?|#)?\s*[:\-]?|\b[cmhw]\s*:`)
	phoneDigitRun   = regexp.MustCompile(`\d`)
)

// Phone sanitizes a raw phone field into an E.164 mobile number, parsing
// national numbers in region (an ISO 3166 code such as "US").
//
// Labels such as "(cell)", "Cell:", "mobile" or "c:" and trailing extensions
// ("x123", "ext. 5") are stripped. When the field holds several numbers
// (separated by "/", ",", ";", "or", "and" or a newline) the first valid one is
// used and a multiple_values finding is reported.
//
// A valid number that the numbering metadata says cannot receive SMS
// (toll-free, premium-rate, shared-cost, fixed-line, pager, UAN, voicemail)
// yields nil for SMS purposes and a not_mobile finding whose Suggestion holds
// the E.164 form, so staff can still see and call it. Numbers the metadata
// cannot tell apart (FIXED_LINE_OR_MOBILE, which is every US number) and VoIP
// or personal numbers are accepted.
//
// Placeholders ("N/A", "none", "call office", "-", "unknown", "TBD") and empty
// values yield nil with no finding: they state that there is no number, which
// is not a data error. Anything else that does not parse into a valid number
// yields nil and an invalid_phone finding.
func Phone(raw, region string) PhoneResult {
	s := strings.TrimSpace(raw)
	if s == "" {
		return PhoneResult{}
	}
	if isPlaceholder(s) {
		return PhoneResult{Format: PhoneFormatPlaceholder}
	}
	parts := splitPhones(s)
	res := PhoneResult{}
	var firstInvalid string
	for i, p := range parts {
		cleaned, annotated, ext := cleanPhone(p)
		if i == 0 {
			res.Format = phoneShape(cleaned, annotated, ext)
		}
		num, err := phonenumbers.Parse(cleaned, region)
		if err != nil || !phonenumbers.IsValidNumber(num) {
			if firstInvalid == "" {
				firstInvalid = p
			}
			continue
		}
		e164 := phonenumbers.Format(num, phonenumbers.E164)
		if len(parts) > 1 {
			res.Format = PhoneFormatMultiple
			res.Findings = append(res.Findings, Finding{Code: CodeMultipleValues, Raw: raw, Suggestion: e164})
		}
		if !smsCapable(phonenumbers.GetNumberType(num)) {
			res.Findings = append(res.Findings, Finding{Code: CodeNotMobile, Raw: raw, Suggestion: e164})
			return res
		}
		res.E164 = &e164
		return res
	}
	if len(parts) > 1 {
		res.Format = PhoneFormatMultiple
	}
	res.Findings = append(res.Findings, Finding{Code: CodeInvalidPhone, Raw: raw})
	return res
}

// smsCapable reports whether a number of type t may be able to receive SMS.
func smsCapable(t phonenumbers.PhoneNumberType) bool {
	switch t {
	case phonenumbers.FIXED_LINE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE,
		phonenumbers.SHARED_COST, phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL:
		return false
	}
	return true
}

// splitPhones splits a field that may hold several numbers. Parts without any
// digit are dropped (they were labels such as "cell" in "cell: … or home: …").
func splitPhones(s string) []string {
	var out []string
	for _, p := range phoneSeparators.Split(s, -1) {
		if phoneDigitRun.MatchString(p) {
			out = append(out, strings.TrimSpace(p))
		}
	}
	if len(out) == 0 {
		return []string{s}
	}
	return out
}

// cleanPhone removes labels and a trailing extension from one number.
func cleanPhone(p string) (cleaned string, annotated, extension bool) {
	c := phoneLabels.ReplaceAllString(p, " ")
	annotated = c != p
	if loc := phoneExtension.FindStringIndex(c); loc != nil && len(digitsOf(c[:loc[0]])) >= 7 {
		c = c[:loc[0]]
		extension = true
	}
	return strings.Trim(c, " \t-:.,"), annotated, extension
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// phoneShape names the written shape of a cleaned number: digits become "d".
func phoneShape(cleaned string, annotated, extension bool) string {
	var shape string
	switch {
	case strings.HasPrefix(cleaned, "+") && len(digitsOf(cleaned)) == len(cleaned)-1:
		shape = PhoneFormatE164
	case strings.HasPrefix(cleaned, "+"):
		shape = PhoneFormatPlus
	default:
		b := []byte(cleaned)
		for i, c := range b {
			if c >= '0' && c <= '9' {
				b[i] = 'd'
			}
		}
		shape = string(b)
		if len(shape) > 20 || strings.ContainsAny(shape, "abcefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			shape = PhoneFormatOther
		}
	}
	if annotated {
		shape += " with annotation"
	}
	if extension {
		shape += " with extension"
	}
	return shape
}
