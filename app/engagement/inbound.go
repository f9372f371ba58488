package engagement

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/tasks"
	"github.com/heraldhq/herald/app/telemetry"
)

// InboundSMS is one message a client texted to the firm's number.
type InboundSMS struct {
	MessageSid string
	From, To   string
	Body       string
	// OptOutType is Twilio's Advanced Opt-Out verdict (STOP, START, HELP),
	// "" when Twilio did not recognise a keyword.
	OptOutType string
}

// ParseInboundSMS reads Twilio's inbound message webhook form.
func ParseInboundSMS(form url.Values) (InboundSMS, error) {
	in := InboundSMS{MessageSid: form.Get("MessageSid"), From: strings.TrimSpace(form.Get("From")),
		To: form.Get("To"), Body: form.Get("Body"), OptOutType: form.Get("OptOutType")}
	if in.MessageSid == "" {
		in.MessageSid = form.Get("SmsSid")
	}
	if in.MessageSid == "" || in.From == "" {
		return in, derrors.Invalid("MessageSid", "MessageSid and From are required", "send Twilio's inbound message parameters")
	}
	return in, nil
}

// InboundResult is what Herald did with an inbound SMS.
type InboundResult struct {
	InboundID int64
	Intent    string
	Duplicate bool
	// Reply is the text to answer with in the TwiML response, "" for none.
	// It is already recorded in the ledger as a sent confirmation message.
	Reply string
}

