package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sesame-email/sesame/handlers"
	"github.com/sesame-email/sesame/handlers/amazon"
	"github.com/sesame-email/sesame/handlers/api"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/gcpolicy"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/smtpd"
	"github.com/sesame-email/sesame/mailer/webhook"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/scheduler"
	"github.com/sesame-email/sesame/static"
	"github.com/sesame-email/sesame/web"
)

// app is one running Sesame: the store and everything built on it.
type app struct {
	cfg     Config
	log     *slog.Logger
	clock   models.Clock
	store   *store.Store
	dns     *mailer.Resolver
	links   *outgoing.Links
	engine  *mailer.Engine
	tasks   *scheduler.TaskRunner
	tracker *mailer.Tracker
	hooks   *webhook.Poster
	smtp    *smtpd.Server
	web     *web.Server
	workers sync.WaitGroup
	// unfinished: a background loop outlasted the shutdown timeout, so
	// the store may still be in use and is not closed.
	unfinished bool
}

// newApp opens and migrates the database and builds the HTTP server.
func newApp(ctx context.Context, cfg Config, log *slog.Logger, clock models.Clock) (*app, error) {
	if err := cfg.prepareDataDir(log); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.storeConfig(log, clock))
	if err != nil {
		return nil, err
	}
	if _, err := st.DB.Migrate(ctx); err != nil {
		st.DB.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := web.New(web.Config{
		PublicURL:      cfg.PublicURL,
		HashKey:        cfg.deriveKey("session cookies", 64),
		Version:        version,
		Logger:         log,
		Clock:          clock,
		Metrics:        reg,
		Static:         static.Files,
		TrustedProxies: cfg.TrustedProxies,
		MetricsToken:   cfg.MetricsToken,
		Sandbox:        cfg.sandbox(),
	}, st.Accounts)
	resolver, err := mailer.NewResolver(cfg.DNSResolver, 5*time.Second)
	if err != nil {
		st.DB.Close()
		return nil, &configError{"SESAME_DNS_RESOLVER", err.Error()}
	}
	transport, err := mailer.ParseDelivery(cfg.Delivery, resolver)
	if err != nil {
		st.DB.Close()
		return nil, &configError{"SESAME_DELIVERY", err.Error()}
	}
	links := outgoing.NewLinks(cfg.PublicURL.String(), cfg.deriveKey("links", 32))
	builder := outgoing.NewBuilder(links)
	owner := leaseOwner()
	engine := mailer.NewEngine(compose.Engine(st), transport, builder, clock, log, mailer.EngineConfig{
		Owner:           owner,
		Lease:           cfg.QueueLease,
		BounceHost:      cfg.BounceHost,
		Retry:           mailer.RetryPolicy{Schedule: mailer.DefaultRetryPolicy.Schedule, MaxAge: cfg.MaxRetryAge},
		ShutdownTimeout: cfg.ShutdownTimeout,
		Signer:          cfg.DKIMSigner,
	})
	signer, _ := engine.Signer()
	signerInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sesame_dkim_signer", Help: "What makes RSA DKIM signatures: openssl (the system's libcrypto 3) or go (crypto/rsa).",
	}, []string{"impl"})
	signerInfo.WithLabelValues(string(signer)).Set(1)
	reg.MustRegister(signerInfo)
	tracker := mailer.NewTracker(st.Tracking, log, time.Second)
	creator := scheduler.Tasks{Store: st.Tasks}
	hooks := cfg.webhookPoster(st, clock, log, owner, engine.Busy)
	handlers.Mount(srv, compose.Console(st, handlers.Deps{WebhookTester: hooks, RetentionPeriod: cfg.Retention, Tasks: creator, DNS: resolver, Builder: builder, Delivery: cfg.Delivery,
		Links: links, Tracker: tracker, Warn: cfg.Warn,
		Connection: handlers.Connection{PublicURL: cfg.PublicURL, SMTPHost: cfg.BounceHost, SMTPAddr: cfg.SMTPAddr, SMTPSAddr: cfg.SMTPSAddr}}))
	api.New(compose.API(st, api.Config{Tasks: creator, DNS: resolver, Clock: clock, Logger: log})).Mount(srv)
	amazon.New(compose.Amazon(st, amazon.Config{Clock: clock, Logger: log})).Mount(srv)
	cert, err := smtpd.Certificate(cfg.TLSCert, cfg.TLSKey, cfg.DataDir, cfg.BounceHost, clock.Now())
	if err != nil {
		st.DB.Close()
		return nil, &configError{"SESAME_TLS_CERT", "cannot load the SMTP server's certificate: " + err.Error()}
	}
	smtpServer := smtpd.New(compose.SMTP(st), log, smtpd.Config{
		Hostname:     cfg.BounceHost,
		TLS:          &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		InsecureAuth: cfg.SMTPInsecure,
	})
	tasks := scheduler.NewTaskRunner(st.Tasks, clock, log, owner, cfg.TaskGrace)
	if cfg.Guard != (scheduler.Guard{}) {
		tasks.Guard = cfg.Guard
	}
	return &app{cfg: cfg, log: log, clock: clock, store: st, dns: resolver, links: links, engine: engine, smtp: smtpServer, tasks: tasks, tracker: tracker,
		hooks: hooks, web: srv}, nil
}

