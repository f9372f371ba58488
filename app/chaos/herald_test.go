package chaos

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is one running herald process (serve, work or run).
type child struct {
	role string
	cmd  *exec.Cmd
	log  string
	url  string // base URL for serve and run
	done chan struct{}
	err  error // Wait's result, set before done closes
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// kill9 kills the process with SIGKILL: no shutdown code runs.
func (c *child) kill9() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// term sends SIGTERM and waits up to limit for a clean exit; it returns how
// long the shutdown took and an error unless the process exited 0 in time.
func (c *child) term(limit time.Duration) (time.Duration, error) {
	start := time.Now()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		if c.err != nil {
			return time.Since(start), fmt.Errorf("herald %s exited with %w after SIGTERM; log %s:\n%s", c.role, c.err, c.log, tailFile(c.log, 15))
		}
		return time.Since(start), nil
	case <-time.After(limit):
		c.kill9()
		return time.Since(start), fmt.Errorf("herald %s did not exit within %s of SIGTERM; log %s:\n%s", c.role, limit, c.log, tailFile(c.log, 15))
	}
}

// statusValue reads one field (kB) of /proc/<pid>/status, e.g. VmRSS.
func (c *child) statusValue(field string) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(c.pid()), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, c.pid())
}

// metric reads one unlabelled sample (go_goroutines,
// process_resident_memory_bytes) from the child's /metrics.
func (c *child) metric(ctx context.Context, name string) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("no %s in %s/metrics", name, c.url)
}

// start runs `herald role args…` with the stack's environment (plus extra)
// and waits until it is ready: /readyz answers 200 for serve and run, the
// "herald worker started" log line for work.
func (s *stack) start(role string, extra map[string]string, args ...string) *child {
	s.t.Helper()
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.mu.Unlock()
	c := &child{role: role, log: filepath.Join(s.dir, fmt.Sprintf("herald-%s-%d.log", role, n)), done: make(chan struct{})}
	logf, err := os.Create(c.log)
	if err != nil {
		s.t.Fatal(err)
	}
	defer logf.Close()
	env := map[string]string{}
	for k, v := range s.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	c.cmd = exec.Command(suiteState.bin, append([]string{role}, args...)...)
	c.cmd.Env = childEnv(env)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		s.t.Fatalf("start herald %s: %v", role, err)
	}
	go func() { c.err = c.cmd.Wait(); close(c.done) }()
	s.mu.Lock()
	s.children = append(s.children, c)
	s.mu.Unlock()
	if role != "work" {
		c.url = "http://" + env["HERALD_HTTP_ADDR"]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, ok := waitUntil(ctx, 30*time.Second, 50*time.Millisecond, func() bool {
		if c.exited() {
			return true
		}
		if role == "work" {
			b, _ := os.ReadFile(c.log)
			return strings.Contains(string(b), "herald worker started")
		}
		return ready(ctx, c.url)
	})
	if c.exited() {
		s.t.Fatalf("herald %s exited before it was ready (%v); log:\n%s", role, c.err, tailFile(c.log, 30))
	}
	if !ok {
		s.t.Fatalf("herald %s not ready after 30s; log:\n%s", role, tailFile(c.log, 30))
	}
	return c
}

func ready(ctx context.Context, url string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// childEnv is this process's environment without Herald's and the
// providers' variables, plus env.
func childEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "HERALD_") || strings.HasPrefix(k, "SENDGRID_") || strings.HasPrefix(k, "TWILIO_") || strings.HasPrefix(k, "CLIO_") {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// runOnce runs a short herald command (migrate, seed, token) to completion.
func runOnce(env map[string]string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, suiteState.bin, args...)
	cmd.Env = childEnv(env)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("herald %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// stopAll stops every child still running: SIGTERM, then SIGKILL.
func (s *stack) stopAll() {
	s.mu.Lock()
	cs := append([]*child(nil), s.children...)
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range cs {
		if c.exited() {
			continue
		}
		wg.Go(func() { _, _ = c.term(30 * time.Second) })
	}
	wg.Wait()
}

// logsOnFailure prints the tail of every child's log when the test failed.
func (s *stack) logsOnFailure() {
	if !s.t.Failed() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.children {
		s.t.Logf("--- herald %s (pid %d) log %s:\n%s", c.role, c.pid(), c.log, tailFile(c.log, 25))
	}
}