// HandleInbound records an inbound SMS and acts on it, once per MessageSid:
//   - a standard opt-out keyword, Twilio's OptOutType=STOP or a
//     natural-language opt-out ("please stop texting me") records an SMS
//     opt-out; a natural-language one also tells staff;
//   - START/YES/UNSTOP records an opt-in; HELP/INFO asks for the firm's
//     help text;
//   - whoever answers a keyword, the client gets exactly one confirmation
//     (see keywordReply): Herald answers only what Twilio does not;
//   - C/confirm after a court-date reminder confirms the hearing;
//   - 0-10 after a satisfaction check-in records the score, and a low
//     score creates a staff task;
//   - anything else is a reply: unread in the client's inbox, the message
//     it answers becomes replied, and the case's paralegal gets a task.
func (s *Service) HandleInbound(ctx context.Context, in InboundSMS) (InboundResult, error) {
	now := s.d.Clock.Now()
	cl := Classify(in.Body, in.OptOutType)
	c, err := s.lookupConvo(ctx, in.From, now)
	if err != nil {
		return InboundResult{}, err
	}
	var answered *int64
	switch {
	case cl.Intent == IntentConfirm && c.Reminder != nil:
		answered, c.CaseID = &c.Reminder.MessageID, &c.Reminder.CaseID
	case cl.Intent == IntentScore && c.Checkin != nil:
		answered, c.CaseID = &c.Checkin.MessageID, &c.Checkin.CaseID
	case cl.Intent == IntentConfirm || cl.Intent == IntentScore:
		cl.Intent = IntentReply // a "C" or a number out of context is just a reply
	}
	if cl.Intent == IntentReply {
		answered = c.LastMessageID
	}
	wasOut, err := s.d.Consent.IsOptedOut(ctx, delivery.ChannelSMS, in.From)
	if err != nil {
		return InboundResult{}, dbErr("check opt-out", err)
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return InboundResult{}, err
	}
	defer tx.Rollback(ctx)
	res := InboundResult{Intent: cl.Intent}
	unread := cl.Intent == IntentReply || cl.Natural || (cl.Intent == IntentScore && cl.Score <= s.cfg.LowScore)
	err = tx.QueryRow(ctx, `INSERT INTO inbound_messages (provider, provider_message_id, client_id, case_id, channel,
		from_address, body, intent, unread, created_at) VALUES ('twilio', $1, $2, $3, 'sms', $4, $5, $6, $7, $8)
		ON CONFLICT (provider, provider_message_id) DO NOTHING RETURNING id`,
		in.MessageSid, c.ClientID, c.CaseID, in.From, in.Body, cl.Intent, unread, now).Scan(&res.InboundID)
	if errors.Is(err, pgx.ErrNoRows) {
		return InboundResult{Intent: cl.Intent, Duplicate: true}, nil
	}
	if err != nil {
		return InboundResult{}, dbErr("store inbound message", err)
	}
	reply, err := s.act(ctx, tx, in, cl, c, res.InboundID, wasOut, now)
	if err != nil {
		return InboundResult{}, err
	}
	var replyID int64
	if reply != "" {
		replyID, _, err = ledger.Insert(ctx, tx, ledger.NewMessage{IdempotencyKey: "inbound:" + in.MessageSid + ":reply",
			Kind: "confirmation", ClientID: c.ClientID, CaseID: c.CaseID, Channel: delivery.ChannelSMS, Recipient: in.From,
			BodyText: reply, Status: ledger.StatusPending, DueAt: now})
		if err != nil {
			return InboundResult{}, dbErr("record reply", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return InboundResult{}, dbErr("commit inbound message", err)
	}
	if answered != nil {
		if _, err := s.d.Ledger.Advance(ctx, *answered, ledger.StatusReplied, now, "", ""); err != nil {
			s.d.Log.WarnContext(ctx, "mark message replied", "message_id", *answered, "error", err)
		}
	}
	if replyID != 0 && s.sendInline(ctx, replyID, now) {
		res.Reply = reply
	}
	s.d.Log.InfoContext(ctx, "inbound sms", "event_type", "sms.inbound", "inbound_id", res.InboundID, "intent", cl.Intent,
		"case_id", deref(c.CaseID), "from", telemetry.MaskPhone(in.From), "result", "recorded", "replied", res.Reply != "")
	return res, nil
}

// act applies the intent inside tx and returns the reply to send, if any.
func (s *Service) act(ctx context.Context, tx pgx.Tx, in InboundSMS, cl Classification, c convo, inboundID int64, wasOut bool, now time.Time) (string, error) {
	task := tasks.NewTask{CaseID: c.CaseID, ClientID: c.ClientID, AssigneeCMSID: c.Assignee}
	switch cl.Intent {
	case IntentOptOut:
		src := consent.SourceKeyword
		if cl.Natural {
			src = consent.SourceNaturalLanguage
		}
		if err := s.recordConsent(ctx, tx, c, in, consent.OptOut, src); err != nil {
			return "", err
		}
		if cl.Natural {
			task.DedupeKey, task.Kind = fmt.Sprintf("inbound:%d:opt_out", inboundID), tasks.KindNotify
			task.Title = "Client asked to stop text messages"
			task.Body = fmt.Sprintf("They wrote: %q. Herald opted them out of SMS; contact them another way.", in.Body)
			if _, _, err := tasks.Create(ctx, tx, task); err != nil {
				return "", dbErr("create opt-out task", err)
			}
		}
		if !wasOut && (cl.Natural || s.keywordReply(in)) {
			name, _ := s.firm(ctx)
			return fmt.Sprintf("%s: you will no longer receive text messages from us. Reply START to opt back in.", name), nil
		}
	case IntentOptIn:
		if err := s.recordConsent(ctx, tx, c, in, consent.OptIn, consent.SourceKeyword); err != nil {
			return "", err
		}
		if wasOut && s.keywordReply(in) {
			name, _ := s.firm(ctx)
			return fmt.Sprintf("%s: you will receive text messages from us again. Reply STOP to opt out.", name), nil
		}
	case IntentHelp:
		if s.keywordReply(in) {
			if s.cfg.HelpText != "" {
				return s.cfg.HelpText, nil
			}
			name, phone := s.firm(ctx)
			return fmt.Sprintf("%s: for help call %s. Reply STOP to opt out.", name, phone), nil
		}
	case IntentConfirm:
		ok, err := cases.ConfirmHearing(ctx, tx, *c.CaseID, now)
		if err != nil {
			return "", err
		}
		if ok {
			if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target_type, target_id, details, created_at)
				VALUES ('client', 'hearing.confirmed', 'case', $1, jsonb_build_object('inbound_message_id', $2::bigint, 'channel', 'sms'), $3)`,
				fmt.Sprint(*c.CaseID), inboundID, now); err != nil {
				return "", dbErr("audit hearing confirmation", err)
			}
		}
		if paused, err := s.paused(ctx, c); err != nil || paused {
			return "", err
		}
		name, phone := s.firm(ctx)
		return fmt.Sprintf("%s: thank you, your court date is confirmed. Questions? Call %s.", name, phone), nil
	case IntentScore:
		return "", s.recordScore(ctx, tx, scoreAnswer{CaseID: c.Checkin.CaseID, ClientID: c.ClientID, MessageID: &c.Checkin.MessageID,
			InboundID: inboundID, Score: cl.Score, Assignee: c.Assignee, Via: "by text"}, now)
	default:
		task.DedupeKey, task.Title = fmt.Sprintf("inbound:%d:reply", inboundID), "Client replied by text"
		task.Body, task.MessageID = in.Body, c.LastMessageID
		if c.ClientID == nil {
			task.Title = "Text from an unknown number"
		}
		if _, _, err := tasks.Create(ctx, tx, task); err != nil {
			return "", dbErr("create reply task", err)
		}
	}
	return "", nil
}

// keywordReply reports whether Herald must answer a keyword (STOP, START,
// HELP and their synonyms) itself, so that the client gets exactly one
// answer:
//   - OptOutType present: Twilio's Advanced Opt-Out recognised the keyword
//     and has already replied (with the firm's texts configured there), so
//     Herald never adds a second message;
//   - OptOutType absent: Twilio's default keyword handling replies to the
//     standard keywords unless the firm turned it off; Herald replies only
//     when configured to (HeraldRepliesToKeywords, HERALD_SMS_KEYWORD_REPLIES
//     =herald).
//
// A natural-language opt-out is never a Twilio keyword, so Herald always
// confirms it once (act checks that the number was not already out).
func (s *Service) keywordReply(in InboundSMS) bool {
	return strings.TrimSpace(in.OptOutType) == "" && s.cfg.HeraldRepliesToKeywords
}

func (s *Service) recordConsent(ctx context.Context, tx pgx.Tx, c convo, in InboundSMS, action, source string) error {
	err := s.d.Consent.Record(ctx, tx, consent.Event{ClientID: c.ClientID, Channel: delivery.ChannelSMS, Address: in.From,
		Action: action, Source: source, Text: in.Body, Actor: "client"})
	return dbErr("record sms consent", err)
}

// scoreAnswer is one answer to a satisfaction check-in, by SMS or on the
// check-in page.
type scoreAnswer struct {
	CaseID    int64
	ClientID  *int64
	MessageID *int64 // the check-in message answered, when known
	InboundID int64
	Score     int
	Assignee  string // CMS id of the case's paralegal, else its attorney
	Via       string // "by text", "on the check-in page"
}

// recordScore stores a check-in score; a low one (at most LowScore) becomes
// a staff task for the case's paralegal.
func (s *Service) recordScore(ctx context.Context, tx pgx.Tx, a scoreAnswer, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO checkin_responses (case_id, client_id, message_id, inbound_message_id, score, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, a.CaseID, a.ClientID, a.MessageID, a.InboundID, a.Score, now)
	if err != nil {
		return dbErr("record check-in score", err)
	}
	if a.Score > s.cfg.LowScore {
		return nil
	}
	_, _, err = tasks.Create(ctx, tx, tasks.NewTask{DedupeKey: fmt.Sprintf("inbound:%d:low_score", a.InboundID),
		Title:  fmt.Sprintf("Low satisfaction score: %d/10", a.Score),
		Body:   fmt.Sprintf("The client answered the satisfaction check-in %s with a low score. Call them to find out what went wrong.", a.Via),
		CaseID: &a.CaseID, ClientID: a.ClientID, MessageID: a.MessageID, AssigneeCMSID: a.Assignee})
	if err != nil {
		return dbErr("create low score task", err)
	}
	return nil
}

// paused reports whether automation is paused for the conversation's case.
func (s *Service) paused(ctx context.Context, c convo) (bool, error) {
	st, err := s.d.Pauses.Check(ctx, deref(c.CaseID), deref(c.ClientID))
	if err != nil {
		return false, dbErr("check pause", err)
	}
	return st.Paused, nil
}

// sendInline claims a reply Herald answers with in the TwiML response and
// records it sent, through the ledger like any message (an attempt row, a
// timeline entry). If the claim fails (delivery took it), the reply is left
// to delivery and not put in the TwiML: it is sent at most once.
func (s *Service) sendInline(ctx context.Context, id int64, now time.Time) bool {
	c, err := s.d.Ledger.Claim(ctx, id, now, time.Minute)
	if err != nil {
		s.d.Log.WarnContext(ctx, "claim inline reply", "message_id", id, "error", err)
		return false
	}
	ok, err := s.d.Ledger.Finish(ctx, id, c.Attempt, ledger.Outcome{Status: ledger.StatusSent, At: now, Provider: delivery.ProviderTwilio})
	if err != nil || !ok {
		s.d.Log.WarnContext(ctx, "record inline reply", "message_id", id, "error", err)
		return false
	}
	return true
}
