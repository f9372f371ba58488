package normalize

import (
	"strings"
	"time"
)

// iso6391 holds every ISO 639-1 language code.
var iso6391 = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce
		ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he
		hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw
		ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj
		om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta
		te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu`) {
		m[c] = true
	}
	return m
}()

// languageNames maps the language names and ISO 639-2 codes CMS users type
// to ISO 639-1.
var languageNames = map[string]string{
	"english": "en", "eng": "en", "spanish": "es", "español": "es", "espanol": "es", "spa": "es",
	"french": "fr", "fra": "fr", "chinese": "zh", "mandarin": "zh", "cantonese": "zh", "zho": "zh",
	"vietnamese": "vi", "vie": "vi", "korean": "ko", "kor": "ko", "tagalog": "tl", "filipino": "tl",
	"russian": "ru", "rus": "ru", "arabic": "ar", "ara": "ar", "portuguese": "pt", "por": "pt",
	"haitian creole": "ht", "creole": "ht", "polish": "pl", "german": "de", "italian": "it",
	"hindi": "hi", "urdu": "ur", "japanese": "ja", "somali": "so", "ukrainian": "uk", "persian": "fa",
	"farsi": "fa", "gujarati": "gu", "bengali": "bn", "punjabi": "pa", "amharic": "am", "greek": "el",
}

// language returns the ISO 639-1 code for raw ("en", "EN", "en-US", "es_MX",
// "Spanish", "spa"), or false when it names no known language.
func language(raw string) (string, bool) {
	s := strings.ToLower(strings.TrimSpace(raw))
	if code, ok := languageNames[s]; ok {
		return code, true
	}
	if i := strings.IndexAny(s, "-_"); i > 0 {
		s = s[:i]
	}
	if iso6391[s] {
		return s, true
	}
	code, ok := languageNames[s]
	return code, ok
}

// timezoneNames maps informal US zone names to IANA names.
var timezoneNames = map[string]string{
	"eastern": "America/New_York", "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York",
	"central": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago", "ct": "America/Chicago",
	"mountain": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver", "mt": "America/Denver",
	"pacific": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles",
	"arizona": "America/Phoenix", "alaska": "America/Anchorage", "hawaii": "Pacific/Honolulu",
}

// timezone returns a valid IANA zone name for raw, or false. Informal US
// names ("Central", "CST", "Eastern Time") map to their IANA zone; "Local"
// is rejected because it would mean the server's zone.
func timezone(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	key := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(s), " time"), " standard")
	if name, ok := timezoneNames[key]; ok {
		return name, true
	}
	if s == "" || strings.EqualFold(s, "local") || strings.ContainsAny(s, " \\") {
		return "", false
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return "", false
	}
	return loc.String(), true
}

// parseFlag reads a boolean CMS value: true/false, yes/no, y/n, 1/0, on/off,
// checked/unchecked, paused.
func parseFlag(raw string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true", "yes", "y", "1", "on", "checked", "paused", "t", "x":
		return true, true
	case "false", "no", "n", "0", "off", "unchecked", "f":
		return false, true
	}
	return false, false
}

// text trims and collapses whitespace; empty becomes nil.
func text(raw string) *string {
	s := strings.Join(strings.Fields(raw), " ")
	if s == "" {
		return nil
	}
	return &s
}
