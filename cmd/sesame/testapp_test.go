package main

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
)

// testApp is a whole Sesame serving on a loopback port, as `sesame serve`
// would, over a fresh database.
type testApp struct {
	*app
	URL       string
	SMTPAddr  string // STARTTLS
	SMTPSAddr string // implicit TLS
	DNS       *dnstest.Server
}

func startApp(t testing.TB) *testApp {
	t.Helper()
	return launchApp(t, models.SystemClock{}, true)
}

// launchApp starts Sesame on clock; without background loops the test
// drives delivery itself. configure, if any, changes the configuration.
func launchApp(t testing.TB, clock models.Clock, background bool, configure ...func(*Config)) *testApp {
	t.Helper()
	ln := loopback(t)
	base := "http://" + ln.Addr().String()
	dbcfg := testdb.Config(t)
	dns := dnstest.Start(t)
	pub, _ := url.Parse(base)
	cfg := Config{
		DataDir:         dbcfg.DataDir,
		DatabaseURL:     dbcfg.DatabaseURL,
		HTTPAddr:        ln.Addr().String(),
		PublicURL:       pub,
		AdminEmail:      "admin@localhost",
		LogFormat:       "text",
		DNSResolver:     dns.Addr,
		BounceHost:      testdb.BounceHost,
		ShutdownTimeout: 30 * time.Second,

		passwordCost: dbcfg.PasswordCost,
	}
	for _, c := range configure {
		c(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, slog.New(slog.DiscardHandler), clock)
	if err != nil {
		t.Fatal(err)
	}
	ls := listeners{HTTP: ln, SMTP: loopback(t), SMTPS: loopback(t)}
	done := make(chan error, 1)
	if background {
		go func() { done <- a.run(ctx, ls) }()
	} else {
		ls.SMTP.Close()
		ls.SMTPS.Close()
		go func() {
			_, err := a.serveHTTP(ctx, ln)
			done <- err
		}()
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		a.close()
	})
	return &testApp{app: a, URL: base, SMTPAddr: ls.SMTP.Addr().String(), SMTPSAddr: ls.SMTPS.Addr().String(), DNS: dns}
}

func loopback(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func (a *testApp) user(t testing.TB, email, password string, role accounts.Role) {
	t.Helper()
	if _, err := a.store.Accounts.CreateUser(context.Background(), accounts.NewUser{Email: email, Password: password, Role: role}); err != nil {
		t.Fatal(err)
	}
}
