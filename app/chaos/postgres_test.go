package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// cluster is a PostgreSQL cluster the suite owns: initdb into a temporary
// directory, listening on a free loopback port. Stopping it (even with -m
// immediate) touches nobody else's database.
type cluster struct {
	bin  string // directory holding initdb and pg_ctl
	dir  string
	data string
	log  string
	port int
	// asUser runs the server binaries as this user when the suite runs as
	// root (initdb refuses root); "" runs them directly.
	asUser string
}

// newCluster initialises and starts a private cluster.
func newCluster() (*cluster, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		return nil, errors.New("no PostgreSQL server binaries (initdb, pg_ctl) found in /usr/lib/postgresql/*/bin or PATH: " +
			"install them with `apt-get install postgresql` (the chaos suite runs its own cluster)")
	}
	sort.Slice(bins, func(i, j int) bool { return pgMajor(bins[i]) > pgMajor(bins[j]) })
	c := &cluster{bin: filepath.Dir(bins[0])}
	dir, err := os.MkdirTemp("", "herald-chaos-pg-")
	if err != nil {
		return nil, err
	}
	c.dir, c.data, c.log = dir, filepath.Join(dir, "data"), filepath.Join(dir, "postgres.log")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root, and initdb refuses root: create a `postgres` user (apt-get install postgresql does) or run as a normal user")
		}
		c.asUser = u.Username
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, fmt.Errorf("hand %s to postgres: %w", dir, err)
		}
	}
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	conf := "listen_addresses = '127.0.0.1'\nunix_socket_directories = '" + dir + "'\nmax_connections = 300\n" +
		"shared_buffers = 64MB\nlog_min_messages = warning\n"
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString(conf)
	f.Close()
	if err != nil {
		return nil, err
	}
	if c.port, err = freePort(); err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		return nil, err
	}
	return c, nil
}

func pgMajor(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// run runs a server binary as the cluster's user.
func (c *cluster) run(name string, args ...string) (string, error) {
	bin := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.asUser, "--", bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start starts the server and waits until it accepts connections.
func (c *cluster) start() error {
	if out, err := c.run("pg_ctl", "-D", c.data, "-l", c.log, "-o", "-p "+strconv.Itoa(c.port), "-w", "-t", "60", "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, tailFile(c.log, 20))
	}
	return nil
}

// stopImmediate stops the server the way a crash would: no checkpoint, every
// backend killed (pg_ctl stop -m immediate).
func (c *cluster) stopImmediate() error {
	if out, err := c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop -m immediate: %w\n%s", err, out)
	}
	return nil
}

// close stops the server and removes its files.
func (c *cluster) close() {
	_, _ = c.run("pg_ctl", "-D", c.data, "-m", "fast", "-w", "stop")
	_ = os.RemoveAll(c.dir)
}

// addr is the cluster's host:port.
func (c *cluster) addr() string { return "127.0.0.1:" + strconv.Itoa(c.port) }

// dsn is the URL of database name on the cluster, or through addr when
// addr is not empty (a proxy in front of it).
func (c *cluster) dsn(name, addr string) string {
	if addr == "" {
		addr = c.addr()
	}
	return "postgres://postgres@" + addr + "/" + name + "?sslmode=disable"
}

// exec runs one statement on the postgres database.
func (c *cluster) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.dsn("postgres", ""))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// createFrom creates database name as a copy of template.
func (c *cluster) createFrom(ctx context.Context, name, template string) error {
	return c.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize())
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailFile returns the last n lines of a file, for failure messages.
func tailFile(path string, n int) string {
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

// waitUntil polls cond every step until it holds or timeout passes; it
// returns how long it took.
func waitUntil(ctx context.Context, timeout, step time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > timeout {
			return time.Since(start), false
		}
		select {
		case <-ctx.Done():
			return time.Since(start), false
		case <-time.After(step):
		}
	}
}
