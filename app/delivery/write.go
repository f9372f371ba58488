package delivery

import (
	"context"
	"net/http/httptrace"
	"sync"
	"time"
)

// WriteState records how far an HTTP request got, so a failure can be
// classified as "never sent" (safe to retry) or "maybe sent" (reconcile).
// It is filled in by net/http through the httptrace hooks TrackWrite installs
// and is safe for concurrent use. The zero WriteState describes a request that
// never started, for failures detected before any I/O.
type WriteState struct {
	mu        sync.Mutex
	conns     int  // connections obtained (one per transport attempt)
	writes    int  // writes finished, successfully or not
	written   bool // some attempt wrote the whole request
	responded bool // the first response byte arrived
	changed   chan struct{}
}

// TrackWrite returns a context that records, in the returned WriteState, whether
// an HTTP request made with it was fully written to the provider. Both provider
// adapters use it; a request must carry the returned context (directly or via
// a RoundTripper that sets it) for the hooks to fire.
func TrackWrite(ctx context.Context) (context.Context, *WriteState) {
	w := &WriteState{changed: make(chan struct{})}
	trace := &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			w.update(func() { w.conns++ })
		},
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			w.update(func() {
				w.writes++
				if info.Err == nil {
					w.written = true
				}
			})
		},
		GotFirstResponseByte: func() {
			w.update(func() { w.responded = true })
		},
	}
	return httptrace.WithClientTrace(ctx, trace), w
}

func (w *WriteState) update(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f()
	if w.changed != nil {
		close(w.changed)
	}
	w.changed = make(chan struct{})
}

// Written reports whether a request was fully written so far.
func (w *WriteState) Written() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// Responded reports whether the provider started answering.
func (w *WriteState) Responded() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.responded
}

// MaybeSent reports whether the provider may have received the whole request.
// It is false only when no connection was ever made, or when every write that
// started ended in an error (a truncated request is not acted upon). When a
// write is still in flight — the transport abandons it on cancellation without
// waiting — MaybeSent waits up to wait for its outcome and, failing that,
// answers true.
func (w *WriteState) MaybeSent(wait time.Duration) bool {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		w.mu.Lock()
		written, conns, writes, changed := w.written, w.conns, w.writes, w.changed
		w.mu.Unlock()
		switch {
		case written:
			return true
		case writes >= conns:
			return false
		}
		select {
		case <-changed:
		case <-timer.C:
			return true
		}
	}
}
