package engagement_test

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/statuses"
)

const checkinSecret = "0123456789abcdef0123456789abcdef-checkin"

func checkinLinks(t testing.TB) *engagement.CheckinLinks {
	t.Helper()
	l, err := engagement.NewCheckinLinks(checkinSecret, "https://herald.firm.test/", 0)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// tokenOf returns the token at the end of a check-in link.
func tokenOf(t testing.TB, link string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(link, "https://herald.firm.test/checkin/")
	if !ok || tok == "" {
		t.Fatalf("link %q is not a check-in link under the public URL", link)
	}
	return tok
}

func TestCheckinLinkTokens(t *testing.T) {
	l := checkinLinks(t)
	tok := tokenOf(t, l.Link(42, 7, t0))
	got, err := l.Parse(tok, t0.Add(time.Hour))
	if err != nil || got.CaseID != 42 || got.ClientID != 7 || !got.IssuedAt.Equal(t0) || !got.Expires.Equal(t0.Add(engagement.DefaultCheckinLinkTTL)) {
		t.Fatalf("Parse(valid) = %+v, %v; want case 42, client 7, issued t0, expiring after the default TTL", got, err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	other, err := engagement.NewCheckinLinks(strings.Repeat("x", 40), "https://herald.firm.test", 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		at    time.Time
		want  error
	}{
		{"case id altered", flip(8), t0, engagement.ErrCheckinInvalid},
		{"client id altered", flip(16), t0, engagement.ErrCheckinInvalid},
		{"expiry extended", flip(32), t0, engagement.ErrCheckinInvalid},
		{"signature altered", flip(len(raw) - 1), t0, engagement.ErrCheckinInvalid},
		{"truncated", tok[:len(tok)-4], t0, engagement.ErrCheckinInvalid},
		{"not base64", "not-a-token!", t0, engagement.ErrCheckinInvalid},
		{"empty", "", t0, engagement.ErrCheckinInvalid},
		{"signed with another secret", tokenOf(t, "https://herald.firm.test/checkin/"+other.Token(42, 7, t0)), t0, engagement.ErrCheckinInvalid},
		{"expired", tok, t0.Add(engagement.DefaultCheckinLinkTTL), engagement.ErrCheckinExpired},
		{"valid until the last second", tok, t0.Add(engagement.DefaultCheckinLinkTTL - time.Second), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := l.Parse(tt.token, tt.at); !errors.Is(err, tt.want) && (err != nil || tt.want != nil) {
				t.Errorf("Parse = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := engagement.NewCheckinLinks("short", "https://herald.firm.test", 0); err == nil || !strings.Contains(err.Error(), "HERALD_SESSION_SECRET") {
		t.Errorf("a short secret: %v, want an error naming HERALD_SESSION_SECRET", err)
	}
}

func TestCheckinFormNonce(t *testing.T) {
	l := checkinLinks(t)
	tok := l.Token(42, 7, t0)
	nonce := l.FormNonce(tok, t0)
	if err := l.CheckFormNonce(tok, nonce, t0.Add(90*time.Minute)); err != nil {
		t.Errorf("fresh nonce refused: %v", err)
	}
	tests := []struct {
		name, token, nonce string
		at                 time.Time
	}{
		{"stale", tok, nonce, t0.Add(2*time.Hour + time.Second)},
		{"from the future", tok, l.FormNonce(tok, t0.Add(time.Hour)), t0},
		{"for another link", l.Token(43, 7, t0), nonce, t0},
		{"missing", tok, "", t0},
		{"altered", tok, strings.ToUpper(nonce[:4]) + nonce[4:] + "A", t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := l.CheckFormNonce(tt.token, tt.nonce, tt.at); !errors.Is(err, engagement.ErrCheckinForm) {
				t.Errorf("CheckFormNonce = %v, want ErrCheckinForm", err)
			}
		})
	}
}

// checkinEnv is the engagement env with check-in links and a planner whose
// rule asks for a check-in by email when a case reaches
// settlement_offer_received.
type checkinEnv struct {
	*env
	links   *engagement.CheckinLinks
	planner *rules.Planner
	cases   *cases.Service
}

func newCheckinEnv(t *testing.T) *checkinEnv {
	t.Helper()
	links := checkinLinks(t)
	e := &checkinEnv{links: links}
	e.env = newEnv(t)
	ctx := context.Background()
	svc, err := engagement.New(engagement.Deps{DB: e.db, Ledger: e.ledger, Consent: e.consent, Pauses: e.pauses,
		Enqueuer: e.enq, Clock: e.clk, Checkin: links}, engagement.Config{FirmName: "Lopez Law", FirmPhone: "+1 312 555 0100"})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	if _, err := statuses.Seed(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	if _, err := content.Seed(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	if _, err := rules.Seed(ctx, e.db, []byte(`rules:
  - key: checkin_after_offer
    name: Ask how we are doing after a settlement offer
    trigger: status_transition
    to_status: settlement_offer_received
    actions:
      - {type: send, template: satisfaction_checkin, channels: [email]}
`)); err != nil {
		t.Fatal(err)
	}
	engine := render.New(render.Options{Now: e.clk.Now, FirmLocation: time.UTC})
	e.cases = cases.New(e.db, e.clk, time.UTC)
	e.planner = rules.NewPlanner(rules.Deps{DB: e.db, Clock: e.clk,
		Config: rules.Config{FirmName: "Lopez Law", FirmPhone: "+1 312 555 0100", PortalURL: "https://herald.firm.test",
			DefaultLang: "en", FirmLocation: time.UTC, CheckinLink: links.Link},
		Pauses: e.pauses, OptOuts: e.consent, Templates: content.New(e.db, engine, e.clk, "en"), Engine: engine, Cases: e.cases})
	return e
}

var linkRE = regexp.MustCompile(`https://herald\.firm\.test/checkin/[A-Za-z0-9_-]+`)

// checkinEmail moves a case to settlement_offer_received, lets the rule
// create the check-in email, delivers it through SendGrid's fake, and
// returns the message id and the link in it.
func (e *checkinEnv) checkinEmail(t *testing.T, caseExt string) (int64, string) {
	t.Helper()
	ctx := context.Background()
	s := func(v string) *string { return &v }
	var evID int64
	if err := e.db.Pool.QueryRow(ctx, `INSERT INTO inbound_events (source, event_id, body) VALUES ('test', $1, '{}') RETURNING id`,
		caseExt+"-ev").Scan(&evID); err != nil {
		t.Fatal(err)
	}
	at := e.clk.Now()
	ch, err := e.cases.Apply(ctx, "test", evID, normalize.Case{CaseID: caseExt, ClientID: s("cl-" + caseExt), CaseNumber: s("PI-9"),
		Status: s("settlement_offer_received"), ParalegalID: s("P-7"),
		Client: normalize.Client{FirstName: s("Rosa"), Email: s("rosa@example.com"), PreferredLanguage: s("es")}}, &at)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.planner.Plan(ctx, ch); err != nil {
		t.Fatal(err)
	}
	var id int64
	var html, text string
	if err := e.db.Pool.QueryRow(ctx, `SELECT m.id, m.body_html, m.body_text FROM messages m JOIN rules r ON r.id = m.rule_id
		WHERE r.key = 'checkin_after_offer' AND m.case_id = $1`, ch.CaseID).Scan(&id, &html, &text); err != nil {
		t.Fatalf("the check-in rule made no email: %v", err)
	}
	link := linkRE.FindString(html)
	if link == "" || !strings.Contains(text, link) {
		t.Fatalf("check-in email has no link in both parts:\nhtml %s\ntext %s", html, text)
	}
	if !strings.Contains(html, "Del 0 al 10") {
		t.Errorf("the client prefers Spanish; email html = %s", html)
	}
	e.clk.Advance(10*time.Minute + time.Second) // the settle window
	if err := e.delivery.Deliver(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got := e.msg(t, id).Status; got != ledger.StatusSent {
		t.Fatalf("check-in email %s, want sent", got)
	}
	return id, link
}

func TestEmailCheckinEndToEnd(t *testing.T) {
	e := newCheckinEnv(t)
	ctx := context.Background()
	msgID, link := e.checkinEmail(t, "CK-1")
	tok := tokenOf(t, link)

	v, err := e.svc.Checkin(ctx, tok)
	if err != nil || v.Answered || v.FirstName != "Rosa" || v.Language != "es" || v.FirmName != "Lopez Law" {
		t.Fatalf("Checkin = %+v, %v; want the unanswered question for Rosa in Spanish", v, err)
	}
	e.clk.Advance(48 * time.Hour)
	v, err = e.svc.AnswerCheckin(ctx, tok, 3)
	if err != nil || !v.Answered || v.Score != 3 {
		t.Fatalf("AnswerCheckin(3) = %+v, %v", v, err)
	}
	var caseID int64
	if err := e.db.Pool.QueryRow(ctx, `SELECT case_id FROM messages WHERE id = $1`, msgID).Scan(&caseID); err != nil {
		t.Fatal(err)
	}
	if got := e.count(t, `SELECT count(*) FROM checkin_responses r JOIN inbound_messages i ON i.id = r.inbound_message_id
		WHERE r.case_id = $1 AND r.message_id = $2 AND r.score = 3 AND i.channel = 'email' AND i.intent = 'score' AND i.unread
		  AND i.from_address = 'rosa@example.com'`, caseID, msgID); got != 1 {
		t.Errorf("recorded answers for the case and its email = %d, want 1 (unread inbound score on the timeline)", got)
	}
	if got := e.count(t, `SELECT count(*) FROM staff_tasks t JOIN staff_users u ON u.id = t.assignee_staff_id
		WHERE t.title = 'Low satisfaction score: 3/10' AND t.body LIKE '%on the check-in page%' AND u.cms_id = 'P-7'
		  AND t.case_id = $1 AND t.message_id = $2`, caseID, msgID); got != 1 {
		t.Errorf("low-score tasks for the paralegal = %d, want 1", got)
	}
	if got := e.msg(t, msgID).Status; got != ledger.StatusReplied {
		t.Errorf("check-in email %s, want replied", got)
	}

	// Replayed: the first answer stands, nothing new is created.
	v, err = e.svc.AnswerCheckin(ctx, tok, 10)
	if !errors.Is(err, engagement.ErrCheckinAnswered) || !errors.Is(err, derrors.Conflict) || v.Score != 3 || !v.Answered {
		t.Errorf("second answer = %+v, %v; want ErrCheckinAnswered reporting the first score 3", v, err)
	}
	if got := e.count(t, `SELECT count(*) FROM checkin_responses`); got != 1 {
		t.Errorf("check-in responses after a replay = %d, want 1", got)
	}
	if got := e.count(t, `SELECT count(*) FROM staff_tasks WHERE title LIKE 'Low satisfaction score%'`); got != 1 {
		t.Errorf("low-score tasks after a replay = %d, want 1", got)
	}
	if v, err := e.svc.Checkin(ctx, tok); err != nil || !v.Answered || v.Score != 3 {
		t.Errorf("Checkin after the answer = %+v, %v; want answered with 3", v, err)
	}

	// The answer is a client reply: it shows in the client's engagement.
	var clientID int64
	if err := e.db.Pool.QueryRow(ctx, `SELECT client_id FROM messages WHERE id = $1`, msgID).Scan(&clientID); err != nil {
		t.Fatal(err)
	}
	ce, err := e.svc.ClientEngagement(ctx, clientID)
	if err != nil || len(ce.CheckinScores) != 1 || ce.CheckinScores[0] != 3 || ce.Unread != 1 {
		t.Errorf("client engagement = %+v, %v; want the score and one unread answer", ce, err)
	}

	// Expired: refused, nothing recorded.
	_, link2 := e.checkinEmail(t, "CK-2")
	e.clk.Advance(engagement.DefaultCheckinLinkTTL)
	if _, err := e.svc.AnswerCheckin(ctx, tokenOf(t, link2), 9); !errors.Is(err, engagement.ErrCheckinExpired) {
		t.Errorf("expired link: %v, want ErrCheckinExpired", err)
	}
	if got := e.count(t, `SELECT count(*) FROM checkin_responses`); got != 1 {
		t.Errorf("responses after an expired answer = %d, want 1", got)
	}
}

func TestCheckinHighScoreAndRefusals(t *testing.T) {
	e := newCheckinEnv(t)
	ctx := context.Background()
	_, link := e.checkinEmail(t, "CK-3")
	tok := tokenOf(t, link)
	if _, err := e.svc.AnswerCheckin(ctx, tok, 11); !errors.Is(err, derrors.InvalidArgument) || !strings.Contains(err.Error(), "score") {
		t.Errorf("score 11: %v, want invalid score", err)
	}
	if _, err := e.svc.AnswerCheckin(ctx, tok, 9); err != nil {
		t.Fatal(err)
	}
	if got := e.count(t, `SELECT count(*) FROM staff_tasks WHERE title LIKE 'Low satisfaction score%'`); got != 0 {
		t.Errorf("a 9 created %d low-score tasks, want 0", got)
	}
	if got := e.count(t, `SELECT count(*) FROM inbound_messages WHERE intent = 'score' AND NOT unread`); got != 1 {
		t.Errorf("a high score should be on the timeline but not unread; got %d read score rows", got)
	}
	// A genuine signature over a case that is not the client's: invalid.
	bad := e.links.Token(e.client.CaseID, e.client.ClientID+1000, e.clk.Now())
	if _, err := e.svc.AnswerCheckin(ctx, bad, 5); !errors.Is(err, engagement.ErrCheckinInvalid) {
		t.Errorf("case of another client: %v, want ErrCheckinInvalid", err)
	}
	// Without links configured (no HERALD_SESSION_SECRET) every token is invalid.
	plain, err := engagement.New(engagement.Deps{DB: e.db, Ledger: e.ledger, Consent: e.consent, Pauses: e.pauses,
		Enqueuer: e.enq, Clock: e.clk}, engagement.Config{FirmName: "Lopez Law"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Checkin(ctx, tok); !errors.Is(err, engagement.ErrCheckinInvalid) {
		t.Errorf("no links configured: %v, want ErrCheckinInvalid", err)
	}
}
