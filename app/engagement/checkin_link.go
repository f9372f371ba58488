package engagement

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/derrors"
)

// Check-in link errors. Both wrap derrors sentinels so an API would map them;
// the public page renders its own answer for each.
var (
	// ErrCheckinInvalid is a check-in link that Herald did not sign, was
	// altered, or names a case that no longer belongs to the client.
	ErrCheckinInvalid = fmt.Errorf("%w: this check-in link is not valid", derrors.NotFound)
	// ErrCheckinExpired is a genuine check-in link past its expiry.
	ErrCheckinExpired = fmt.Errorf("%w: this check-in link has expired", derrors.NotFound)
	// ErrCheckinAnswered is a second answer to the same check-in: the first
	// answer stands (see AnswerCheckin).
	ErrCheckinAnswered = fmt.Errorf("%w: this check-in was already answered", derrors.Conflict)
	// ErrCheckinForm is a POST that did not come from the page Herald served
	// for this link (missing, altered or stale form nonce, foreign Origin).
	ErrCheckinForm = fmt.Errorf("%w: the check-in form is out of date", derrors.Forbidden)
)

// DefaultCheckinLinkTTL is how long an emailed check-in link can be answered.
const DefaultCheckinLinkTTL = 14 * 24 * time.Hour

// checkinFormTTL bounds how long a rendered check-in page can be submitted.
const checkinFormTTL = 2 * time.Hour

// CheckinLinks signs and verifies the public satisfaction check-in links
// emailed to clients (https://<public url>/checkin/<token>).
//
// A token is a capability for one check-in of one client on one case: it
// carries the case id, the client id, when it was issued and when it
// expires, and an HMAC-SHA256 over them with a key derived from the
// server's secret (HERALD_SESSION_SECRET), so it cannot be forged or
// altered, and it expires by itself. Nothing about the client (name, email)
// is in it. Rotating the secret invalidates every outstanding link.
type CheckinLinks struct {
	key  []byte
	base string
	ttl  time.Duration
}

// NewCheckinLinks returns the signer for links under publicURL. secret must
// be at least 32 characters (config validates HERALD_SESSION_SECRET the same
// way); ttl 0 takes DefaultCheckinLinkTTL.
func NewCheckinLinks(secret, publicURL string, ttl time.Duration) (*CheckinLinks, error) {
	if len(secret) < 32 {
		return nil, errors.New("engagement: check-in links need HERALD_SESSION_SECRET of at least 32 characters (e.g. openssl rand -hex 32)")
	}
	if publicURL == "" {
		return nil, errors.New("engagement: check-in links need HERALD_PUBLIC_URL")
	}
	if ttl == 0 {
		ttl = DefaultCheckinLinkTTL
	}
	if ttl < time.Hour {
		return nil, fmt.Errorf("engagement: a check-in link TTL of %s is too short; use at least 1h", ttl)
	}
	key := sha256.Sum256([]byte("herald checkin link\x00" + secret))
	return &CheckinLinks{key: key[:], base: strings.TrimRight(publicURL, "/"), ttl: ttl}, nil
}

// CheckinToken is what a verified check-in link says.
type CheckinToken struct {
	CaseID, ClientID  int64
	IssuedAt, Expires time.Time
	raw               string
}

// key names the answer to this check-in: one answer per link.
func (t CheckinToken) key() string {
	return fmt.Sprintf("checkin:%d:%d:%d", t.CaseID, t.ClientID, t.IssuedAt.Unix())
}

const (
	tokenVersion = 1
	tokenBody    = 1 + 4*8
	tokenLen     = tokenBody + sha256.Size
)

// Link returns the check-in URL for a client's case, issued at now. The
// planner puts it in the check-in email as {{ checkin_link }}.
func (l *CheckinLinks) Link(caseID, clientID int64, now time.Time) string {
	return l.base + "/checkin/" + l.Token(caseID, clientID, now)
}

// Token returns the signed token for a client's case, issued at now.
func (l *CheckinLinks) Token(caseID, clientID int64, now time.Time) string {
	b := make([]byte, tokenBody, tokenLen)
	b[0] = tokenVersion
	binary.BigEndian.PutUint64(b[1:], uint64(caseID))
	binary.BigEndian.PutUint64(b[9:], uint64(clientID))
	binary.BigEndian.PutUint64(b[17:], uint64(now.Unix()))
	binary.BigEndian.PutUint64(b[25:], uint64(now.Add(l.ttl).Unix()))
	b = l.mac(b, "link")
	return base64.RawURLEncoding.EncodeToString(b)
}

// Parse verifies token at now: ErrCheckinInvalid when it is not one Herald
// signed (or was altered), ErrCheckinExpired when it is past its expiry.
func (l *CheckinLinks) Parse(token string, now time.Time) (CheckinToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenLen || b[0] != tokenVersion {
		return CheckinToken{}, ErrCheckinInvalid
	}
	if !hmac.Equal(l.mac(b[:tokenBody:tokenBody], "link")[tokenBody:], b[tokenBody:]) {
		return CheckinToken{}, ErrCheckinInvalid
	}
	t := CheckinToken{
		CaseID:   int64(binary.BigEndian.Uint64(b[1:])),
		ClientID: int64(binary.BigEndian.Uint64(b[9:])),
		IssuedAt: time.Unix(int64(binary.BigEndian.Uint64(b[17:])), 0).UTC(),
		Expires:  time.Unix(int64(binary.BigEndian.Uint64(b[25:])), 0).UTC(),
		raw:      token,
	}
	if t.CaseID <= 0 || t.ClientID <= 0 {
		return CheckinToken{}, ErrCheckinInvalid
	}
	if !now.Before(t.Expires) {
		return t, ErrCheckinExpired
	}
	return t, nil
}

// FormNonce returns the nonce the check-in page puts in its form: an HMAC
// over the link's token and the time the page was rendered. See
// CheckFormNonce.
func (l *CheckinLinks) FormNonce(token string, now time.Time) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(now.Unix()))
	b = l.mac(append(b, token...), "form")
	return base64.RawURLEncoding.EncodeToString(append(b[:8:8], b[len(b)-sha256.Size:]...))
}

// CheckFormNonce accepts a nonce FormNonce made for this token within the
// last two hours. The token in the URL is the capability (only the client
// has it); the nonce adds that an answer is posted from a page Herald
// rendered for that token shortly before, not by a form another site builds
// around a leaked or guessed link, and not by a mail scanner replaying an
// old request.
func (l *CheckinLinks) CheckFormNonce(token, nonce string, now time.Time) error {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 8+sha256.Size {
		return ErrCheckinForm
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	want := l.mac(append(b[:8:8], token...), "form")
	if !hmac.Equal(want[len(want)-sha256.Size:], b[8:]) {
		return ErrCheckinForm
	}
	if now.Sub(issued) > checkinFormTTL || issued.Sub(now) > time.Minute {
		return ErrCheckinForm
	}
	return nil
}

// mac appends HMAC-SHA256(purpose, msg) to msg.
func (l *CheckinLinks) mac(msg []byte, purpose string) []byte {
	h := hmac.New(sha256.New, l.key)
	h.Write([]byte(purpose + "\x00"))
	h.Write(msg)
	return h.Sum(msg)
}
