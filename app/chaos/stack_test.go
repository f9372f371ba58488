package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/config"
)

// enableVar turns the suite on; `make chaos` sets it.
const enableVar = "HERALD_CHAOS"

// binVar names a herald binary to test instead of building one from this
// tree.
const binVar = "HERALD_CHAOS_BIN"

// webhookSecret signs the suite's CMS webhooks (HERALD_WEBHOOK_SECRET_GENERIC).
const webhookSecret = "herald-chaos-generic-secret"

// templateDB is migrated and seeded once; each test copies it.
const templateDB = "herald_chaos_template"

// suiteState is what every test shares: the herald binary and the private
// cluster holding the template database. Built once, on first use.
var suiteState struct {
	once    sync.Once
	err     error
	dir     string
	bin     string
	cluster *cluster
	dbSeq   int
	mu      sync.Mutex
}

func TestMain(m *testing.M) {
	code := m.Run()
	if suiteState.cluster != nil {
		suiteState.cluster.close()
	}
	if suiteState.dir != "" {
		os.RemoveAll(suiteState.dir)
	}
	os.Exit(code)
}

// suite skips the test unless HERALD_CHAOS is set, then builds the binary
// and the private cluster once.
func suite(t *testing.T) {
	t.Helper()
	if os.Getenv(enableVar) == "" {
		t.Skipf("the chaos suite kills processes and runs for minutes: run it with `make chaos` (%s=1 go test ./app/chaos)", enableVar)
	}
	suiteState.once.Do(func() { suiteState.err = setupSuite() })
	if suiteState.err != nil {
		t.Fatal(suiteState.err)
	}
}

func setupSuite() error {
	dir, err := os.MkdirTemp("", "herald-chaos-")
	if err != nil {
		return err
	}
	suiteState.dir = dir
	suiteState.bin = filepath.Join(dir, "herald")
	if prebuilt := os.Getenv(binVar); prebuilt != "" {
		suiteState.bin = prebuilt
	} else {
		build := exec.Command("go", "build", "-o", suiteState.bin, "github.com/heraldhq/herald")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go build herald: %w\n%s", err, out)
		}
	}
	c, err := newCluster()
	if err != nil {
		return err
	}
	suiteState.cluster = c
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.exec(ctx, "CREATE DATABASE "+templateDB); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	env := map[string]string{"HERALD_ENV": config.EnvDev, "HERALD_DATABASE_URL": c.dsn(templateDB, ""),
		"HERALD_REDIS_URL": "redis://127.0.0.1:1/0", "HERALD_WEBHOOK_SECRET_GENERIC": webhookSecret}
	if _, err := runOnce(env, "migrate", "up"); err != nil {
		return err
	}
	if _, err := runOnce(env, "seed"); err != nil {
		return err
	}
	return nil
}

// stack is one test's Herald: its own database (a copy of the template),
// its own redis-server, fake SendGrid and Twilio, and the environment its
// herald children run with.
type stack struct {
	t        *testing.T
	dir      string
	db       string // database name
	pool     *pgxpool.Pool
	redis    *redisServer
	sendgrid *providertest.FakeSendGrid
	twilio   *providertest.FakeTwilio
	env      map[string]string

	mu       sync.Mutex
	seq      int
	children []*child
}

// stackOpts changes a stack's wiring.
type stackOpts struct {
	// links, when set, is given the PostgreSQL and Redis addresses and
	// returns where Herald reaches them instead (a proxy); the suite's own
	// checks always go direct.
	links func(pg, redis string) (pgAddr, redisAddr string)
	// sendgridURL and twilioURL replace the fakes' URLs (a tap in front).
	sendgridURL, twilioURL func(fakeURL string) string
	env                    map[string]string
}

// newStack builds a test's stack. Its children are stopped and the fakes
// closed when the test ends.
func newStack(t *testing.T, o stackOpts) *stack {
	t.Helper()
	suite(t)
	dir, err := os.MkdirTemp("", "herald-chaos-"+strings.ReplaceAll(t.Name(), "/", "_")+"-")
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, dir: dir, redis: newRedis(t)}
	suiteState.mu.Lock()
	suiteState.dbSeq++
	s.db = fmt.Sprintf("chaos_%s_%d", strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name())), suiteState.dbSeq)
	suiteState.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := suiteState.cluster
	if err := c.createFrom(ctx, s.db, templateDB); err != nil {
		t.Fatalf("create %s: %v", s.db, err)
	}
	pool, err := pgxpool.New(ctx, c.dsn(s.db, "")+"&pool_max_conns=4&connect_timeout=3")
	if err != nil {
		t.Fatal(err)
	}
	s.pool = pool
	s.sendgrid = providertest.NewSendGrid(nil)
	s.twilio = providertest.NewTwilio(nil)
	sg, tw := s.sendgrid.URL, s.twilio.URL
	if o.sendgridURL != nil {
		sg = o.sendgridURL(sg)
	}
	if o.twilioURL != nil {
		tw = o.twilioURL(tw)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var pgAddr, redisAddr string
	if o.links != nil {
		pgAddr, redisAddr = o.links(c.addr(), s.redis.addr())
	}
	s.env = map[string]string{
		"HERALD_ENV":                    config.EnvDev,
		"HERALD_HTTP_ADDR":              addr,
		"HERALD_PUBLIC_URL":             "http://" + addr,
		"HERALD_DATABASE_URL":           c.dsn(s.db, pgAddr),
		"HERALD_REDIS_URL":              s.redis.url(redisAddr),
		"HERALD_WEBHOOK_SECRET_GENERIC": webhookSecret,
		"HERALD_DELIVERY":               config.DeliveryLive,
		"SENDGRID_API_KEY":              s.sendgrid.APIKey,
		"SENDGRID_BASE_URL":             sg,
		"HERALD_EMAIL_FROM":             "updates@chaos.herald.test",
		"HERALD_EMAIL_FROM_NAME":        "Herald Chaos Law",
		"TWILIO_ACCOUNT_SID":            s.twilio.AccountSID,
		"TWILIO_AUTH_TOKEN":             s.twilio.AuthToken,
		"TWILIO_BASE_URL":               tw,
		"TWILIO_FROM_NUMBER":            "+13125550100",
		// Status messages go out at once, SMS at any hour, and every
		// sweep, lease and retry is short so a fault heals in seconds.
		"HERALD_SETTLE_DELAY":    "0s",
		"HERALD_SMS_WINDOW":      "00:00-24:00",
		"HERALD_SWEEP_INTERVAL":  "1s",
		"HERALD_SWEEP_GRACE":     "1s",
		"HERALD_SEND_LEASE":      "15s",
		"HERALD_RECONCILE_GRACE": "3s",
		"HERALD_RETRY_SCHEDULE":  "1s,2s,3s",
	}
	for k, v := range o.env {
		s.env[k] = v
	}
	t.Cleanup(func() {
		s.logsOnFailure()
		s.stopAll()
		s.sendgrid.Close()
		s.twilio.Close()
		s.pool.Close()
		dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer dcancel()
		_ = c.exec(dctx, "DROP DATABASE IF EXISTS "+s.db+" WITH (FORCE)")
		if t.Failed() {
			t.Logf("herald logs kept in %s", s.dir)
		} else {
			os.RemoveAll(s.dir)
		}
	})
	return s
}
