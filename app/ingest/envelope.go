package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/sanitize"
)

// envelope is what Accept needs from an event body before storing it.
type envelope struct {
	eventID    string
	idFromHash bool
	eventType  string
	occurredAt *time.Time
}

// paths are a source's compiled envelope paths; nil when not mapped.
type paths struct {
	eventID, eventType, occurredAt normalize.Path
}

func compilePaths(src normalize.Source) (paths, error) {
	var p paths
	for _, m := range []struct {
		dst  *normalize.Path
		path string
	}{{&p.eventID, src.EventID}, {&p.eventType, src.EventType}, {&p.occurredAt, src.OccurredAt}} {
		if m.path == "" {
			continue
		}
		c, err := normalize.ParsePath(m.path)
		if err != nil {
			return p, fmt.Errorf("source %q: %w", src.Name, err)
		}
		*m.dst = c
	}
	return p, nil
}

// maxEventIDLen bounds a CMS-supplied event id; longer ones are hashed.
const maxEventIDLen = 200

// boundEventID returns id, or "sha256:<hex>" of id when it is longer than
// maxEventIDLen or holds a NUL (which a PostgreSQL text column refuses), so
// such an id still dedupes on the id rather than the body.
func boundEventID(id string) string {
	if len(id) <= maxEventIDLen && !strings.ContainsRune(id, 0) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// readEnvelope checks body is one JSON object and extracts the event id
// (or a body hash), type and time. A malformed body is a derrors.FieldError
// that gives the line, column and byte offset of the problem.
func readEnvelope(body []byte, p paths, loc *time.Location) (envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return envelope{}, syntaxError(body, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return envelope{}, positionError(body, dec.InputOffset()-1, "unexpected data after the JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return envelope{}, derrors.Invalid("body", fmt.Sprintf("is a JSON %s, not an object", kind(v)),
			"send one JSON object per request")
	}
	env := envelope{eventID: text(p.eventID, obj), eventType: text(p.eventType, obj)}
	env.eventType = strings.ReplaceAll(env.eventType, "\x00", "") // text columns refuse NUL
	if len(env.eventType) > maxEventIDLen {
		env.eventType = strings.ToValidUTF8(env.eventType[:maxEventIDLen], "")
	}
	if env.eventID == "" {
		sum := sha256.Sum256(body)
		env.eventID, env.idFromHash = "sha256:"+hex.EncodeToString(sum[:]), true
	} else {
		env.eventID = boundEventID(env.eventID)
	}
	if s := text(p.occurredAt, obj); s != "" {
		if r := sanitize.ParseDate(s, sanitize.DateOptions{Location: loc}); r.Date != nil {
			t := r.Date.Time
			env.occurredAt = &t
		}
	}
	return env, nil
}

// text reads a scalar at p as trimmed text; "" when absent or not scalar.
func text(p normalize.Path, obj map[string]any) string {
	if p == nil {
		return ""
	}
	v, _ := p.Lookup(obj)
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	}
	return ""
}

// syntaxError locates a decoding error. json reports offsets as bytes read,
// so the offending byte is the one before.
func syntaxError(body []byte, err error, inputOffset int64) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return positionError(body, se.Offset-1, se.Error())
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(body)) == 0:
		return derrors.Invalid("body", "is empty", "send one JSON object per request")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return positionError(body, int64(len(body)), "unexpected end of JSON input")
	}
	return positionError(body, inputOffset-1, err.Error())
}

// positionError reports invalid JSON at the 0-based byte offset at, with its
// 1-based line and column (counting bytes).
func positionError(body []byte, at int64, msg string) error {
	at = max(0, min(at, int64(len(body))))
	before := body[:at]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(at) - bytes.LastIndexByte(before, '\n')
	return derrors.Invalid("body", fmt.Sprintf("invalid JSON at line %d, column %d (byte offset %d): %s", line, col, at, msg),
		"send one well-formed JSON object; the CMS's own log of this request shows the bytes")
}

func kind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}
