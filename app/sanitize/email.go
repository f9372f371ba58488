package sanitize

import (
	"regexp"
	"strings"
)

// Email formats reported in EmailResult.Format, for the data audit.
const (
	EmailFormatPlain       = "plain"
	EmailFormatDisplayName = "display name <addr>"
	EmailFormatMailto      = "mailto:"
	EmailFormatMultiple    = "multiple addresses"
	EmailFormatPlaceholder = "placeholder"
	EmailFormatInvalid     = "invalid"
)

// EmailResult is the outcome of sanitizing one raw email field.
type EmailResult struct {
	// Address is the usable address (local part as written, domain
	// lower-cased), or nil.
	Address  *string
	Format   string
	Findings []Finding
}

var (
	emailSeparators = regexp.MustCompile(`(?i)\s*(?:[,;/|\s]|\bor\b|\band\b)\s*`)
	emailLocal      = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
	emailLabel      = regexp.MustCompile(`^(?i:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$`)
	emailAt         = regexp.MustCompile(`(?i)\s*(?:\(at\)|\[at\]|\{at\}|\s+at\s+)\s*`)
)

// Email sanitizes a raw email field.
//
// Surrounding space, a "mailto:" prefix and a display-name form
// ("Jane Doe <jane@example.com>") are removed and the domain is lower-cased.
// When the field holds several addresses the first valid one is used and a
// multiple_values finding is reported. An address that fails the syntax check
// yields nil and an invalid_email finding; its Suggestion carries a repaired
// address when the repair is unambiguous (a comma for a dot, spaces, doubled
// dots or "@", "(at)", a missing "@" before a well-known domain). A valid
// address whose domain looks like a misspelt common mailbox provider
// (gmial.com, hotmal.com, aol.co, …) is kept but reported as suspected_typo
// with the corrected address as Suggestion.
//
// Placeholders ("none", "n/a", "no email", …) and empty values yield nil with
// no finding, like Phone.
func Email(raw string) EmailResult {
	s := strings.TrimSpace(raw)
	if s == "" {
		return EmailResult{}
	}
	if isPlaceholder(s) {
		return EmailResult{Format: EmailFormatPlaceholder}
	}
	format := EmailFormatPlain
	if strings.Count(s, "@") > 1 {
		return multipleEmails(raw, s)
	}
	s, format = unwrapEmail(s, format)
	if addr, ok := validEmail(s); ok {
		res := EmailResult{Address: &addr, Format: format}
		if fixed, typo := fixDomainTypo(addr); typo {
			res.Findings = append(res.Findings, Finding{Code: CodeSuspectedTypo, Raw: raw, Suggestion: fixed})
		}
		return res
	}
	return EmailResult{Format: EmailFormatInvalid, Findings: []Finding{{Code: CodeInvalidEmail, Raw: raw, Suggestion: repairEmail(s)}}}
}

// multipleEmails handles a field with more than one "@".
func multipleEmails(raw, s string) EmailResult {
	var firstValid string
	for _, p := range emailSeparators.Split(s, -1) {
		p, _ = unwrapEmail(strings.Trim(p, "<>\"'()"), "")
		if addr, ok := validEmail(p); ok {
			firstValid = addr
			break
		}
	}
	if firstValid == "" {
		return EmailResult{Format: EmailFormatMultiple, Findings: []Finding{{Code: CodeInvalidEmail, Raw: raw}}}
	}
	res := EmailResult{Address: &firstValid, Format: EmailFormatMultiple,
		Findings: []Finding{{Code: CodeMultipleValues, Raw: raw, Suggestion: firstValid}}}
	if fixed, typo := fixDomainTypo(firstValid); typo {
		res.Findings = append(res.Findings, Finding{Code: CodeSuspectedTypo, Raw: raw, Suggestion: fixed})
	}
	return res
}

// unwrapEmail strips a display name, angle brackets, quotes and mailto:.
func unwrapEmail(s, format string) (string, string) {
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
			format = EmailFormatDisplayName
		}
	}
	s = strings.TrimSpace(strings.Trim(s, "\"' "))
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
		if i := strings.IndexByte(s, '?'); i >= 0 {
			s = s[:i]
		}
		format = EmailFormatMailto
	}
	return strings.TrimSpace(s), format
}

// validEmail checks the syntax of a bare address and returns it with the
// domain lower-cased.
func validEmail(s string) (string, bool) {
	if len(s) > 254 {
		return "", false
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(domain, "@") || len(local) == 0 || len(local) > 64 || !emailLocal.MatchString(local) {
		return "", false
	}
	domain = strings.ToLower(domain)
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return "", false
	}
	for _, l := range labels {
		if !emailLabel.MatchString(l) {
			return "", false
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 || strings.Trim(tld, "abcdefghijklmnopqrstuvwxyz") != "" {
		return "", false
	}
	return local + "@" + domain, true
}

// repairEmail returns a valid address derived from an invalid one when the
// repair is unambiguous, or "".
func repairEmail(s string) string {
	r := emailAt.ReplaceAllString(s, "@")
	r = strings.Join(strings.Fields(r), "")
	r = strings.ReplaceAll(r, ",", ".")
	for strings.Contains(r, "..") {
		r = strings.ReplaceAll(r, "..", ".")
	}
	for strings.Contains(r, "@@") {
		r = strings.ReplaceAll(r, "@@", "@")
	}
	r = strings.Trim(r, ".")
	r = strings.ReplaceAll(r, ".@", "@")
	r = strings.ReplaceAll(r, "@.", "@")
	if !strings.Contains(r, "@") {
		r = insertMissingAt(r)
	}
	addr, ok := validEmail(r)
	if !ok {
		return ""
	}
	if fixed, typo := fixDomainTypo(addr); typo {
		return fixed
	}
	return addr
}

// insertMissingAt turns "jane.gmail.com" into "jane@gmail.com", but only when
// the address ends in a well-known mailbox domain, so the split is certain.
func insertMissingAt(s string) string {
	lower := strings.ToLower(s)
	for _, d := range commonDomains {
		if strings.HasSuffix(lower, "."+d) && len(s) > len(d)+1 {
			return s[:len(s)-len(d)-1] + "@" + s[len(s)-len(d):]
		}
	}
	return s
}
