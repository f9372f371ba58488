package command

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/heraldhq/herald/app/clio"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/store"
)

const clioUsage = `clio webhook register|list|reseal [flags]

Sets up Clio Manage without curl, using CLIO_ACCESS_TOKEN and CLIO_BASE_URL:

  herald clio webhook register [--url URL] [--events created,updated,deleted]
      creates a matter webhook in Clio posting to URL (default
      HERALD_PUBLIC_URL/webhooks/cms/clio) and stores its secret, sealed with
      HERALD_DATA_KEY. Clio then sends its handshake to URL, so Herald must be
      serving there; the webhook is enabled when Herald answers it.
  herald clio webhook list [--json]
      lists the account's webhooks as Clio reports them and whether Herald
      holds each one's secret (pending, enabled) or not ("-": refused).
  herald clio webhook reseal
      re-encrypts stored secrets with the first HERALD_DATA_KEY key (after a
      key rotation, or for secrets stored before encryption).

Webhooks are renewed before they expire by herald work.`

// clioEvents are the matter events a webhook may subscribe to.
var clioEvents = []string{"created", "updated", "deleted"}

func runClio(ctx context.Context, args []string, pio IO) error {
	fs := newFlags("clio", clioUsage, pio.Stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 2 || fs.Arg(0) != "webhook" {
		if fs.NArg() > 0 {
			fmt.Fprintf(pio.Stderr, "herald clio: %q is not a clio command; use webhook register, webhook list or webhook reseal\n", strings.Join(fs.Args(), " "))
		}
		fs.Usage()
		return errUsage
	}
	rest := fs.Args()[2:]
	switch fs.Arg(1) {
	case "register":
		return runClioRegister(ctx, rest, pio)
	case "list":
		return runClioList(ctx, rest, pio)
	case "reseal":
		return runClioReseal(ctx, rest, pio)
	}
	fmt.Fprintf(pio.Stderr, "herald clio webhook: %q is not a webhook command; use register, list or reseal\n", fs.Arg(1))
	fs.Usage()
	return errUsage
}

func runClioRegister(ctx context.Context, args []string, pio IO) error {
	fs := newFlags("clio webhook register", "clio webhook register [--url URL] [--events created,updated,deleted]\n\n"+
		"Creates a Clio matter webhook posting to URL and stores its secret. Clio then sends its handshake to URL;\n"+
		"Herald must be serving there for the webhook to be enabled.", pio.Stdout)
	callback := fs.String("url", "", "Herald's Clio webhook URL (default HERALD_PUBLIC_URL/webhooks/cms/clio)")
	events := fs.String("events", strings.Join(clioEvents, ","), "matter events to receive, comma-separated: created, updated, deleted")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(pio.Stderr, "herald clio webhook register: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	evs, err := parseClioEvents(*events)
	if err != nil {
		fmt.Fprintf(pio.Stderr, "herald clio webhook register: %v\n", err)
		return errUsage
	}
	hooks, cfgURL, done, err := openClio(ctx, pio, true)
	if err != nil {
		return err
	}
	defer done()
	target := *callback
	if target == "" {
		target = strings.TrimRight(cfgURL, "/") + "/webhooks/cms/clio"
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url: %q is not an absolute http(s) URL; give Herald's public address, e.g. https://herald.example-law.com/webhooks/cms/clio", target)
	}
	if u.Scheme != "https" {
		fmt.Fprintf(pio.Stderr, "warning: %s is not https; Clio delivers matter data to it in the clear\n", target)
	}
	if !strings.HasSuffix(u.Path, "/webhooks/cms/clio") {
		fmt.Fprintf(pio.Stderr, "warning: %s does not end in /webhooks/cms/clio, where Herald receives Clio webhooks\n", target)
	}
	wh, err := hooks.Register(ctx, target, "matter", evs)
	if err != nil {
		return err
	}
	fmt.Fprintf(pio.Stdout, "registered Clio webhook %d: matter %s → %s, expires %s\n",
		wh.ID, strings.Join(evs, ","), target, wh.ExpiresAt.UTC().Format(time.RFC3339))
	fmt.Fprintln(pio.Stdout, "Clio now sends its handshake there; `herald clio webhook list` shows it enabled once Herald has answered.")
	return nil
}

func parseClioEvents(s string) ([]string, error) {
	var out []string
	for _, e := range strings.Split(s, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if !slices.Contains(clioEvents, e) {
			return nil, fmt.Errorf("--events: %q is not a Clio matter event; use created, updated and/or deleted", e)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--events: give at least one of created, updated, deleted")
	}
	return out, nil
}

func runClioList(ctx context.Context, args []string, pio IO) error {
	fs := newFlags("clio webhook list", "clio webhook list [--json]\n\n"+
		"Lists the Clio account's webhooks and whether Herald holds each one's secret.", pio.Stdout)
	asJSON := fs.Bool("json", false, "write the list as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	hooks, _, done, err := openClio(ctx, pio, true)
	if err != nil {
		return err
	}
	defer done()
	list, err := hooks.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		type row struct {
			ID        int64      `json:"id"`
			URL       string     `json:"url"`
			Model     string     `json:"model"`
			Events    []string   `json:"events"`
			Status    string     `json:"clio_status"`
			ExpiresAt *time.Time `json:"expires_at"`
			InClio    bool       `json:"in_clio"`
			Herald    string     `json:"herald_status"`
		}
		rows := make([]row, 0, len(list))
		for _, l := range list {
			r := row{ID: l.ID, URL: l.URL, Model: l.Model, Events: l.Events, Status: l.Status, InClio: l.InClio, Herald: l.Herald}
			if !l.ExpiresAt.IsZero() {
				exp := l.ExpiresAt.UTC()
				r.ExpiresAt = &exp
			}
			rows = append(rows, r)
		}
		enc := json.NewEncoder(pio.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	writeClioList(pio.Stdout, list)
	return nil
}

func writeClioList(w io.Writer, list []clio.Listed) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no Clio webhooks; create one with `herald clio webhook register`")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCLIO\tHERALD\tMODEL\tEVENTS\tEXPIRES\tURL")
	for _, l := range list {
		clioStatus, herald, exp := l.Status, l.Herald, "-"
		if !l.InClio {
			clioStatus = "gone"
		}
		if herald == "" {
			herald = "-"
		}
		if !l.ExpiresAt.IsZero() {
			exp = l.ExpiresAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", l.ID, clioStatus, herald, l.Model, strings.Join(l.Events, ","), exp, l.URL)
	}
	tw.Flush()
}

func runClioReseal(ctx context.Context, args []string, pio IO) error {
	fs := newFlags("clio webhook reseal", "clio webhook reseal\n\n"+
		"Re-encrypts stored Clio webhook secrets with the first HERALD_DATA_KEY key.", pio.Stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	hooks, _, done, err := openClio(ctx, pio, false)
	if err != nil {
		return err
	}
	defer done()
	n, err := hooks.Reseal(ctx)
	fmt.Fprintf(pio.Stdout, "resealed %d Clio webhook secret(s)\n", n)
	return err
}

// openClio opens PostgreSQL and the Clio webhook service; needAPI requires
// CLIO_ACCESS_TOKEN. It returns HERALD_PUBLIC_URL and a close function.
func openClio(ctx context.Context, pio IO, needAPI bool) (*clio.Webhooks, string, func(), error) {
	cfg, err := loadConfig(pio.Getenv)
	if err != nil {
		return nil, "", nil, err
	}
	if needAPI && cfg.ClioAccessToken == "" {
		return nil, "", nil, fmt.Errorf("CLIO_ACCESS_TOKEN is not set: connect Clio (an OAuth access token with the Webhooks scope) and set it, with CLIO_BASE_URL for your region")
	}
	box, err := clio.NewSecretBox(cfg.DataKeyList())
	if err != nil {
		return nil, "", nil, err
	}
	var api clio.WebhookAPI
	if cfg.ClioAccessToken != "" {
		c, err := clio.New(clio.Config{BaseURL: cfg.ClioBaseURL, AccessToken: cfg.ClioAccessToken, Clock: clock.Real{}})
		if err != nil {
			return nil, "", nil, err
		}
		api = c
	}
	var db *store.DB
	if db, err = openDB(ctx, cfg); err != nil {
		return nil, "", nil, err
	}
	return clio.NewWebhooks(db, clock.Real{}, nil, api, box), cfg.PublicURL, db.Close, nil
}
