package web_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app/engagement"
)

// TestEngagementScreensInBrowser clicks through the engagement screens in
// headless Chromium: a paralegal reads the analytics and answers a client's
// text; an admin sends an SMS held for the window now, with a reason. Each
// screen is saved under test-artifacts/screenshots.
func TestEngagementScreensInBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	var svc *engagement.Service
	wakes := &wakeLog{}
	e := newPortal(t, withEngagement(t, &svc, wakes), withHeld(t, wakes))
	f := seedAnalytics(t, e)
	held := seedHeld(t, e)
	clientTexts(t, svc, "SM-b1", "Hi, is my hearing still on Friday? I have to arrange childcare.")

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
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
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

	var flagged, status string
	err = chromedp.Do(ctx,
		signIn("Pat Paralegal", "paralegal"),
		chromedp.Click(`[data-testid="nav-analytics"]`), chromedp.WaitVisible(`[data-testid="analytics-table"]`),
		chromedp.Click(`[data-testid="preset-7"]`), chromedp.WaitVisible(`figure.chart svg circle`),
		textOf(`[data-testid="stats-row"]:first-child [data-testid="flag"]`, &flagged), shot("20-analytics"),
		chromedp.Navigate(base+idURL("/clients/%d/conversation", held.clientID)), chromedp.WaitVisible(`[data-testid="reply-body"]`),
		shot("21-conversation"),
		chromedp.SendKeys(`#reply-body`, "Yes, Friday at 9am is still on. See you there."),
		chromedp.Click(`[data-testid="reply-send"]`), chromedp.WaitVisible(`[data-testid="sent-status"]`),
		textOf(`[data-testid="sent-status"] .pill`, &status), shot("22-conversation-replied"),
		signOut,
	)
	if err != nil {
		t.Fatalf("paralegal flow: %v", err)
	}
	if !strings.Contains(flagged, "underperforming") {
		t.Errorf("first analytics row flag = %q, want the underperforming template %s", flagged, f.smsKey)
	}
	if status != "pending" {
		t.Errorf("reply status = %q, want pending", status)
	}
	if got := e.scalar(`SELECT count(*) FROM messages WHERE kind = 'staff_reply' AND body_text LIKE 'Yes, Friday%'`); got != int64(1) {
		t.Errorf("staff replies in the ledger = %v, want 1", got)
	}

	var flash string
	card := `[data-testid="held"][data-id="` + itoa(held.window) + `"]`
	err = chromedp.Do(ctx,
		signIn("Ada Admin", "admin"),
		chromedp.Click(`[data-testid="tile-held"]`), chromedp.WaitVisible(`[data-testid="held"]`), shot("23-held"),
		chromedp.SendKeys(card+` input[name="reason"]`, "hearing moved to 8am tomorrow"),
		chromedp.Click(card+` [data-testid="send-now"]`), chromedp.WaitVisible(`[data-testid="flash"]`),
		textOf(`[data-testid="flash"]`, &flash), shot("24-held-sent-now"),
	)
	if err != nil {
		t.Fatalf("admin flow: %v", err)
	}
	if !strings.Contains(flash, "outside the SMS window") {
		t.Errorf("flash = %q", flash)
	}
	if got := e.scalar(`SELECT status FROM messages WHERE id = $1`, held.window); got != "pending" || !wakes.woken(held.window) {
		t.Errorf("sent-now message = %v (woken %v), want pending and woken", got, wakes.woken(held.window))
	}
}
