package normalize

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// eachRecord calls fn for every event in data, which is one JSON value
// (possibly pretty-printed), a stream of JSON values, JSON Lines, or a JSON
// array of events. line is the 1-based line where the record starts. When
// the input is not a clean stream of JSON values it is read as JSON Lines, so
// one bad line is reported (err is a *SyntaxError whose Line is the input
// line) and the others are still processed.
func eachRecord(data []byte, fn func(line int, raw []byte, err error)) {
	type rec struct {
		line int
		raw  []byte
	}
	var recs []rec
	dec := json.NewDecoder(bytes.NewReader(data))
	streamOK := true
	for {
		start := dec.InputOffset()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			if !errors.Is(err, io.EOF) {
				streamOK = false
			}
			break
		}
		start += int64(len(data[start:]) - len(bytes.TrimLeft(data[start:], " \t\r\n")))
		line := bytes.Count(data[:start], []byte("\n")) + 1
		if t := bytes.TrimSpace(v); len(t) > 0 && t[0] == '[' {
			var elems []json.RawMessage
			if json.Unmarshal(t, &elems) == nil {
				for _, e := range elems {
					recs = append(recs, rec{line, e})
				}
				continue
			}
		}
		recs = append(recs, rec{line, v})
	}
	if streamOK {
		for _, r := range recs {
			fn(r.line, r.raw, nil)
		}
		return
	}
	for i, l := range bytes.Split(data, []byte("\n")) {
		l = bytes.TrimRight(l, "\r")
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if _, err := decodeObject(l); err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				se.Line = i + 1
			}
			fn(i+1, l, err)
			continue
		}
		fn(i+1, l, nil)
	}
}
