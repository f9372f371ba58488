// Package telemetry builds Herald's structured logger and Prometheus
// metrics, and masks client contact details before they reach a log line.
package telemetry

import (
	"io"
	"log/slog"
	"strings"
)

// NewLogger returns a JSON logger in prod and a text logger in dev.
func NewLogger(env string, w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if env == "prod" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// MaskPhone keeps the first two characters (the + and country digit) and the
// last two digits: +1********67.
func MaskPhone(p string) string {
	if len(p) < 5 {
		return strings.Repeat("*", len(p))
	}
	const keep = 2
	return p[:2] + strings.Repeat("*", len(p)-2-keep) + p[len(p)-keep:]
}

// MaskEmail keeps the first letter of the local part and the domain:
// j***@example.com.
func MaskEmail(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" {
		return strings.Repeat("*", len(e))
	}
	return local[:1] + "***@" + domain
}

// MaskAddress masks an email or phone number, whichever it looks like.
func MaskAddress(a string) string {
	if strings.Contains(a, "@") {
		return MaskEmail(a)
	}
	return MaskPhone(a)
}
