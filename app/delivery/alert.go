package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/heraldhq/herald/app/ledger"
)

// Alert tells people about new dead letters: one email to each of
// AlertEmails (through the email Sender) and one POST of {"text": …} to
// AlertWebhook (Slack-compatible), batched so at most one alert goes out per
// AlertGap across every process, carrying the counts since the last one. A
// batch is marked alerted only when at least one channel succeeded. It
// returns how many dead letters the alert reported (0 when none was sent).
//
// Alerts deliberately bypass the message ledger: they are not ledger rows
// (and carry message id 0, so their SendGrid events are stored unmatched).
// An alert exists because the path that sends client messages is failing;
// routed through that path it would wait behind the same retries, leases,
// pauses, quiet hours and queue that produced the dead letters, and could
// itself end as a dead letter that raises another alert. Its trace is
// elsewhere: every dead letter it reports is stamped alerted_at in the
// same transaction, the settings row delivery.last_alert keeps when and how
// many, and each attempt logs one delivery.alert line.
func (s *Service) Alert(ctx context.Context) (int, error) {
	t, _ := s.tunables(ctx) // a read failure falls back to the last known recipients
	if len(t.alertEmails) == 0 && t.alertWebhook == "" {
		return 0, nil
	}
	sent, b, err := s.d.Ledger.SendAlert(ctx, s.d.Clock.Now(), s.cfg.AlertGap, func(ctx context.Context, b ledger.AlertBatch) error {
		return s.sendAlert(ctx, t, b)
	})
	if err != nil || !sent {
		return 0, err
	}
	s.d.Log.InfoContext(ctx, "deliver", "event_type", "delivery.alert", "result", "sent",
		"dead", b.Dead, "outcome_unknown", b.OutcomeUnknown)
	return b.Total(), nil
}

// alertText renders the alert body.
func (s *Service) alertText(b ledger.AlertBatch) (subject, text string) {
	noun := "messages need"
	if b.Total() == 1 {
		noun = "message needs"
	}
	subject = fmt.Sprintf("Herald: %d %s attention", b.Total(), noun)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %d dead, %d with an unknown outcome.", subject, b.Dead, b.OutcomeUnknown)
	codes := make([]string, 0, len(b.ByCode))
	for c := range b.ByCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var parts []string
	for _, c := range codes {
		label := c
		if label == "" {
			label = "no code"
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", label, b.ByCode[c]))
	}
	if len(parts) > 0 {
		sb.WriteString(" Errors: " + strings.Join(parts, ", ") + ".")
	}
	if s.cfg.PublicURL != "" {
		sb.WriteString(" Dead-letter inbox: " + strings.TrimRight(s.cfg.PublicURL, "/") + "/dead-letters")
	}
	return subject, sb.String()
}

// sendAlert delivers one batch on every configured channel; it fails only
// when every channel failed.
func (s *Service) sendAlert(ctx context.Context, t tunables, b ledger.AlertBatch) error {
	subject, text := s.alertText(b)
	var errs []error
	ok := 0
	for _, to := range t.alertEmails {
		_, err := s.d.Senders[ChannelEmail].Send(ctx, Outgoing{Channel: ChannelEmail, To: to, Subject: subject, Text: text,
			IdempotencyKey: fmt.Sprintf("alert:%d", b.IDs[0])})
		if err != nil {
			errs = append(errs, fmt.Errorf("alert email: %w", err))
			continue
		}
		ok++
	}
	if t.alertWebhook != "" {
		if err := s.postWebhook(ctx, t.alertWebhook, text); err != nil {
			errs = append(errs, err)
		} else {
			ok++
		}
	}
	if ok == 0 {
		return errors.Join(errs...)
	}
	for _, err := range errs {
		s.d.Log.WarnContext(ctx, "deliver", "event_type", "delivery.alert", "result", "partial", "error", err)
	}
	return nil
}

func (s *Service) postWebhook(ctx context.Context, hook, text string) error {
	body, _ := json.Marshal(map[string]string{"text": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("alert webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.d.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is a secret (Slack puts the token in it)
		}
		return fmt.Errorf("alert webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("alert webhook: answered %s", resp.Status)
	}
	return nil
}
