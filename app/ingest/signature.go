package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/config"
)

// SignatureHeader carries a CMS webhook's signature:
//
//	Herald-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
//
// Several v1 values may be sent (a CMS signing with an old and a new secret
// during rotation); one match is enough. Unknown schemes are ignored.
const SignatureHeader = "Herald-Signature"

// ReplayWindow is how far a signature's timestamp may be from now, in either
// direction, before the request is refused as a replay (or a clock skew).
const ReplayWindow = 5 * time.Minute

// maxSignatureParts bounds the work an attacker can ask for per request.
const maxSignatureParts = 16

// Signature is a parsed Herald-Signature header.
type Signature struct {
	Timestamp int64
	V1        [][]byte
}

// ParseSignature parses a Herald-Signature header value. It requires exactly
// one t= (decimal Unix seconds) and at least one v1= (64 hex digits), and
// ignores parts with other keys.
func ParseSignature(h string) (Signature, error) {
	var sig Signature
	if strings.TrimSpace(h) == "" {
		return sig, errors.New("the " + SignatureHeader + " header is missing")
	}
	parts := strings.Split(h, ",")
	if len(parts) > maxSignatureParts {
		return sig, fmt.Errorf("%s has %d parts; at most %d are accepted", SignatureHeader, len(parts), maxSignatureParts)
	}
	seenT := false
	for _, p := range parts {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return Signature{}, fmt.Errorf("%s part %q is not key=value", SignatureHeader, clip(p))
		}
		switch k {
		case "t":
			if seenT {
				return Signature{}, fmt.Errorf("%s has more than one t=", SignatureHeader)
			}
			seenT = true
			ts, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ts <= 0 || strings.HasPrefix(v, "+") {
				return Signature{}, fmt.Errorf("%s t=%q is not Unix seconds", SignatureHeader, clip(v))
			}
			sig.Timestamp = ts
		case "v1":
			mac, err := hex.DecodeString(v)
			if err != nil || len(mac) != sha256.Size {
				return Signature{}, fmt.Errorf("%s v1=%q is not 64 hex digits", SignatureHeader, clip(v))
			}
			sig.V1 = append(sig.V1, mac)
		}
	}
	if !seenT {
		return Signature{}, fmt.Errorf("%s has no t= timestamp", SignatureHeader)
	}
	if len(sig.V1) == 0 {
		return Signature{}, fmt.Errorf("%s has no v1= signature", SignatureHeader)
	}
	return sig, nil
}

// String formats the signature as a header value.
func (s Signature) String() string {
	var b strings.Builder
	b.WriteString("t=" + strconv.FormatInt(s.Timestamp, 10))
	for _, m := range s.V1 {
		b.WriteString(",v1=" + hex.EncodeToString(m))
	}
	return b.String()
}

// Sign returns the Herald-Signature value a CMS sends for body at time t.
func Sign(secret string, t time.Time, body []byte) string {
	return Signature{Timestamp: t.Unix(), V1: [][]byte{mac(secret, t.Unix(), body)}}.String()
}

func mac(secret string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(strconv.FormatInt(ts, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verifier authenticates one webhook request. headers have lower-case keys.
type Verifier interface {
	Verify(headers map[string]string, body []byte, now time.Time) error
}

// HMACVerifier checks the Herald-Signature header against any of Secrets.
type HMACVerifier struct {
	Source  string
	Secrets []string
}

// Verify implements Verifier. Every failure wraps derrors.Unauthorized and
// says what was wrong.
func (v HMACVerifier) Verify(headers map[string]string, body []byte, now time.Time) error {
	if len(v.Secrets) == 0 {
		return fmt.Errorf("%w: no signing secret is configured for source %q (set %s)",
			derrors.Unauthorized, v.Source, config.SecretEnv(v.Source))
	}
	sig, err := ParseSignature(headers[strings.ToLower(SignatureHeader)])
	if err != nil {
		return fmt.Errorf("%w: %w", derrors.Unauthorized, err)
	}
	window := int64(ReplayWindow / time.Second)
	switch age := now.Unix() - sig.Timestamp; {
	case age > window:
		return fmt.Errorf("%w: signature timestamp %ds old; replay window is %ds", derrors.Unauthorized, age, window)
	case -age > window:
		return fmt.Errorf("%w: signature timestamp %ds in the future; replay window is %ds (check the CMS clock)",
			derrors.Unauthorized, -age, window)
	}
	for _, secret := range v.Secrets {
		want := mac(secret, sig.Timestamp, body)
		for _, got := range sig.V1 {
			if hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: signature does not match the body (%d v1 value(s) checked against %d secret(s))",
		derrors.Unauthorized, len(sig.V1), len(v.Secrets))
}

// clip shortens attacker-controlled text before it goes into an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