// leaseOwner names this process in the leases it takes on messages.
func leaseOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), strings.ToLower(rand.Text()[:6]))
}

// listeners are where `sesame serve` takes connections.
type listeners struct {
	HTTP  net.Listener
	SMTP  net.Listener // STARTTLS
	SMTPS net.Listener // implicit TLS; nil: none
}

// startBackground starts the loops that run beside the web server, and the
// SMTP server on its listeners; they stop when ctx ends, and close waits
// for them.
func (a *app) startBackground(ctx context.Context, ls listeners) {
	checker := scheduler.NewDomainChecker(a.store.Domains, a.dns, a.clock, a.log)
	a.workers.Go(func() { _ = checker.Run(ctx) })
	importer := audience.NewImporter(a.store.Audience, a.log)
	a.workers.Go(func() {
		if err := importer.Run(ctx); err != nil {
			a.log.Error("importer stopped", "err", err)
		}
	})
	a.workers.Go(func() {
		if err := a.engine.Run(ctx); err != nil {
			a.log.Error("delivery stopped", "err", err)
		}
	})
	a.workers.Go(func() { _ = a.tasks.Run(ctx, 2*time.Second) })
	a.workers.Go(func() { _ = a.tracker.Run(ctx) })
	a.workers.Go(func() { _ = a.hooks.Run(ctx) })
	if a.cfg.Retention > 0 { // tests that build a Config by hand keep everything
		r := a.cfg.retention(a.store, a.clock, a.log)
		a.workers.Go(func() { _ = r.Run(ctx) })
	}
	a.workers.Go(func() {
		if err := a.smtp.Serve(ctx, ls.SMTP, ls.SMTPS); err != nil {
			a.log.Error("SMTP server stopped", "err", err)
		}
	})
}

// ensureAdmin creates the first admin on an empty database and prints its
// login once.
func (a *app) ensureAdmin(ctx context.Context, out io.Writer) error {
	u, password, err := a.store.Accounts.EnsureAdmin(ctx, a.cfg.AdminEmail, a.cfg.AdminPassword)
	if err != nil || u == nil {
		return err
	}
	shown := password
	if a.cfg.AdminPassword != "" {
		shown = "(the value of SESAME_ADMIN_PASSWORD)"
	}
	fmt.Fprintf(out, "\n"+
		"  ┌──────────────────────────────────────────────────────────────┐\n"+
		"    Sesame created the first admin account. Shown only this once:\n\n"+
		"      email:     %s\n"+
		"      password:  %s\n\n"+
		"    Sign in at %s/login\n"+
		"  └──────────────────────────────────────────────────────────────┘\n\n",
		u.Email, shown, a.cfg.PublicURL)
	return nil
}

