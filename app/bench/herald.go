package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/config"
)

// benchSecret signs the bench's CMS webhooks (HERALD_WEBHOOK_SECRET_GENERIC).
const benchSecret = "herald-bench-generic-secret"

// fakes are the local SendGrid and Twilio a scenario's Herald sends to.
type fakes struct {
	sendgrid *providertest.FakeSendGrid
	twilio   *providertest.FakeTwilio
}

func (r *runner) newFakes() *fakes {
	f := &fakes{sendgrid: providertest.NewSendGrid(nil), twilio: providertest.NewTwilio(nil)}
	r.onCleanup(func() {
		f.sendgrid.Close()
		f.twilio.Close()
	})
	return f
}

// heraldEnv is the environment a scenario's Herald runs with: the
// scenario's database and Redis db, live delivery to the fakes, and
// extra on top (settle delay, retry schedule).
func heraldEnv(e *env, f *fakes, extra map[string]string) map[string]string {
	m := map[string]string{
		"HERALD_ENV":                    config.EnvDev,
		"HERALD_DATABASE_URL":           e.dsn,
		"HERALD_REDIS_URL":              e.redisURL,
		"HERALD_HTTP_ADDR":              "127.0.0.1:0",
		"HERALD_WEBHOOK_SECRET_GENERIC": benchSecret,
		"HERALD_DELIVERY":               config.DeliveryLive,
		"SENDGRID_API_KEY":              f.sendgrid.APIKey,
		"SENDGRID_BASE_URL":             f.sendgrid.URL,
		"HERALD_EMAIL_FROM":             "updates@bench.herald.test",
		"HERALD_EMAIL_FROM_NAME":        "Herald Bench Law",
		"TWILIO_ACCOUNT_SID":            f.twilio.AccountSID,
		"TWILIO_AUTH_TOKEN":             f.twilio.AuthToken,
		"TWILIO_BASE_URL":               f.twilio.URL,
		"TWILIO_FROM_NUMBER":            "+13125550100",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// herald is a running Herald, in this process or as a child.
type herald struct {
	url   string  // base URL when it serves HTTP
	sys   *System // in-process only
	rssOf string
	pid   int
	stop  func() error
}

// peakRSSMB is the Herald process's VmHWM.
func (h *herald) peakRSSMB() float64 {
	mb, _ := peakRSSMB(h.pid)
	return mb
}

// logFile opens the file a scenario's Herald logs to; it is removed at the
// end unless the run keeps its database.
func (r *runner) logFile(name string) (*os.File, error) {
	f, err := os.CreateTemp("", fmt.Sprintf("herald-bench-%s-%s-*.log", r.scenario, name))
	if err != nil {
		return nil, err
	}
	r.onCleanup(func() {
		f.Close()
		if !r.o.Keep {
			os.Remove(f.Name())
		}
	})
	return f, nil
}

// startInProcess wires Herald in this process from env and runs what is
// asked: the HTTP server, the worker (with workers handlers), or both.
func (r *runner) startInProcess(ctx context.Context, envm map[string]string, serve bool, workers int) (*herald, error) {
	cfg, err := config.Load(func(k string) string { return envm[k] })
	if err != nil {
		return nil, fmt.Errorf("bench configuration: %w", err)
	}
	logf, err := r.logFile("inproc")
	if err != nil {
		return nil, err
	}
	sys, err := r.w.Start(ctx, cfg, logf)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	h := &herald{sys: sys, rssOf: "bench process (Herald in-process)", pid: os.Getpid()}
	if serve {
		ready := make(chan string, 1)
		wg.Go(func() { errs <- sys.Serve(rctx, ready) })
		select {
		case addr := <-ready:
			h.url = "http://" + addr
		case err := <-errs:
			cancel()
			sys.Close()
			return nil, fmt.Errorf("herald serve: %w", err)
		}
	}
	if workers > 0 {
		wg.Go(func() { errs <- sys.Work(rctx, workers) })
	}
	var once sync.Once
	h.stop = func() error {
		var err error
		once.Do(func() {
			cancel()
			wg.Wait()
			close(errs)
			for e := range errs {
				if e != nil && !errors.Is(e, context.Canceled) {
					err = errors.Join(err, e)
				}
			}
			sys.Close()
		})
		return err
	}
	r.onCleanup(func() { _ = h.stop() })
	return h, nil
}

// startChild runs `<binary> run --concurrency workers` with env and waits
// until /readyz answers 200.
func (r *runner) startChild(ctx context.Context, envm map[string]string, workers int) (*herald, error) {
	if r.o.Binary == "" {
		return nil, errors.New("no herald binary to run as a child (Options.Binary); or use --in-process")
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	envm = maps(envm)
	envm["HERALD_HTTP_ADDR"] = addr
	logf, err := r.logFile("child")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(r.o.Binary, "run", "--concurrency", strconv.Itoa(workers))
	cmd.Env = childEnv(os.Environ(), envm)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s run: %w", r.o.Binary, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	h := &herald{url: "http://" + addr, pid: cmd.Process.Pid, rssOf: "`herald run` child process"}
	var once sync.Once
	var stopErr error
	h.stop = func() error {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-done:
				if err != nil {
					stopErr = fmt.Errorf("herald run exited with %w (log %s)", err, logf.Name())
				}
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				stopErr = fmt.Errorf("herald run did not stop within 30s of SIGTERM (log %s)", logf.Name())
			}
		})
		return stopErr
	}
	r.onCleanup(func() { _ = h.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(h.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return h, nil
			}
		}
		select {
		case err := <-done:
			return nil, fmt.Errorf("herald run exited before it was ready: %v; log %s:\n%s", err, logf.Name(), tail(logf.Name(), 20))
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("herald run not ready after 30s; log %s:\n%s", logf.Name(), tail(logf.Name(), 20))
		}
	}
}

// childEnv is the parent's environment without Herald's and the
// providers' variables, plus envm.
func childEnv(parent []string, envm map[string]string) []string {
	var out []string
	for _, kv := range parent {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "HERALD_") || strings.HasPrefix(k, "SENDGRID_") || strings.HasPrefix(k, "TWILIO_") || strings.HasPrefix(k, "CLIO_") {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range envm {
		out = append(out, k+"="+v)
	}
	return out
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// peakRSSMB reads VmHWM (peak resident set) of pid from /proc.
func peakRSSMB(pid int) (float64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmHWM %q: %w", v, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// resetPeakRSS restarts this process's VmHWM from its current RSS (Linux
// clear_refs 5), so each scenario reports its own peak.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
