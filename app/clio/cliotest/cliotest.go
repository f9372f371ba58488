// Package cliotest is a fake Clio Manage API v4 for tests: an httptest
// server with matters, contacts and webhooks that speaks Clio's documented
// shapes — {"data": ...} bodies, fields= selection, meta.paging.next links,
// {"error": {...}} errors, 429 with Retry-After — and can play Clio's side
// of a webhook: the X-Hook-Secret handshake and signed deliveries.
package cliotest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Body   []byte
}

// Webhook is a webhook as the fake stores it.
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

// Server is the fake Clio.
type Server struct {
	*httptest.Server
	// Token is the bearer token the fake accepts.
	Token string
	// Now is the fake's clock for webhook expiry checks.
	Now func() time.Time

	mu        sync.Mutex
	matters   map[string]json.RawMessage
	contacts  map[string]json.RawMessage
	hooks     []*Webhook
	nextID    int64
	limited   int
	retryAt   string
	revoked   bool
	requests  []Request
	pageLimit int
}

// New starts a fake Clio closed at the end of the test.
func New(t testing.TB, token string, now func() time.Time) *Server {
	s := &Server{Token: token, Now: now, matters: map[string]json.RawMessage{}, contacts: map[string]json.RawMessage{},
		nextID: 1000}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// AddMatter stores a matter object (the value of "data").
func (s *Server) AddMatter(id string, matter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.matters[id] = json.RawMessage(matter)
}

// AddContact stores a contact object (the value of "data").
func (s *Server) AddContact(id string, contact string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts[id] = json.RawMessage(contact)
}

// AddWebhook stores a webhook as if created earlier, returning it.
func (s *Server) AddWebhook(w Webhook) *Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.ID == 0 {
		s.nextID++
		w.ID = s.nextID
	}
	if w.SharedSecret == "" {
		w.SharedSecret = newSecret()
	}
	s.hooks = append(s.hooks, &w)
	return &w
}

// Webhook returns a copy of a stored webhook.
func (s *Server) Webhook(id int64) (Webhook, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.hooks {
		if h.ID == id {
			return *h, true
		}
	}
	return Webhook{}, false
}

// RateLimit makes the next n API requests answer 429 with Retry-After.
func (s *Server) RateLimit(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited, s.retryAt = n, retryAfter
}

// Revoke makes every request answer 401, as after a revoked OAuth grant.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
}

// PageLimit caps list pages at n records regardless of limit=.
func (s *Server) PageLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageLimit = n
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body})
	if s.revoked || r.Header.Get("Authorization") != "Bearer "+s.Token {
		writeError(w, http.StatusUnauthorized, "AuthenticationError", "The access token is invalid or has been revoked")
		return
	}
	if s.limited > 0 {
		s.limited--
		w.Header().Set("Retry-After", s.retryAt)
		writeError(w, http.StatusTooManyRequests, "RateLimited", "Rate limit exceeded")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v4/")
	id, _ := strings.CutSuffix(path[strings.LastIndexByte(path, '/')+1:], ".json")
	switch {
	case r.Method == "GET" && strings.HasPrefix(path, "matters/"):
		s.show(w, r, s.matters[id])
	case r.Method == "GET" && strings.HasPrefix(path, "contacts/"):
		s.show(w, r, s.contacts[id])
	case r.Method == "POST" && path == "webhooks.json":
		s.createWebhook(w, body)
	case r.Method == "PATCH" && strings.HasPrefix(path, "webhooks/"):
		s.updateWebhook(w, id, body)
	case r.Method == "GET" && path == "webhooks.json":
		s.listWebhooks(w, r)
	default:
		writeError(w, http.StatusNotFound, "RecordNotFound", "The requested resource was not found")
	}
}

func (s *Server) show(w http.ResponseWriter, r *http.Request, rec json.RawMessage) {
	if rec == nil {
		writeError(w, http.StatusNotFound, "RecordNotFound", "The requested resource was not found")
		return
	}
	if r.URL.Query().Get("fields") == "" {
		// Clio answers only id and etag without fields=.
		var m map[string]any
		_ = json.Unmarshal(rec, &m)
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"id": m["id"], "etag": m["etag"]}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]json.RawMessage{"data": rec})
}