// run serves HTTP and SMTP on ls and runs the background loops until ctx
// ends (or the HTTP server fails), then waits for all of them to stop, for
// ShutdownTimeout at most: a database that does not answer must not keep
// the process from exiting. What is cut short is safe to cut: messages
// being delivered stay leased and are delivered again after the lease.
func (a *app) run(ctx context.Context, ls listeners) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	a.startBackground(ctx, ls)
	deadline, err := a.serveHTTP(ctx, ls.HTTP)
	stop()
	done := make(chan struct{})
	go func() {
		a.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		a.unfinished = true
		a.log.Error("shutdown timed out: exiting with work unfinished; messages being delivered are delivered again after their lease",
			"timeout", a.cfg.ShutdownTimeout)
	}
	return err
}

// serveHTTP serves on ln until ctx ends, then drains open requests until
// the shutdown deadline, which it returns.
func (a *app) serveHTTP(ctx context.Context, ln net.Listener) (time.Time, error) {
	hs := &http.Server{
		Handler:           a.web,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return time.Now().Add(a.cfg.ShutdownTimeout), err
	case <-ctx.Done():
	}
	deadline := time.Now().Add(a.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return deadline, err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return deadline, err
	}
	return deadline, nil
}

// close closes the database once nothing uses it (run has waited for the
// background loops).
func (a *app) close() {
	if !a.unfinished {
		a.store.DB.Close()
	}
}

func serve(ctx context.Context, cfg Config, stdout io.Writer) error {
	gcpolicy.Apply() // for the process's life
	log := newLogger(cfg.LogFormat, os.Stderr)
	a, err := newApp(ctx, cfg, log, models.SystemClock{})
	if err != nil {
		return err
	}
	defer a.close()
	log.Info("starting sesame", "version", version, "config", a.cfg)
	if signer, why := a.engine.Signer(); why != nil {
		log.Info("DKIM RSA signatures by Go's crypto/rsa: OpenSSL's libcrypto 3 is not available", "dkim_signer", signer, "reason", why.Error())
	} else {
		log.Info("DKIM RSA signatures", "dkim_signer", signer)
	}
	ls, err := listen(cfg)
	if err != nil {
		return err
	}
	log.Info("console listening", "addr", ls.HTTP.Addr().String(), "url", cfg.PublicURL.String())
	log.Info("SMTP listening: submission with STARTTLS and AUTH, bounces and complaints", "addr", ls.SMTP.Addr().String(), "bounce_host", cfg.BounceHost)
	if ls.SMTPS != nil {
		log.Info("SMTP listening with implicit TLS", "addr", ls.SMTPS.Addr().String())
	}
	if err := a.ensureAdmin(ctx, stdout); err != nil {
		ls.close()
		return err
	}
	err = a.run(ctx, ls)
	log.Info("stopped")
	return err
}

// listen opens every address serve listens on, or none: an address it
// cannot listen on is named.
func listen(cfg Config) (listeners, error) {
	var ls listeners
	var err error
	if ls.HTTP, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return ls, &configError{"SESAME_HTTP_ADDR", "cannot listen: " + err.Error()}
	}
	if ls.SMTP, err = net.Listen("tcp", cfg.SMTPAddr); err != nil {
		ls.close()
		return ls, &configError{"SESAME_SMTP_ADDR", "cannot listen: " + err.Error()}
	}
	if cfg.SMTPSAddr != "" {
		if ls.SMTPS, err = net.Listen("tcp", cfg.SMTPSAddr); err != nil {
			ls.close()
			return ls, &configError{"SESAME_SMTPS_ADDR", "cannot listen: " + err.Error()}
		}
	}
	return ls, nil
}

func (ls listeners) close() {
	for _, l := range []net.Listener{ls.HTTP, ls.SMTP, ls.SMTPS} {
		if l != nil {
			l.Close()
		}
	}
}
