package engagement

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
)

// checkinProvider is inbound_messages.provider for answers given on the
// check-in page; provider_message_id is the link's CheckinToken.key, so a
// link is answered once.
const checkinProvider = "herald"

// CheckinView is what the public check-in page shows.
type CheckinView struct {
	FirmName, FirmPhone string
	// FirstName greets the client; Language is "en" or "es" (the client's
	// preferred language, else English).
	FirstName string
	Language  string
	// Answered is set once the link was answered, with the score given.
	Answered   bool
	Score      int
	AnsweredAt time.Time
}

// CheckinLinksEnabled reports whether check-in links can be issued and
// answered (HERALD_SESSION_SECRET is set).
func (s *Service) CheckinLinksEnabled() bool { return s.d.Checkin != nil }

// CheckinNonce returns the form nonce for a page rendered now for token.
func (s *Service) CheckinNonce(token string) string {
	if s.d.Checkin == nil {
		return ""
	}
	return s.d.Checkin.FormNonce(token, s.d.Clock.Now())
}

// CheckCheckinNonce checks a submitted form nonce (CheckinLinks.CheckFormNonce).
func (s *Service) CheckCheckinNonce(token, nonce string) error {
	if s.d.Checkin == nil {
		return ErrCheckinInvalid
	}
	return s.d.Checkin.CheckFormNonce(token, nonce, s.d.Clock.Now())
}

// checkinCase is the case and client a verified token names.
type checkinCase struct {
	FirstName, Language, Email, Assignee string
}

// Checkin verifies a check-in link and returns its page. An invalid link is
// ErrCheckinInvalid; an expired one returns the firm's details with
// ErrCheckinExpired, so the page can say whom to call.
func (s *Service) Checkin(ctx context.Context, token string) (CheckinView, error) {
	v := CheckinView{Language: "en"}
	v.FirmName, v.FirmPhone = s.firm(ctx)
	tok, cc, err := s.checkinToken(ctx, token)
	if err != nil {
		return v, err
	}
	v.FirstName, v.Language = cc.FirstName, cc.Language
	return s.answered(ctx, v, tok)
}

// AnswerCheckin records score (0-10) as the client's answer to the check-in
// link token: one answer per link. The first answer stands: a second one
// (the same link opened again, a double click, a replayed request) changes
// nothing and returns the recorded answer with ErrCheckinAnswered, so the
// page can say so, and staff never see a low score silently overwritten by
// a high one. The answer is an inbound message on the client's timeline
// (channel email, intent score, written back to the CMS like any reply);
// the check-in email it answers becomes replied; a low score creates a
// staff task, as a score texted back does.
func (s *Service) AnswerCheckin(ctx context.Context, token string, score int) (CheckinView, error) {
	v := CheckinView{Language: "en"}
	v.FirmName, v.FirmPhone = s.firm(ctx)
	if score < 0 || score > 10 {
		return v, derrors.Invalid("score", fmt.Sprintf("%d is not a score", score), "choose a number from 0 to 10")
	}
	tok, cc, err := s.checkinToken(ctx, token)
	if err != nil {
		return v, err
	}
	v.FirstName, v.Language = cc.FirstName, cc.Language
	now := s.d.Clock.Now()
	msgID, recipient, err := s.checkinMessage(ctx, tok)
	if err != nil {
		return v, err
	}
	if recipient == "" {
		recipient = cc.Email
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return v, err
	}
	defer tx.Rollback(ctx)
	low := score <= s.cfg.LowScore
	var inboundID int64
	err = tx.QueryRow(ctx, `INSERT INTO inbound_messages (provider, provider_message_id, client_id, case_id, channel,
		from_address, body, intent, unread, created_at) VALUES ($1, $2, $3, $4, 'email', $5, $6, 'score', $7, $8)
		ON CONFLICT (provider, provider_message_id) DO NOTHING RETURNING id`,
		checkinProvider, tok.key(), tok.ClientID, tok.CaseID, recipient,
		fmt.Sprintf("Satisfaction check-in: %d/10 (answered on the check-in page)", score), low, now).Scan(&inboundID)
	if errors.Is(err, pgx.ErrNoRows) {
		v, err := s.answered(ctx, v, tok)
		if err != nil {
			return v, err
		}
		return v, ErrCheckinAnswered
	}
	if err != nil {
		return v, dbErr("store check-in answer", err)
	}
	err = s.recordScore(ctx, tx, scoreAnswer{CaseID: tok.CaseID, ClientID: &tok.ClientID, MessageID: msgID, InboundID: inboundID,
		Score: score, Assignee: cc.Assignee, Via: "on the check-in page"}, now)
	if err != nil {
		return v, err
	}
	if err := tx.Commit(ctx); err != nil {
		return v, dbErr("commit check-in answer", err)
	}
	if msgID != nil {
		if _, err := s.d.Ledger.Advance(ctx, *msgID, ledger.StatusReplied, now, "", ""); err != nil {
			s.d.Log.WarnContext(ctx, "mark check-in replied", "message_id", *msgID, "error", err)
		}
	}
	s.d.Log.InfoContext(ctx, "check-in answered", "event_type", "checkin.answer", "case_id", tok.CaseID,
		"inbound_id", inboundID, "message_id", deref(msgID), "score", score, "low", low, "result", "recorded")
	v.Answered, v.Score, v.AnsweredAt = true, score, now
	return v, nil
}

