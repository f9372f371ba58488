package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
)

// Cookie names used by the portal.
const (
	SessionCookie = "herald_session"
	StateCookie   = "herald_oauth"
)

// Session is what the signed, encrypted session cookie carries: who is signed
// in (UserID 0 for a visitor who has not signed in yet) and the CSRF token
// every state-changing request, the sign-in forms included, must echo. The user's
// role is not in the cookie; it is re-read on every request so a role change
// or a disabled account takes effect at once.
type Session struct {
	UserID  int64     `json:"u"`
	CSRF    string    `json:"c"`
	Expires time.Time `json:"e"`
}

// ValidCSRF reports whether token matches the session's CSRF token, in
// constant time.
func (s Session) ValidCSRF(token string) bool {
	return s.CSRF != "" && subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(token)) == 1
}

// Sessions signs (HMAC-SHA256) and encrypts (AES-256) cookie values with keys
// derived from the session secret, and checks expiry against the clock.
type Sessions struct {
	codec *securecookie.SecureCookie
	ttl   time.Duration
	clock clock.Clock
	// Secure marks cookies Secure (the public URL is https).
	Secure bool
}

// NewSessions returns the cookie codec. An empty secret (development only;
// config requires one in production) gets a random per-process secret, so
// sessions do not survive a restart.
func NewSessions(secret string, ttl time.Duration, secure bool, clk clock.Clock) *Sessions {
	if secret == "" {
		secret = RandomToken(32)
	}
	hashKey := sha256.Sum256([]byte("herald session hash\x00" + secret))
	blockKey := sha256.Sum256([]byte("herald session block\x00" + secret))
	codec := securecookie.New(hashKey[:], blockKey[:]).
		SetSerializer(securecookie.JSONEncoder{}).
		MaxAge(0) // expiry is checked against the injected clock instead
	return &Sessions{codec: codec, ttl: ttl, clock: clk, Secure: secure}
}

// TTL is how long a session lasts.
func (s *Sessions) TTL() time.Duration { return s.ttl }

// New starts a session for userID (0 for an anonymous visitor) with a fresh
// CSRF token; signing in or out always starts a new one.
func (s *Sessions) New(userID int64) Session {
	return Session{UserID: userID, CSRF: RandomToken(32), Expires: s.clock.Now().Add(s.ttl)}
}

// Encode seals v for the cookie called name.
func (s *Sessions) Encode(name string, v any) (string, error) {
	out, err := s.codec.Encode(name, v)
	if err != nil {
		return "", fmt.Errorf("seal %s cookie: %w", name, err)
	}
	return out, nil
}

// Decode opens the cookie called name into v; a tampered, foreign or
// malformed value is derrors.Unauthorized.
func (s *Sessions) Decode(name, value string, v any) error {
	if err := s.codec.Decode(name, value, v); err != nil {
		return fmt.Errorf("%w: %s cookie is not valid: %w", derrors.Unauthorized, name, err)
	}
	return nil
}

// Open decodes a session cookie and checks it has not expired.
func (s *Sessions) Open(value string) (Session, error) {
	var sess Session
	if err := s.Decode(SessionCookie, value, &sess); err != nil {
		return Session{}, err
	}
	if sess.CSRF == "" {
		return Session{}, fmt.Errorf("%w: session without a CSRF token", derrors.Unauthorized)
	}
	if !s.clock.Now().Before(sess.Expires) {
		return Session{}, fmt.Errorf("%w: session expired; sign in again", derrors.Unauthorized)
	}
	return sess, nil
}

// RandomToken returns n random bytes, base64url-encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
