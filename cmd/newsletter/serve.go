package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"newsletter/app"
	"newsletter/app/config"
	"newsletter/app/store"
	"newsletter/jobs"
	"newsletter/web"
)

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func ensureDataDir(cfg *config.Config) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("NEWSLETTER_DATA_DIR: %w", err)
	}
	return nil
}

// warnOpenDataDir logs a warning when the data directory may be read or
// entered by other users of the machine: it holds the database, the
// signing secret and, without SMTP, every message sent.
func warnOpenDataDir(dir string, log *slog.Logger) {
	st, err := os.Stat(dir)
	if err != nil {
		return
	}
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		log.Warn("the data directory is open to other users of this machine: it holds the database, the signing secret and the mail outbox; run chmod 700 on it",
			"dir", dir, "mode", fmt.Sprintf("%04o", mode))
	}
}

func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.SQLitePath())
	if err != nil {
		return nil, err
	}
	st.SetMaxConns(cfg.DatabaseMaxConns)
	return st, nil
}

// serve runs the web server, the workers, or both (mode "serve").
func serve(ctx context.Context, cfg *config.Config, mode string, stdout, stderr io.Writer) error {
	log := newLogger(cfg, stderr)
	jobs.LogRedisTo(log.With("component", "redis"))
	if mode != "serve" && cfg.RedisURL == "" {
		return &config.Error{Var: "REDIS_URL", Reason: fmt.Sprintf("required for `newsletter %s`: the embedded queue lives inside one process; run `newsletter serve` instead", mode)}
	}
	sys, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer sys.close()
	camp, err := sys.wireCampaigns()
	if err != nil {
		return err
	}
	defer camp.close()

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(runCtx) }()
	}
	run(sys.relay.Run)

	var worker *jobs.Worker
	if mode == "serve" || mode == "worker" {
		worker = jobs.NewWorker(sys.queue, jobs.WorkerOptions{
			Concurrency: cfg.Workers, Log: log, Metrics: sys.metrics, Outbox: sys.store,
		}, append(sys.handlers(), camp.runner.Handlers()...)...)
		if err := worker.Start(); err != nil {
			return fmt.Errorf("start workers: %w", err)
		}
		run(sys.periodic().Run)
		if cfg.IMAPURL != "" {
			run(sys.mailboxPoller().Run)
		}
		run(camp.runner.Run)
	}

	serveErr := make(chan error, 2)
	var metricsSrv *web.MetricsServer
	if cfg.MetricsAddr != "" {
		metricsSrv = web.NewMetricsServer(sys.metrics, cfg.MetricsToken)
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return &config.Error{Var: "METRICS_ADDR", Reason: err.Error()}
		}
		go func() { serveErr <- metricsSrv.App().Listener(ln) }()
		log.Info("metrics served on their own address", "addr", ln.Addr().String(), "token", cfg.MetricsToken != "")
	}

	var srv *web.Server
	if mode == "serve" || mode == "web" {
		if err := bootstrapAdmin(ctx, cfg, sys.admins, stdout); err != nil {
			return err
		}
		srv = web.New(camp.webDeps(sys.webDeps()), sys.webOptions())
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return &config.Error{Var: "NEWSLETTER_ADDR", Reason: err.Error()}
		}
		go func() { serveErr <- srv.App().Listener(ln) }()
		fmt.Fprintf(stdout, "newsletter %s: serving %s (listening on %s)\n", mode, cfg.BaseURL, ln.Addr())
	} else {
		fmt.Fprintf(stdout, "newsletter worker: processing queues %v\n", jobs.QueueWeights)
	}
	log.Info("started", "mode", mode, "database", sys.store.Dialect(), "embedded_queue", sys.queue.Embedded(), "smtp", cfg.SMTPURL != "")

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = err
	}
	log.Info("shutting down")
	shutdownCtx, done := context.WithTimeout(context.Background(), 25*time.Second)
	defer done()
	if srv != nil {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Warn("web shutdown", "err", err)
		}
	}
	if metricsSrv != nil {
		if err := metricsSrv.Shutdown(shutdownCtx); err != nil {
			log.Warn("metrics shutdown", "err", err)
		}
	}
	if worker != nil {
		worker.Shutdown()
	}
	cancel()
	wg.Wait()
	log.Info("stopped")
	if runErr != nil && !errors.Is(runErr, net.ErrClosed) {
		return fmt.Errorf("web server: %w", runErr)
	}
	return nil
}

// bootstrapAdmin creates the first admin: from ADMIN_EMAIL/ADMIN_PASSWORD,
// or in the embedded mode an owner with a generated password printed once.
func bootstrapAdmin(ctx context.Context, cfg *config.Config, admins *app.Admins, stdout io.Writer) error {
	created, err := admins.Bootstrap(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "created admin %s from ADMIN_EMAIL; log in at %s/admin\n", cfg.AdminEmail, cfg.BaseURL)
		return nil
	}
	n, err := admins.Store.Admins().CountAdmins(ctx)
	if err != nil || n > 0 {
		return err
	}
	if !cfg.Embedded() {
		fmt.Fprintln(stdout, "no admin yet: run `newsletter admin create --email you@example.com --role owner`, or set ADMIN_EMAIL and ADMIN_PASSWORD")
		return nil
	}
	a, password, err := admins.Create(ctx, "admin@localhost", app.RoleOwner)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "first start: log in at %s/admin as %s with password %s (shown once; change it after logging in)\n",
		cfg.BaseURL, a.Email, password)
	return nil
}
