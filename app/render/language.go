package render

import "strings"

// ChooseLanguage picks the template variant to send: the client's preferred
// language ("es-MX"), then its base language ("es"), then the firm default
// (and its base), then "en". Matching ignores case and "_" vs "-"; a variant
// for a region of the wanted base language ("es-US" for "es") also matches.
// When none of those is available it returns the first available variant
// (better than sending nothing), and "" only when available is empty.
func ChooseLanguage(available []string, preferred, firmDefault string) string {
	if len(available) == 0 {
		return ""
	}
	for _, want := range []string{preferred, firmDefault, "en"} {
		want = normalizeLang(want)
		if want == "" {
			continue
		}
		base, _, _ := strings.Cut(want, "-")
		for _, candidate := range []string{want, base} {
			for _, a := range available {
				if normalizeLang(a) == candidate {
					return a
				}
			}
		}
		for _, a := range available {
			if b, _, _ := strings.Cut(normalizeLang(a), "-"); b == base {
				return a
			}
		}
	}
	return available[0]
}

func normalizeLang(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
}
