package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
)

// chromiumPath finds headless Chromium; a missing browser fails the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("HERALD_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("headless Chromium is not installed (looked for /usr/bin/chromium): run `make test`, which installs it via .ci/services --browser, or `apt-get install -y chromium`")
	return ""
}

// screenshotDir is test-artifacts/screenshots at the repository root.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
	out := filepath.Join(dir, "test-artifacts", "screenshots")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPortalInBrowser clicks through the portal in headless Chromium:
// a paralegal edits, previews and saves a template; an attorney presses the
// big red button; ops retry a dead letter. Each screen is saved as a
// screenshot under test-artifacts/screenshots.
func TestPortalInBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	var cms *cmsFeed
	e := newPortal(t, func(d *web.Deps) { cms = wireCMS(t, d) })
	caseID, _ := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	e.addCase("M-2", "2026-CV-0002", "Ben", "Okafor", "discovery_initiated")
	e.exec(`INSERT INTO data_findings (case_id, field, code, raw, suggestion) VALUES ($1, 'client_email', 'suspected_typo', 'ana@gmial.com', 'ana@gmail.com')`, caseID)
	e.exec(`INSERT INTO data_findings (case_id, field, code, raw) VALUES ($1, 'status', 'unknown_status', 'Discovery Phase II')`, caseID)
	tplID := seedTemplates(t, e)
	deadID := e.addMessage(caseID, "dead", "sms", "21211", "The number is not a valid phone number")
	e.addMessage(caseID, "delivered", "email", "", "")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.app.Listener(ln)
	t.Cleanup(func() { e.app.Shutdown() })
	base := "http://" + ln.Addr().String()
	cms.base = base
	shots := screenshotDir(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg) // quality 100 is PNG; lower is JPEG
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		})
	}
	textOf := func(sel string, out *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			*out, err = chromedp.Text(sel)(ctx, tg)
			return err
		})
	}
	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](expr)(ctx, tg)
			return err
		})
	}
	signIn := func(name, role string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(`[data-testid="dev-login"]`),
			chromedp.SetValue(`#dev-name`, name),
			chromedp.SetValue(`#dev-role`, role),
			chromedp.Click(`[data-testid="dev-login-submit"]`),
			chromedp.WaitVisible(`[data-testid="who"]`),
		)
	}
	signOut := chromedp.Steps(chromedp.Click(`[data-testid="logout"]`), chromedp.WaitVisible(`[data-testid="login"]`))

	// Paralegal: dashboard, cases, template edit with live preview, save.
	var preview, flash string
	tpl := base + idURL("/templates/%d", tplID)
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"), chromedp.WaitVisible(`[data-testid="login"]`), shot("01-login"),
		signIn("Pat Paralegal", "paralegal"), shot("02-dashboard"),
		chromedp.Navigate(base+"/cases"), chromedp.WaitVisible(`[data-testid="cases"]`), shot("03-cases"),
		chromedp.Navigate(base+"/templates"), chromedp.WaitVisible(`[data-testid="templates"]`), shot("04-templates"),
		chromedp.Navigate(tpl), chromedp.WaitVisible(`[data-testid="field-sms"]`),
		chromedp.Clear(`#sms`),
		chromedp.SendKeys(`#sms`, "Hi {{ client_first_name }}, case {{ case_number }} has news."),
		poll(`!!document.querySelector('[data-testid="preview-sms"]') && document.querySelector('[data-testid="preview-sms"]').textContent.includes('has news')`),
		textOf(`[data-testid="preview-sms"]`, &preview),
		shot("05-template-preview"),
		chromedp.SendKeys(`#change_note`, "shorter news text"),
		chromedp.Click(`[data-testid="save"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`),
		textOf(`[data-testid="flash"]`, &flash),
		shot("06-template-saved"),
		chromedp.Navigate(base+"/data-health"), chromedp.WaitVisible(`[data-testid="unmapped"]`), shot("07-data-health"),
		signOut,
	)
	if err != nil {
		t.Fatalf("paralegal flow: %v", err)
	}
	if !strings.HasPrefix(preview, "Hi ") || !strings.Contains(preview, "has news.") {
		t.Errorf("live preview = %q, want the typed text rendered with a real case", preview)
	}
	if !strings.Contains(flash, "new version") {
		t.Errorf("after save the flash says %q", flash)
	}
	if got := e.scalar(`SELECT v.change_note FROM message_templates t JOIN template_versions v ON v.id = t.current_version_id WHERE t.id = $1`, tplID); got != "shorter news text" {
		t.Errorf("current version note = %v, want the one typed", got)
	}

	// Attorney: a case the CMS created through a signed webhook gets the big
	// red button; the next signed update for it sends nothing and the
	// timeline says why.
	wCase, wClient := cms.send(t, 1, "Intake Complete")
	msgsBefore := e.scalar(`SELECT count(*) FROM messages WHERE case_id = $1`, wCase)
	var banner, skipped string
	err = chromedp.Do(ctx,
		signIn("Alex Attorney", "attorney"),
		chromedp.Navigate(base+idURL("/cases/%d", wCase)), chromedp.WaitVisible(`[data-testid="big-red-button"]`), shot("08-case"),
		chromedp.SendKeys(`#pause-reason`, "client asked for a call first"),
		chromedp.Click(`[data-testid="pause"]`),
		chromedp.WaitVisible(`[data-testid="pause-confirm"]`), shot("09-pause-confirm"),
		chromedp.Click(`[data-testid="pause-confirm-yes"]`),
		chromedp.WaitVisible(`[data-testid="pause-banner"]`),
		textOf(`[data-testid="pause-banner"]`, &banner), shot("10-case-paused"),
		chromedp.Navigate(base+"/cases"), chromedp.WaitVisible(`tr.row-paused`), shot("11-cases-paused"),
	)
	if err != nil {
		t.Fatalf("attorney flow: %v", err)
	}
	if !strings.Contains(banner, "client asked for a call first") {
		t.Errorf("pause banner = %q", banner)
	}
	if n := e.scalar(`SELECT count(*) FROM pauses WHERE case_id = $1 AND lifted_at IS NULL`, wCase); n != int64(1) {
		t.Errorf("%v active pauses, want 1", n)
	}
	cms.send(t, 2, "Discovery Initiated")
	if got := e.scalar(`SELECT count(*) FROM messages WHERE case_id = $1`, wCase); got != msgsBefore {
		t.Errorf("messages for the paused case %v → %v: the update after the pause sent something", msgsBefore, got)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+idURL("/clients/%d/timeline", wClient)), chromedp.WaitVisible(`[data-testid="entry-decision"]`),
		textOf(`.s-skipped_paused [data-testid="entry-status"]`, &skipped), shot("12-timeline"),
		signOut,
	)
	if err != nil {
		t.Fatalf("attorney timeline: %v", err)
	}
	if skipped != "skipped: paused" {
		t.Errorf("timeline decision = %q, want skipped: paused", skipped)
	}

	// Ops: retry the dead letter.
	err = chromedp.Do(ctx,
		signIn("Olu Ops", "ops"),
		chromedp.Navigate(base+"/dead-letters"), chromedp.WaitVisible(`[data-testid="dead-row"]`), shot("13-dead-letters"),
		chromedp.Click(`#dl-`+itoa(deadID)+` [data-testid="retry"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`), shot("14-dead-letter-retried"),
	)
	if err != nil {
		t.Fatalf("ops flow: %v", err)
	}
	if got := e.scalar(`SELECT status FROM messages WHERE id = $1`, deadID); got != "pending" {
		t.Errorf("retried dead letter status = %v, want pending", got)
	}
}

