package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// Sweep is a periodic job: it returns how many rows it acted on.
type Sweep struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) (int, error)
}

// Polling intervals of the asynq server (see NewWorker).
const (
	TaskCheckInterval        = 50 * time.Millisecond
	DelayedTaskCheckInterval = time.Second
)

// Worker runs asynq handlers and the periodic sweeps in one process.
type Worker struct {
	srv    *asynq.Server
	mux    *asynq.ServeMux
	sweeps []Sweep
	log    *slog.Logger
}

// NewWorker builds a worker with concurrency handlers. On shutdown it waits
// up to grace for in-flight tasks; asynq requeues any that do not finish.
func NewWorker(opt asynq.RedisConnOpt, concurrency int, grace time.Duration, log *slog.Logger) *Worker {
	w := &Worker{mux: asynq.NewServeMux(), log: log}
	w.srv = asynq.NewServer(opt, asynq.Config{
		Concurrency: concurrency,
		Queues:      map[string]int{QueueIngest: 5, QueueDelivery: 5, QueueDefault: 1},
		// asynq polls: after finding every queue empty it sleeps
		// 0.5–1.5× TaskCheckInterval (default 1s) before looking again, and
		// it moves due scheduled and retry tasks every DelayedTaskCheckInterval
		// (default 5s). Those defaults put up to 1.5s on a webhook-to-send
		// path that is otherwise milliseconds, and 5s on every retry
		// (herald bench e2e and drain); polling an idle Redis 20 times a
		// second costs next to nothing.
		TaskCheckInterval:        TaskCheckInterval,
		DelayedTaskCheckInterval: DelayedTaskCheckInterval,
		ShutdownTimeout:          grace,
		Logger:                   asynqLogger{log},
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			log.Error("task failed", "task_type", t.Type(), "task_id", id, "error", err)
		}),
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			return time.Duration(n+1) * 5 * time.Second
		},
	})
	w.mux.Use(func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			start := time.Now()
			err := next.ProcessTask(ctx, t)
			id, _ := asynq.GetTaskID(ctx)
			log.Debug("task done", "task_type", t.Type(), "task_id", id, "duration_ms", time.Since(start).Milliseconds(), "ok", err == nil)
			return err
		})
	})
	return w
}

// Handle registers a handler for a task type.
func (w *Worker) Handle(typ string, h func(ctx context.Context, t *asynq.Task) error) {
	w.mux.HandleFunc(typ, h)
}

// AddSweep registers a periodic sweep.
func (w *Worker) AddSweep(s Sweep) { w.sweeps = append(w.sweeps, s) }

// Run starts the asynq server and the sweeps and blocks until ctx is done,
// then shuts down gracefully: stop pulling, finish in-flight, requeue rest.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.srv.Start(w.mux); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, s := range w.sweeps {
		wg.Add(1)
		go func(s Sweep) {
			defer wg.Done()
			w.loop(ctx, s)
		}(s)
	}
	<-ctx.Done()
	w.srv.Shutdown()
	wg.Wait()
	return nil
}

func (w *Worker) loop(ctx context.Context, s Sweep) {
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		n, err := s.Run(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			w.log.Error("sweep failed", "sweep", s.Name, "error", err)
		case n > 0:
			w.log.Info("sweep acted", "sweep", s.Name, "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// asynqLogger routes asynq's logs through slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug("asynq", "msg", args) }
func (a asynqLogger) Info(args ...any)  { a.l.Info("asynq", "msg", args) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn("asynq", "msg", args) }
func (a asynqLogger) Error(args ...any) { a.l.Error("asynq", "msg", args) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error("asynq fatal", "msg", args) }
