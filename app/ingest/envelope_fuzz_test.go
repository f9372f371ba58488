package ingest

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/config"
)

var hashedID = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// FuzzReadEnvelope checks the webhook envelope decoder: it never panics,
// refuses anything that is not one JSON object with a field error that
// points inside the body, and for what it accepts yields an event id the
// database accepts (non-empty, bounded) that is stable for the same bytes.
// Seeds live in testdata/fuzz/FuzzReadEnvelope.
func FuzzReadEnvelope(f *testing.F) {
	src, err := normalize.LoadSource(config.SourcesFS, "generic")
	if err != nil {
		f.Fatal(err)
	}
	p, err := compilePaths(src)
	if err != nil {
		f.Fatal(err)
	}
	loc, _ := time.LoadLocation("America/Chicago")
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := readEnvelope(body, p, loc)
		if err != nil {
			var fe *derrors.FieldError
			if !errors.As(err, &fe) || fe.Field != "body" || !errors.Is(err, derrors.InvalidArgument) {
				t.Fatalf("readEnvelope(%q) error %v is not a body field error", body, err)
			}
			return
		}
		if env.eventID == "" || strings.ContainsRune(env.eventID, 0) ||
			(len(env.eventID) > maxEventIDLen && !hashedID.MatchString(env.eventID)) {
			t.Fatalf("readEnvelope(%q) event id %q is empty, unbounded or holds a NUL", body, env.eventID)
		}
		if strings.ContainsRune(env.eventType, 0) || !utf8.ValidString(env.eventType) {
			t.Fatalf("readEnvelope(%q) event type %q holds a NUL or invalid UTF-8, which PostgreSQL refuses", body, env.eventType)
		}
		if env.idFromHash && !hashedID.MatchString(env.eventID) {
			t.Fatalf("readEnvelope(%q) body-hash id %q is not sha256:<64 hex>", body, env.eventID)
		}
		if len(env.eventType) > maxEventIDLen {
			t.Fatalf("readEnvelope(%q) event type of %d bytes, want at most %d", body, len(env.eventType), maxEventIDLen)
		}
		again, err := readEnvelope(body, p, loc)
		if err != nil || again.eventID != env.eventID || again.idFromHash != env.idFromHash {
			t.Fatalf("readEnvelope(%q) is not deterministic: %+v then %+v, %v", body, env, again, err)
		}
	})
}