// checkinToken verifies token and reads the case it names, which must
// still belong to the client it names.
func (s *Service) checkinToken(ctx context.Context, token string) (CheckinToken, checkinCase, error) {
	if s.d.Checkin == nil {
		return CheckinToken{}, checkinCase{}, ErrCheckinInvalid
	}
	tok, err := s.d.Checkin.Parse(token, s.d.Clock.Now())
	if err != nil {
		return tok, checkinCase{}, err
	}
	var cc checkinCase
	var lang string
	err = s.d.DB.Pool.QueryRow(ctx, `SELECT COALESCE(cl.first_name, ''), COALESCE(cl.preferred_language, ''), COALESCE(cl.email, ''),
			COALESCE(NULLIF(k.paralegal_id, ''), k.attorney_id, '')
		FROM cases k JOIN clients cl ON cl.id = k.client_id WHERE k.id = $1 AND k.client_id = $2`,
		tok.CaseID, tok.ClientID).Scan(&cc.FirstName, &lang, &cc.Email, &cc.Assignee)
	if errors.Is(err, pgx.ErrNoRows) {
		return tok, cc, ErrCheckinInvalid
	}
	if err != nil {
		return tok, cc, dbErr("read check-in case", err)
	}
	cc.Language = "en"
	if strings.HasPrefix(strings.ToLower(lang), "es") {
		cc.Language = "es"
	}
	return tok, cc, nil
}

// checkinMessage finds the email the link was sent in: the email to this
// client on this case whose frozen content carries this very token. It may
// be gone (nil): the answer is still recorded.
func (s *Service) checkinMessage(ctx context.Context, tok CheckinToken) (*int64, string, error) {
	var id int64
	var recipient string
	err := s.d.DB.Pool.QueryRow(ctx, `SELECT m.id, m.recipient FROM messages m
		WHERE m.case_id = $1 AND m.client_id = $2 AND m.channel = 'email'
		  AND (strpos(m.body_html, $3) > 0 OR strpos(m.body_text, $3) > 0)
		ORDER BY m.id LIMIT 1`, tok.CaseID, tok.ClientID, "/checkin/"+tok.raw).Scan(&id, &recipient)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", dbErr("find check-in email", err)
	}
	return &id, recipient, nil
}

// answered fills v with the answer already given to tok, if any.
func (s *Service) answered(ctx context.Context, v CheckinView, tok CheckinToken) (CheckinView, error) {
	err := s.d.DB.Pool.QueryRow(ctx, `SELECT r.score, r.created_at FROM inbound_messages i
		JOIN checkin_responses r ON r.inbound_message_id = i.id WHERE i.provider = $1 AND i.provider_message_id = $2`,
		checkinProvider, tok.key()).Scan(&v.Score, &v.AnsweredAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return v, nil
	case err != nil:
		return v, dbErr("read check-in answer", err)
	}
	v.Answered = true
	return v, nil
}
