package clio

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// MatterFields is the fields= Herald asks Clio for when it fetches a matter:
// what config/sources/clio.yaml maps, and nothing more (Clio returns only
// id and etag unless fields are named).
const MatterFields = "id,etag,display_number,description,status,updated_at," +
	"practice_area{name},matter_stage{name}," +
	"client{id,first_name,last_name,primary_email_address,primary_phone_number}," +
	"responsible_attorney{id,name},originating_attorney{id,name}," +
	"custom_field_values{id,field_name,value}"

// ContactFields is the fields= for the client contact's phone numbers and
// email addresses, which the matter's nested client does not list.
const ContactFields = "id,phone_numbers{id,name,number,default_number},email_addresses{id,name,address,default_email}"

// WebhookPayloadFields are the fields Clio includes in each webhook
// delivery. updated_at and etag make every change's body distinct, so a
// redelivery dedupes on the body hash while a new change does not.
const WebhookPayloadFields = "id,etag,updated_at"

// webhookFields is the fields= for webhook records.
const webhookFields = "id,etag,url,fields,shared_secret,model,status,events,expires_at,created_at,updated_at"

// WebhookLifetime is how long a created or renewed webhook lives; Clio
// accepts at most 31 days.
const WebhookLifetime = 30 * 24 * time.Hour

// maxPages bounds how many pages a list follows.
const maxPages = 1000

// Webhook is a Clio webhook record.
type Webhook struct {
	ID           int64     `json:"id"`
	URL          string    `json:"url"`
	Model        string    `json:"model"`
	Events       []string  `json:"events"`
	Fields       string    `json:"fields"`
	Status       string    `json:"status"`
	SharedSecret string    `json:"shared_secret"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// String describes the webhook without its secret.
func (w Webhook) String() string {
	return fmt.Sprintf("clio webhook %d (%s %v, %s, expires %s)", w.ID, w.Model, w.Events, w.Status,
		w.ExpiresAt.Format(time.RFC3339))
}

// Matter fetches one matter with MatterFields. It returns Clio's answer
// unchanged: {"data": {...}}, numbers kept exact.
func (c *Client) Matter(ctx context.Context, id string) (map[string]any, error) {
	var doc map[string]any
	err := c.do(ctx, "GET", "/api/v4/matters/"+url.PathEscape(id)+".json", url.Values{"fields": {MatterFields}}, nil, &doc)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// Contact fetches one contact's phone numbers and email addresses.
func (c *Client) Contact(ctx context.Context, id string) (map[string]any, error) {
	var doc struct {
		Data map[string]any `json:"data"`
	}
	err := c.do(ctx, "GET", "/api/v4/contacts/"+url.PathEscape(id)+".json", url.Values{"fields": {ContactFields}}, nil, &doc)
	if err != nil {
		return nil, err
	}
	return doc.Data, nil
}

// CreateWebhook registers a webhook for model (e.g. "matter") and events
// (e.g. created, updated, deleted) that posts to callbackURL, expiring
// after WebhookLifetime. Clio then posts the handshake to callbackURL.
func (c *Client) CreateWebhook(ctx context.Context, callbackURL, model string, events []string) (Webhook, error) {
	body := map[string]any{"data": map[string]any{
		"url": callbackURL, "model": model, "events": events, "fields": WebhookPayloadFields,
		"expires_at": c.clock.Now().Add(WebhookLifetime).UTC().Format(time.RFC3339),
	}}
	var out struct {
		Data Webhook `json:"data"`
	}
	if err := c.do(ctx, "POST", "/api/v4/webhooks.json", url.Values{"fields": {webhookFields}}, body, &out); err != nil {
		return Webhook{}, err
	}
	return out.Data, nil
}

// ExtendWebhook moves a webhook's expiry to expiresAt (Clio updates with
// PATCH /api/v4/webhooks/{id}.json).
func (c *Client) ExtendWebhook(ctx context.Context, id int64, expiresAt time.Time) (Webhook, error) {
	body := map[string]any{"data": map[string]any{"expires_at": expiresAt.UTC().Format(time.RFC3339)}}
	var out struct {
		Data Webhook `json:"data"`
	}
	path := "/api/v4/webhooks/" + strconv.FormatInt(id, 10) + ".json"
	if err := c.do(ctx, "PATCH", path, url.Values{"fields": {webhookFields}}, body, &out); err != nil {
		return Webhook{}, err
	}
	return out.Data, nil
}

// Webhooks lists every webhook of the account, following meta.paging.next.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	var all []Webhook
	err := c.list(ctx, "/api/v4/webhooks.json", url.Values{"fields": {webhookFields}, "limit": {"200"}},
		func(raw json.RawMessage) error {
			var w Webhook
			if err := json.Unmarshal(raw, &w); err != nil {
				return fmt.Errorf("clio: decode webhook: %w", err)
			}
			all = append(all, w)
			return nil
		})
	return all, err
}

// list calls each for every record of a paginated collection. Clio's next
// page is a full URL in meta.paging.next that already carries the query.
func (c *Client) list(ctx context.Context, path string, query url.Values, each func(json.RawMessage) error) error {
	for page := 0; path != ""; page++ {
		if page >= maxPages {
			return fmt.Errorf("clio: %s has more than %d pages", path, maxPages)
		}
		var out struct {
			Data []json.RawMessage `json:"data"`
			Meta struct {
				Paging struct {
					Next string `json:"next"`
				} `json:"paging"`
			} `json:"meta"`
		}
		if err := c.do(ctx, "GET", path, query, nil, &out); err != nil {
			return err
		}
		for _, r := range out.Data {
			if err := each(r); err != nil {
				return err
			}
		}
		path, query = out.Meta.Paging.Next, nil
	}
	return nil
}
