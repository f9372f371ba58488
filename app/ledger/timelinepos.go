package ledger

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/derrors"
)

// Kinds of timeline entries, listed in the order of cause and effect: an
// inbound event leads to decisions, a decision to a message, a message to a
// reply, a reply to a consent change.
const (
	KindEvent    = "event"
	KindDecision = "decision"
	KindMessage  = "message"
	KindReply    = "reply"
	KindConsent  = "consent"
)

// kindRank orders the kinds of entries of the same instant (0 for an
// unknown kind).
func kindRank(kind string) int {
	switch kind {
	case KindEvent:
		return 1
	case KindDecision:
		return 2
	case KindMessage:
		return 3
	case KindReply:
		return 4
	case KindConsent:
		return 5
	}
	return 0
}

// TimelinePos is an entry's place in a client's merged timeline, which lists
// entries newest first; entries of the same instant effect before cause
// (consent, reply, message, decision, event), then highest id first. It is
// the keyset cursor of a timeline page.
type TimelinePos struct {
	At   time.Time
	Kind string
	ID   int64
}

// After reports whether p is listed after q.
func (p TimelinePos) After(q TimelinePos) bool {
	if !p.At.Equal(q.At) {
		return p.At.Before(q.At)
	}
	if rp, rq := kindRank(p.Kind), kindRank(q.Kind); rp != rq {
		return rp < rq
	}
	return p.ID < q.ID
}

// String encodes p as a page cursor: microseconds since 1970, kind, id.
func (p TimelinePos) String() string {
	return fmt.Sprintf("%d-%s-%d", p.At.UnixMicro(), p.Kind, p.ID)
}

// ParseTimelinePos decodes a cursor made by TimelinePos.String.
func ParseTimelinePos(s string) (TimelinePos, error) {
	parts := strings.Split(s, "-")
	if len(parts) == 3 {
		us, err1 := strconv.ParseInt(parts[0], 10, 64)
		id, err2 := strconv.ParseInt(parts[2], 10, 64)
		if err1 == nil && err2 == nil && kindRank(parts[1]) != 0 {
			return TimelinePos{At: time.UnixMicro(us).UTC(), Kind: parts[1], ID: id}, nil
		}
	}
	return TimelinePos{}, derrors.Invalid("after", fmt.Sprintf("%q is not a timeline position", s), "use the link to older entries")
}
