package clio

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// This file lets Herald write back to Clio: a note on a matter for every
// message sent and every client reply (package writeback uses it).

// note is the part of a Clio note Herald reads.
type note struct {
	ID     json.Number `json:"id"`
	Detail string      `json:"detail"`
}

// FindNote returns the id of a note on matter matterID whose detail contains
// marker (GET /api/v4/notes.json?type=Matter&matter_id=…&query=…), with
// found=false when there is none. Clio has no idempotency key; the marker
// lets a retried write find the note an earlier attempt created.
func (c *Client) FindNote(ctx context.Context, matterID, marker string) (id string, found bool, err error) {
	q := url.Values{"type": {"Matter"}, "matter_id": {matterID}, "query": {marker}, "fields": {"id,detail"}}
	var out struct {
		Data []note `json:"data"`
	}
	if err := c.do(ctx, "GET", "/api/v4/notes.json", q, nil, &out); err != nil {
		return "", false, fmt.Errorf("find note on matter %s: %w", matterID, err)
	}
	for _, n := range out.Data {
		if strings.Contains(n.Detail, marker) {
			return n.ID.String(), true, nil
		}
	}
	return "", false, nil
}

// CreateNote adds a note to matter matterID (POST /api/v4/notes.json) and
// returns its id.
func (c *Client) CreateNote(ctx context.Context, matterID, subject, detail string, date time.Time) (string, error) {
	body := map[string]any{"data": map[string]any{
		"type": "Matter", "matter": map[string]any{"id": json.Number(matterID)},
		"subject": subject, "detail": detail, "date": date.Format("2006-01-02"),
	}}
	var out struct {
		Data note `json:"data"`
	}
	if err := c.do(ctx, "POST", "/api/v4/notes.json", url.Values{"fields": {"id"}}, body, &out); err != nil {
		return "", fmt.Errorf("create note on matter %s: %w", matterID, err)
	}
	return out.Data.ID.String(), nil
}