func (s *Server) createWebhook(w http.ResponseWriter, body []byte) {
	var req struct {
		Data struct {
			URL       string   `json:"url"`
			Model     string   `json:"model"`
			Events    []string `json:"events"`
			Fields    string   `json:"fields"`
			ExpiresAt string   `json:"expires_at"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Data.URL == "" || req.Data.Model == "" || req.Data.Fields == "" {
		writeError(w, http.StatusUnprocessableEntity, "ValidationError", "url, model and fields are required")
		return
	}
	exp, ok := s.expiry(w, req.Data.ExpiresAt)
	if !ok {
		return
	}
	s.nextID++
	h := &Webhook{ID: s.nextID, URL: req.Data.URL, Model: req.Data.Model, Events: req.Data.Events, Fields: req.Data.Fields,
		Status: "pending", SharedSecret: newSecret(), ExpiresAt: exp}
	s.hooks = append(s.hooks, h)
	writeJSON(w, http.StatusCreated, map[string]any{"data": h})
}

// expiry parses expires_at; Clio refuses more than 31 days ahead.
func (s *Server) expiry(w http.ResponseWriter, v string) (time.Time, bool) {
	if v == "" {
		return s.Now().Add(3 * 24 * time.Hour), true
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil || t.After(s.Now().Add(31*24*time.Hour)) || !t.After(s.Now()) {
		writeError(w, http.StatusUnprocessableEntity, "ValidationError", "expires_at must be within the next 31 days")
		return time.Time{}, false
	}
	return t, true
}

func (s *Server) updateWebhook(w http.ResponseWriter, id string, body []byte) {
	var req struct {
		Data struct {
			ExpiresAt string `json:"expires_at"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "malformed JSON")
		return
	}
	for _, h := range s.hooks {
		if strconv.FormatInt(h.ID, 10) == id {
			exp, ok := s.expiry(w, req.Data.ExpiresAt)
			if !ok {
				return
			}
			h.ExpiresAt = exp
			writeJSON(w, http.StatusOK, map[string]any{"data": h})
			return
		}
	}
	writeError(w, http.StatusNotFound, "RecordNotFound", "The requested resource was not found")
}

// listWebhooks pages with limit= and an opaque page_token, linking the next
// page as a full URL in meta.paging.next as Clio does.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	if s.pageLimit > 0 && limit > s.pageLimit {
		limit = s.pageLimit
	}
	start, _ := strconv.Atoi(q.Get("page_token"))
	end := min(start+limit, len(s.hooks))
	page := s.hooks[min(start, end):end]
	meta := map[string]any{"records": len(s.hooks), "paging": map[string]any{}}
	if end < len(s.hooks) {
		q.Set("page_token", strconv.Itoa(end))
		meta["paging"] = map[string]any{"next": s.URL + r.URL.Path + "?" + q.Encode()}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": page, "meta": meta})
}

// Handshake plays Clio activating webhook id: it POSTs to the webhook's URL
// with X-Hook-Secret and reports whether the answer was 200 echoing the
// secret; the webhook is then enabled.
func (s *Server) Handshake(id int64) (bool, error) {
	h, ok := s.Webhook(id)
	if !ok {
		return false, fmt.Errorf("cliotest: no webhook %d", id)
	}
	req, _ := http.NewRequest("POST", h.URL, bytes.NewReader([]byte("{}")))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hook-Secret", h.SharedSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	ok = resp.StatusCode == http.StatusOK && resp.Header.Get("X-Hook-Secret") == h.SharedSecret
	if ok {
		s.mu.Lock()
		for _, x := range s.hooks {
			if x.ID == id {
				x.Status = "enabled"
			}
		}
		s.mu.Unlock()
	}
	return ok, nil
}

// DeliveryBody is the body Clio posts for event on a record.
func DeliveryBody(webhookID int64, event string, record string) []byte {
	b, _ := json.Marshal(map[string]any{"data": json.RawMessage(record),
		"meta": map[string]any{"event": event, "webhook_id": webhookID}})
	return b
}

// Sign is the X-Hook-Signature Clio sends: hex HMAC-SHA256 of the body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func newSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"type": typ, "message": msg}})
}
