package normalize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNotJSON is wrapped by every error for a body that is not a JSON object.
var ErrNotJSON = errors.New("not a JSON object")

// SyntaxError locates invalid JSON in an event body. Offset is the byte count
// read when the error was found (json.SyntaxError.Offset); Line and Column
// are 1-based and count bytes.
type SyntaxError struct {
	Offset int64
	Line   int
	Column int
	Msg    string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at line %d, column %d (byte %d): %s", e.Line, e.Column, e.Offset, e.Msg)
}

// Unwrap lets errors.Is(err, ErrNotJSON) match.
func (e *SyntaxError) Unwrap() error { return ErrNotJSON }

// decodeObject decodes raw as exactly one JSON object, numbers kept as
// json.Number so IDs and timestamps keep their digits.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(raw, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		return nil, newSyntaxError(raw, off, "unexpected data after the JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("normalize: event body is a JSON %s: %w", jsonKind(v), ErrNotJSON)
	}
	if bytes.Contains(raw, []byte(`\u0000`)) {
		// PostgreSQL text and jsonb refuse NUL: a CMS that sends one would
		// otherwise fail every write of the case as if the database were down.
		obj = dropNUL(obj).(map[string]any)
	}
	return obj, nil
}

// dropNUL removes NUL characters from every string and key in v.
func dropNUL(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, "\x00", "")
	case []any:
		for i := range x {
			x[i] = dropNUL(x[i])
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[strings.ReplaceAll(k, "\x00", "")] = dropNUL(e)
		}
		return out
	}
	return v
}

func syntaxError(raw []byte, err error, inputOffset int64) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return newSyntaxError(raw, se.Offset, se.Error())
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(raw)) == 0:
		return newSyntaxError(raw, 0, "empty body")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return newSyntaxError(raw, int64(len(raw)), "unexpected end of JSON input")
	}
	return newSyntaxError(raw, inputOffset, err.Error())
}

// newSyntaxError computes line and column for offset.
func newSyntaxError(raw []byte, offset int64, msg string) *SyntaxError {
	offset = max(0, min(offset, int64(len(raw))))
	before := raw[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return &SyntaxError{Offset: offset, Line: line, Column: max(col, 1), Msg: msg}
}

func jsonKind(v any) string {
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
