package writeback

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Clio writes notes on matters through the Clio Manage API v4
// (https://docs.developers.clio.com/api-reference/#tag/Notes). It implements
// Notes.
type Clio struct {
	// BaseURL is the Clio host, e.g. https://app.clio.com (or the EU/CA/AU
	// one); Token is an OAuth access token with notes read/write scope.
	BaseURL string
	Token   string
	HTTP    *http.Client
}

type clioNote struct {
	ID     int64  `json:"id"`
	Detail string `json:"detail"`
}

// FindNote searches the matter's notes for marker (GET /api/v4/notes.json
// with matter_id and query) and checks the detail really contains it.
func (c *Clio) FindNote(ctx context.Context, matterID, marker string) (string, bool, error) {
	id, err := matterNumber(matterID)
	if err != nil {
		return "", false, err
	}
	q := url.Values{"matter_id": {strconv.FormatInt(id, 10)}, "query": {marker}, "fields": {"id,detail"}, "type": {"Matter"}}
	var out struct {
		Data []clioNote `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v4/notes.json?"+q.Encode(), nil, &out); err != nil {
		return "", false, err
	}
	for _, n := range out.Data {
		if strings.Contains(n.Detail, marker) {
			return strconv.FormatInt(n.ID, 10), true, nil
		}
	}
	return "", false, nil
}

// CreateNote adds a note to the matter (POST /api/v4/notes.json).
func (c *Clio) CreateNote(ctx context.Context, matterID string, n Note) (string, error) {
	id, err := matterNumber(matterID)
	if err != nil {
		return "", err
	}
	body := map[string]any{"data": map[string]any{
		"type": "Matter", "matter": map[string]any{"id": id},
		"subject": n.Subject, "detail": n.Detail, "date": n.Date.Format("2006-01-02"),
	}}
	var out struct {
		Data clioNote `json:"data"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v4/notes.json?fields=id", body, &out); err != nil {
		return "", err
	}
	return strconv.FormatInt(out.Data.ID, 10), nil
}

func matterNumber(matterID string) (int64, error) {
	id, err := strconv.ParseInt(matterID, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: %q is not a Clio matter id", ErrPermanent, matterID)
	}
	return id, nil
}

// do sends one request; 404 and 422 are permanent, other failures retried.
func (c *Clio) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrPermanent, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("clio %s %s: %w", method, strings.SplitN(path, "?", 2)[0], err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusUnprocessableEntity:
		return fmt.Errorf("%w: clio answered %d: %s", ErrPermanent, resp.StatusCode, snippet(b))
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return fmt.Errorf("clio answered %d: %s", resp.StatusCode, snippet(b))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("clio answer is not JSON: %w", err)
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
