package portal

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/ledger"
)

// Timeline entry kinds (the ledger's).
const (
	KindEvent    = ledger.KindEvent
	KindDecision = ledger.KindDecision
	KindMessage  = ledger.KindMessage
	KindReply    = ledger.KindReply
	KindConsent  = ledger.KindConsent
)

// TimelinePageSize is how many entries one timeline page shows; older
// entries load on demand.
const TimelinePageSize = 50

// exportBatch is how many entries an export reads per round trip (the
// ledger returns at most 1000 a section).
const exportBatch = 999

// TimelineFilter narrows a client's timeline.
type TimelineFilter struct {
	Channel string // email or sms; applies to messages, replies, consent and per-channel decisions
	Status  string // message status; when set only messages are listed
	After   string // cursor of the entry the page continues after (Timeline.Next)
	// All lists every entry (the CSV export and the printable page) instead
	// of one page.
	All bool
}

// TimelineEntry is one thing that happened for the client.
type TimelineEntry struct {
	At      time.Time
	Kind    string
	CaseID  *int64
	Channel string
	Status  string
	Title   string
	Detail  string
	Message *ledger.TimelineMessage
	pos     ledger.TimelinePos
}

// Timeline answers "did the client get it?" in one list, newest first.
type Timeline struct {
	ClientID   int64
	ClientName string
	Email      string
	Phone      string
	Filter     TimelineFilter
	Entries    []TimelineEntry
	// Next is the cursor of the next, older page; empty on the last page.
	Next string
}

// ErrClientNotFound is returned for an unknown client.
var ErrClientNotFound = notFound("client")

// Timeline returns a page of client clientID's events, decisions, messages
// (with every attempt and provider status), replies and consent changes,
// read through the ledger's timeline (the same read model the API serves).
func (r *Reader) Timeline(ctx context.Context, clientID int64, f TimelineFilter) (Timeline, error) {
	f.Channel, f.Status = strings.TrimSpace(f.Channel), strings.TrimSpace(f.Status)
	var head []struct{ Name, Email, Phone string }
	if err := r.scan(ctx, "client", &head, `SELECT trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) AS name,
		coalesce(email, '') AS email, coalesce(mobile_phone, '') AS phone FROM clients WHERE id = ?`, clientID); err != nil {
		return Timeline{}, err
	}
	if len(head) == 0 {
		return Timeline{}, ErrClientNotFound
	}
	t := Timeline{ClientID: clientID, ClientName: head[0].Name, Email: head[0].Email, Phone: head[0].Phone, Filter: f}
	size := TimelinePageSize
	if f.All {
		size = exportBatch
	}
	lf := ledger.TimelineFilter{Channel: f.Channel, Status: f.Status, Limit: size + 1}
	if f.After != "" {
		pos, err := ledger.ParseTimelinePos(f.After)
		if err != nil {
			return t, err
		}
		lf.After = pos
	}
	for {
		lt, err := r.ledger.Timeline(ctx, clientID, lf)
		if err != nil {
			return t, err
		}
		// Each section holds up to size+1 entries, so the merged list is
		// longer than size exactly when older entries remain.
		entries := timelineEntries(lt)
		slices.SortFunc(entries, func(a, b TimelineEntry) int {
			if a.pos.After(b.pos) {
				return 1
			}
			if b.pos.After(a.pos) {
				return -1
			}
			return 0
		})
		more := len(entries) > size
		if more {
			entries = entries[:size]
		}
		t.Entries = append(t.Entries, entries...)
		if !more {
			return t, nil
		}
		lf.After = entries[size-1].pos
		if !f.All {
			t.Next = lf.After.String()
			return t, nil
		}
	}
}

// timelineEntries flattens the ledger's sections into entries with words.
func timelineEntries(lt ledger.Timeline) []TimelineEntry {
	out := make([]TimelineEntry, 0, len(lt.Events)+len(lt.Decisions)+len(lt.Messages)+len(lt.Replies)+len(lt.Consent))
	for _, e := range lt.Events {
		out = append(out, TimelineEntry{At: e.ReceivedAt, Kind: KindEvent, CaseID: e.CaseID, Status: e.Status,
			Title:  "CMS event " + orText(e.EventType, "update") + " from " + e.Source,
			Detail: strings.TrimSpace("event id " + e.EventID + " " + e.Error),
			pos:    ledger.TimelinePos{At: e.ReceivedAt, Kind: KindEvent, ID: e.ID}})
	}
	for _, d := range lt.Decisions {
		title := DecisionText(d.Result) + ": " + orText(d.RuleKey, d.Trigger)
		if d.Channel != "" {
			title += " (" + d.Channel + ")"
		}
		out = append(out, TimelineEntry{At: d.CreatedAt, Kind: KindDecision, CaseID: d.CaseID, Channel: d.Channel, Status: d.Result,
			Title: title, Detail: d.Reason, pos: ledger.TimelinePos{At: d.CreatedAt, Kind: KindDecision, ID: d.ID}})
	}
	for i := range lt.Messages {
		m := &lt.Messages[i]
		title := strings.ToUpper(m.Channel[:1]) + m.Channel[1:] + " to " + m.Recipient
		if m.Subject != "" {
			title += ": " + m.Subject
		}
		out = append(out, TimelineEntry{At: m.CreatedAt, Kind: KindMessage, CaseID: m.CaseID, Channel: m.Channel,
			Status: m.Status, Title: title, Detail: m.HoldReason, Message: m,
			pos: ledger.TimelinePos{At: m.CreatedAt, Kind: KindMessage, ID: m.ID}})
	}
	for _, m := range lt.Replies {
		out = append(out, TimelineEntry{At: m.CreatedAt, Kind: KindReply, CaseID: m.CaseID, Channel: m.Channel,
			Status: m.Intent, Title: "Reply from " + m.FromAddress, Detail: m.Body,
			pos: ledger.TimelinePos{At: m.CreatedAt, Kind: KindReply, ID: m.ID}})
	}
	for _, c := range lt.Consent {
		out = append(out, TimelineEntry{At: c.At, Kind: KindConsent, Channel: c.Channel, Status: c.Action,
			Title: strings.ReplaceAll(c.Action, "_", "-") + " (" + c.Source + ") for " + c.Address, Detail: c.Text,
			pos: ledger.TimelinePos{At: c.At, Kind: KindConsent, ID: c.ID}})
	}
	return out
}

// DecisionText explains a rule decision result in words.
func DecisionText(result string) string {
	switch result {
	case "fired":
		return "fired"
	case "skipped_paused":
		return "skipped: paused"
	case "skipped_opted_out":
		return "skipped: opted out"
	case "skipped_quiet_hours":
		return "skipped: quiet hours"
	case "skipped_condition":
		return "skipped: condition not met"
	case "skipped_stale":
		return "skipped: stale update"
	case "skipped_no_channel":
		return "skipped: no way to reach the client"
	case "cancelled_settle":
		return "cancelled: changed again while settling"
	case "unhandled":
		return "unhandled: no rule"
	}
	return strings.ReplaceAll(result, "_", " ")
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
