package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a redis-server child the suite owns, without persistence:
// restarting it loses every queued task, as a Redis without AOF would.
type redisServer struct {
	port int
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// newRedis starts a private redis-server on a free port; it is killed when
// the test ends.
func newRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed: `apt-get install redis-server` (the chaos suite runs its own Redis)")
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	r := &redisServer{port: port, log: filepath.Join(t.TempDir(), "redis.log")}
	if err := r.start(bin); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.kill)
	return r
}

func (r *redisServer) start(bin string) error {
	logf, err := os.OpenFile(r.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--protected-mode", "no", "--databases", "1")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	r.cmd, r.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(r.done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer c.Close()
	if _, ok := waitUntil(ctx, 10*time.Second, 20*time.Millisecond, func() bool { return c.Ping(ctx).Err() == nil }); !ok {
		return errors.New("redis-server did not answer within 10s:\n" + tailFile(r.log, 10))
	}
	return nil
}

// kill stops the server at once (SIGKILL): with persistence off, every key
// is gone.
func (r *redisServer) kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

// restart kills the server and starts an empty one on the same port.
func (r *redisServer) restart() error {
	r.kill()
	bin := r.cmd.Path
	return r.start(bin)
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *redisServer) url(addr string) string {
	if addr == "" {
		addr = r.addr()
	}
	return "redis://" + addr + "/0"
}
