package clio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
)

// MatterAPI is what the Enricher needs from Clio (*Client).
type MatterAPI interface {
	Matter(ctx context.Context, id string) (map[string]any, error)
	Contact(ctx context.Context, id string) (map[string]any, error)
}

// Enricher implements ingest.Enricher for Clio: a Clio webhook only names
// the matter ({"data":{"id":N,...},"meta":{"event":"updated",...}}), so it
// fetches the matter with MatterFields and the client contact's phone
// numbers and email addresses, and returns {"data": matter} with
// data.client.phone_numbers and data.client.email_addresses added — the
// document config/sources/clio.yaml maps. Other sources pass through.
type Enricher struct {
	// API is nil when CLIO_ACCESS_TOKEN is not set; Clio events then fail
	// with a configuration error a human can act on.
	API MatterAPI
}

// Enrich implements ingest.Enricher. A deleted matter (Clio's "deleted"
// event, or 404 on fetch) is an *ingest.DeletedError, which ingest records
// as a finding rather than a failure; a deleted client contact only leaves
// out its phone numbers and email addresses. Errors wrapping
// derrors.InvalidArgument (revoked token, malformed webhook) are permanent;
// rate limits, 5xx and network errors are retried.
func (e Enricher) Enrich(ctx context.Context, source string, raw []byte) ([]byte, error) {
	if source != Source {
		return raw, nil
	}
	var hook struct {
		Data struct {
			ID json.Number `json:"id"`
		} `json:"data"`
		Meta struct {
			Event string `json:"event"`
		} `json:"meta"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&hook); err != nil || hook.Data.ID == "" {
		return nil, derrors.Invalid("data.id", "is missing from the Clio webhook body",
			"check the webhook was created with fields including id")
	}
	if hook.Meta.Event == "deleted" {
		return nil, &ingest.DeletedError{CaseID: hook.Data.ID.String(),
			Detail: "Clio sent a matter deleted webhook; if the deletion was a mistake, restore the matter in Clio"}
	}
	if c, ok := e.API.(*Client); e.API == nil || (ok && c == nil) {
		return nil, derrors.Invalid("CLIO_ACCESS_TOKEN", "is not set, so Herald cannot fetch Clio matters",
			"connect Clio and set CLIO_ACCESS_TOKEN, then retry the event")
	}
	doc, err := e.API.Matter(ctx, hook.Data.ID.String())
	if errors.Is(err, derrors.NotFound) {
		// Deleted after this webhook was sent (or a redelivery of an old one).
		return nil, &ingest.DeletedError{CaseID: hook.Data.ID.String(),
			Detail: fmt.Sprintf("Clio answers 404 for matter %s (%v); if the deletion was a mistake, restore the matter in Clio", hook.Data.ID, err)}
	}
	if err != nil {
		return nil, fmt.Errorf("fetch matter %s: %w", hook.Data.ID, err)
	}
	matter, ok := doc["data"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("clio: matter %s answer has no data object", hook.Data.ID)
	}
	if client, ok := matter["client"].(map[string]any); ok {
		if id := idText(client["id"]); id != "" {
			contact, err := e.API.Contact(ctx, id)
			if errors.Is(err, derrors.NotFound) {
				// The contact is gone but the matter is not: go on with the
				// matter's own client fields; the normalizer reports what is missing.
				contact = nil
			} else if err != nil {
				return nil, fmt.Errorf("fetch contact %s of matter %s: %w", id, hook.Data.ID, err)
			}
			for _, k := range []string{"phone_numbers", "email_addresses"} {
				if v, ok := contact[k]; ok {
					client[k] = v
				}
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("clio: encode matter %s: %w", hook.Data.ID, err)
	}
	return out, nil
}

func idText(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case string:
		return x
	}
	return ""
}
