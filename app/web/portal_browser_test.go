package web_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
	e := newPortal(t)
	caseID, clientID := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
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

	// Attorney: the big red button with its confirmation step.
	var banner string
	err = chromedp.Do(ctx,
		signIn("Alex Attorney", "attorney"),
		chromedp.Navigate(base+idURL("/cases/%d", caseID)), chromedp.WaitVisible(`[data-testid="big-red-button"]`), shot("08-case"),
		chromedp.SendKeys(`#pause-reason`, "client asked for a call first"),
		chromedp.Click(`[data-testid="pause"]`),
		chromedp.WaitVisible(`[data-testid="pause-confirm"]`), shot("09-pause-confirm"),
		chromedp.Click(`[data-testid="pause-confirm-yes"]`),
		chromedp.WaitVisible(`[data-testid="pause-banner"]`),
		textOf(`[data-testid="pause-banner"]`, &banner), shot("10-case-paused"),
		chromedp.Navigate(base+"/cases"), chromedp.WaitVisible(`tr.row-paused`), shot("11-cases-paused"),
		chromedp.Navigate(base+idURL("/clients/%d/timeline", clientID)), chromedp.WaitVisible(`[data-testid="timeline"]`), shot("12-timeline"),
		signOut,
	)
	if err != nil {
		t.Fatalf("attorney flow: %v", err)
	}
	if !strings.Contains(banner, "client asked for a call first") {
		t.Errorf("pause banner = %q", banner)
	}
	if n := e.scalar(`SELECT count(*) FROM pauses WHERE case_id = $1 AND lifted_at IS NULL`, caseID); n != int64(1) {
		t.Errorf("%v active pauses, want 1", n)
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
