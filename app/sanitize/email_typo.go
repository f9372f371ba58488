package sanitize

import "strings"

// commonDomains are mailbox providers clients commonly use. A domain one edit
// away from one of them (two for names of 13 bytes or more) is a suspected
// typo. Short names (me.com, aol.com) are too close to real domains for the
// distance check and rely on domainTypos only.
var commonDomains = []string{
	"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com",
	"aol.com", "live.com", "msn.com", "me.com", "mac.com", "mail.com",
	"comcast.net", "att.net", "verizon.net", "sbcglobal.net", "bellsouth.net",
	"charter.net", "cox.net", "ymail.com", "rocketmail.com", "protonmail.com",
	"proton.me", "googlemail.com", "gmx.com", "earthlink.net", "juno.com",
	"optonline.net", "frontier.com", "windstream.net", "yahoo.co.uk",
	"hotmail.co.uk", "yahoo.com.mx", "hotmail.es", "live.com.mx", "email.com",
	"hotmail.ca", "yahoo.ca", "live.ca", "hotmail.fr", "yahoo.fr", "hotmail.de",
}

// domainTypos are misspellings too far from the right domain for the edit
// distance check, or too ambiguous to leave to it.
var domainTypos = map[string]string{
	"gmail.co": "gmail.com", "gmail.cm": "gmail.com", "gmail.om": "gmail.com",
	"gamil.com": "gmail.com", "gmaill.com": "gmail.com", "gmal.com": "gmail.com",
	"gmai.com": "gmail.com", "gmial.com": "gmail.com", "gnail.com": "gmail.com",
	"g.mail.com": "gmail.com", "gmailcom.com": "gmail.com", "gmsil.com": "gmail.com",
	"yaho.com": "yahoo.com", "yahooo.com": "yahoo.com", "yhoo.com": "yahoo.com",
	"yahoo.co": "yahoo.com", "yahho.com": "yahoo.com", "tahoo.com": "yahoo.com",
	"hotmial.com": "hotmail.com", "hotmal.com": "hotmail.com", "hotmail.co": "hotmail.com",
	"homail.com": "hotmail.com", "hotmil.com": "hotmail.com", "hitmail.com": "hotmail.com",
	"outlok.com": "outlook.com", "outloo.com": "outlook.com", "outlook.co": "outlook.com",
	"iclod.com": "icloud.com", "icoud.com": "icloud.com", "icloud.co": "icloud.com",
	"aol.co": "aol.com", "aol.cm": "aol.com", "aoll.com": "aol.com",
}

// tldTypos fixes the last label of any domain.
var tldTypos = map[string]string{"con": "com", "cmo": "com", "ocm": "com", "comm": "com", "nett": "net"}

// fixDomainTypo returns addr with its domain corrected and true when the
// domain looks like a misspelt common domain.
func fixDomainTypo(addr string) (string, bool) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr, false
	}
	local, domain := addr[:at], addr[at+1:]
	if fixed, ok := suggestDomain(domain); ok {
		return local + "@" + fixed, true
	}
	return addr, false
}

func suggestDomain(domain string) (string, bool) {
	for _, d := range commonDomains {
		if d == domain {
			return "", false
		}
	}
	if fixed, ok := domainTypos[domain]; ok {
		return fixed, true
	}
	if i := strings.LastIndexByte(domain, '.'); i >= 0 {
		if tld, ok := tldTypos[domain[i+1:]]; ok {
			fixed := domain[:i+1] + tld
			if f2, ok := suggestDomain(fixed); ok {
				return f2, true
			}
			return fixed, true
		}
	}
	best, bestDist, tie := "", 3, false
	for _, d := range commonDomains {
		limit := 0
		switch {
		case len(d) >= 13:
			limit = 2
		case len(d) >= 9:
			limit = 1
		}
		dist := osaDistance(domain, d)
		if dist > limit {
			continue
		}
		switch {
		case dist < bestDist:
			best, bestDist, tie = d, dist, false
		case dist == bestDist:
			tie = true
		}
	}
	if best == "" || tie {
		return "", false
	}
	return best, true
}

// osaDistance is the optimal-string-alignment edit distance: insertions,
// deletions, substitutions and transpositions of adjacent bytes each cost 1.
func osaDistance(a, b string) int {
	if d := len(a) - len(b); d > 3 || d < -3 {
		return 4
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
