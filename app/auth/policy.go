package auth

import (
	"slices"
	"strings"
)

// Policy decides who may sign in and what role a first-time user gets.
type Policy struct {
	// AllowedDomains are e-mail domains whose staff may sign in ("example-law.com").
	AllowedDomains []string
	// AllowedEmails are individual addresses allowed in addition to the domains.
	AllowedEmails []string
	// DefaultRole is given to a first-time user; empty means an admin assigns one.
	DefaultRole string
}

// Allows reports whether email may sign in. With no allowlist at all every
// address is allowed (config refuses that in production).
func (p Policy) Allows(email string) bool {
	email = strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return false
	}
	if len(p.AllowedDomains) == 0 && len(p.AllowedEmails) == 0 {
		return true
	}
	if slices.ContainsFunc(p.AllowedEmails, func(e string) bool { return strings.EqualFold(strings.TrimSpace(e), email) }) {
		return true
	}
	domain := email[at+1:]
	return slices.ContainsFunc(p.AllowedDomains, func(d string) bool {
		return strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(d), "@"), domain)
	})
}