const browserCMSSecret = "browser-test-cms-secret"

// cmsFeed sends signed generic webhooks for one CMS case through the real
// route and processes each stored event at once, as the worker would.
type cmsFeed struct {
	d    *web.Deps
	ing  *ingest.Service
	base string // the listening portal's URL
}

// wireCMS adds the real ingest path (normalize, cases, rules with the
// default playbook) to d.
func wireCMS(t *testing.T, d *web.Deps) *cmsFeed {
	t.Helper()
	ctx := context.Background()
	clk := d.Clock
	d.Config.WebhookSecrets = map[string][]string{"generic": {browserCMSSecret}}
	loc, _ := time.LoadLocation("America/Chicago")
	engine := render.New(render.Options{Now: clk.Now, FirmLocation: loc})
	if _, err := statuses.Seed(ctx, d.DB); err != nil {
		t.Fatal(err)
	}
	if _, err := rules.Seed(ctx, d.DB, config.RulesYAML); err != nil {
		t.Fatal(err)
	}
	planner := rules.NewPlanner(rules.Deps{DB: d.DB, Clock: clk,
		Config: rules.Config{FirmName: "Test Law", FirmPhone: "+1 312 555 0100", PortalURL: "http://herald.test", DefaultLang: "en", FirmLocation: loc},
		Pauses: pause.New(d.DB, clk), OptOuts: consent.New(d.DB, clk), Templates: content.New(d.DB, engine, clk, "en"),
		Engine: engine, Cases: cases.New(d.DB, clk, loc)})
	ing, err := ingest.New(d.DB, d.Config, clk, statuses.New(d.DB, clk), cases.New(d.DB, clk, loc), ingest.Options{Planner: planner})
	if err != nil {
		t.Fatal(err)
	}
	d.Services.CMSIngest = ing
	return &cmsFeed{d: d, ing: ing}
}

// send posts update n of case W-1 with the raw CMS status and processes it;
// it returns Herald's case and client ids.
func (f *cmsFeed) send(t *testing.T, n int, status string) (int64, int64) {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"id":"evt_w1_%d","type":"case.updated","occurred_at":%q,"data":{"case_id":"W-1","client_id":"CLW-1",
		"current_attributes":{"status":%q,"case_number":"2026-CV-0100","client_first_name":"Rosa","client_last_name":"Diaz",
		"client_email":"rosa@example.com","client_mobile_phone":"+13125550123","preferred_language":"en","timezone":"America/Chicago","attorney_id":"att-1"}}}`,
		n, f.d.Clock.Now().Add(time.Duration(n)*time.Second).Format(time.RFC3339), status))
	req, _ := http.NewRequest("POST", f.base+"/webhooks/cms/generic", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(ingest.SignatureHeader, ingest.Sign(browserCMSSecret, f.d.Clock.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		EventID int64 `json:"event_id"`
	}
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || res.EventID == 0 {
		t.Fatalf("signed webhook %d = %d %+v, want 202 with an event id", n, resp.StatusCode, res)
	}
	out, err := f.ing.Process(context.Background(), res.EventID)
	if err != nil || out.Result != ingest.ResultProcessed {
		t.Fatalf("process update %d = %+v, %v", n, out, err)
	}
	c, err := cases.New(f.d.DB, f.d.Clock, time.UTC).GetByExternal(context.Background(), "generic", "W-1")
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, c.ClientID
}
