package render

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kinds of privileged content found by ScanPrivileged.
const (
	HitSSN           = "ssn"
	HitDateOfBirth   = "date_of_birth"
	HitAmount        = "amount"
	HitSensitiveWord = "sensitive_word"
)

// Hit is one piece of privileged content; Offset is in bytes.
type Hit struct {
	Kind   string
	Text   string
	Offset int
}

var (
	reSSN = regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b|\b\d{3} \d{2} \d{4}\b`)

	// reBirthWord introduces a date of birth in English or Spanish.
	reBirthWord = regexp.MustCompile(`(?i)\b(?:d\.?o\.?b\.?|date of birth|birth ?date|birthday|born(?: on)?|fecha de nacimiento|f\.? ?de nac\.?|nacid[oa](?: el)?|nacimiento)(?:\W|$)`)

	// reFullDate is a date with day, month and year.
	reFullDate = regexp.MustCompile(`(?i)^[\s:,\-–(]*(?:(?:is|was|on|el|:)\s*)*(` +
		`\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}` +
		`|\d{4}-\d{1,2}-\d{1,2}` +
		`|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}` +
		`|\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*,? \d{4}` +
		`|\d{1,2} de [a-zñ]+ (?:de|del) \d{4})`)

	// reAmount matches money: $12,500, $1.2 million, USD 5000, 50,000 dollars.
	reAmount = regexp.MustCompile(`(?i)(?:US)?\$\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|thousand|mil|millones|k|m)\b)?` +
		`|\bUSD\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|thousand))?` +
		`|\b\d[\d,]*(?:\.\d+)?\s?(?:(?:million|billion|thousand|mil|millones)\s(?:de\s)?)?(?:dollars|d[oó]lares|usd|bucks)\b`)
)

// ScanPrivileged finds content that must not travel in clear text by SMS or
// in an email subject: social security numbers, full dates of birth (a full
// date next to DOB/birth words), dollar amounts, and the given sensitive
// words or phrases (case-insensitive, whole words). Hits are ordered by
// offset; overlapping hits keep the first, longest one.
func ScanPrivileged(text string, sensitiveWords []string) []Hit {
	var hits []Hit
	add := func(kind string, start, end int) {
		hits = append(hits, Hit{Kind: kind, Text: text[start:end], Offset: start})
	}
	for _, m := range reSSN.FindAllStringIndex(text, -1) {
		add(HitSSN, m[0], m[1])
	}
	for _, m := range reBirthWord.FindAllStringIndex(text, -1) {
		// reBirthWord ends by consuming one non-word character (RE2 has no
		// look-ahead); give it back so the date search sees it.
		rest := text[m[1]:]
		if m[1] > m[0] && !isWordByte(text[m[1]-1]) {
			rest = text[m[1]-1:]
		}
		if d := reFullDate.FindStringSubmatchIndex(rest); d != nil {
			add(HitDateOfBirth, m[0], len(text)-len(rest)+d[3])
		}
	}
	for _, m := range reAmount.FindAllStringIndex(text, -1) {
		add(HitAmount, m[0], m[1])
	}
	for _, w := range sensitiveWords {
		if w = strings.TrimSpace(w); w != "" {
			hits = append(hits, wordHits(text, w)...)
		}
	}
	return dedupeHits(hits)
}

// wordHits finds w in text, case-insensitively, as a whole word or phrase.
// Boundaries are checked on Unicode letters and digits, so accented words
// ("acusación") work where regexp's ASCII \b would not.
func wordHits(text, w string) []Hit {
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(w))
	var hits []Hit
	for _, m := range re.FindAllStringIndex(text, -1) {
		if wholeWord(text, m[0], m[1]) {
			hits = append(hits, Hit{Kind: HitSensitiveWord, Text: text[m[0]:m[1]], Offset: m[0]})
		}
	}
	return hits
}

// wholeWord reports whether text[start:end] is not inside a longer word.
func wholeWord(text string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	if end < len(text) {
		r, _ := utf8.DecodeRuneInString(text[end:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool { return c == '_' || isDigit(c) || isIdentStart(c) }

// dedupeHits sorts hits and drops those overlapping an earlier hit.
func dedupeHits(hits []Hit) []Hit {
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Offset != hits[j].Offset {
			return hits[i].Offset < hits[j].Offset
		}
		return len(hits[i].Text) > len(hits[j].Text)
	})
	var out []Hit
	end := -1
	for _, h := range hits {
		if h.Offset < end {
			continue
		}
		out = append(out, h)
		end = h.Offset + len(h.Text)
	}
	return out
}
