package chaos

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// tap sits between Herald and a fake provider: it forwards each request at
// once (so the provider accepts the message) and holds the answer for hold
// before passing it back. A worker killed during the hold has had its
// message accepted but cannot have committed that — the window between
// provider accept and commit.
type tap struct {
	target  string
	hold    atomic.Int64 // nanoseconds
	held    atomic.Int64 // answers held so far
	srv     *httptest.Server
	forward *http.Client
}

func newTap(t *testing.T, target string) *tap {
	p := &tap{target: target, forward: &http.Client{Timeout: 30 * time.Second}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.srv.CloseClientConnections()
		p.srv.Close()
	})
	return p
}

func (p *tap) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	req, _ := http.NewRequest(r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := p.forward.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if d := time.Duration(p.hold.Load()); d > 0 && r.Method == http.MethodPost {
		p.held.Add(1)
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}
