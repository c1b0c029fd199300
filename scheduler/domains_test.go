package scheduler_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/scheduler"
)

func TestDomainRecheckSchedule(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	st := testdb.Open(t, clock)
	dns := dnstest.Start(t)
	res, _ := mailer.NewResolver(dns.Addr, time.Second)
	checker := scheduler.NewDomainChecker(st.Domains, res, clock, slog.New(slog.DiscardHandler))

	d, err := st.Domains.AddDomain(ctx, "example.test", 1024)
	if err != nil {
		t.Fatal(err)
	}
	runOnce := func(want int) {
		t.Helper()
		n, err := checker.RunOnce(ctx)
		if err != nil || n != want {
			t.Fatalf("RunOnce checked %d (%v), want %d", n, err, want)
		}
	}
	runOnce(1) // new domains are checked at once
	runOnce(0)
	clock.Advance(9 * time.Minute)
	runOnce(0)
	clock.Advance(time.Minute)
	runOnce(1) // pending: every 10 minutes

	// Publish the records: the next check verifies; then daily.
	recs, _ := st.Domains.DomainRecords(ctx, d)
	dns.Publish(t, recs)
	dns.Set(t, testdb.BounceHost+". 300 IN A 127.0.0.1")
	clock.Advance(10 * time.Minute)
	runOnce(1)
	if got, _ := st.Domains.GetDomain(ctx, d.ID); !got.Verified() {
		t.Fatal("not verified by the background check")
	}
	clock.Advance(23 * time.Hour)
	runOnce(0)
	clock.Advance(time.Hour)
	runOnce(1)

	// Drift is noticed by the daily check, then looked at every 10 minutes.
	dns.Remove("_sesame.example.test")
	clock.Advance(24 * time.Hour)
	runOnce(1)
	if got, _ := st.Domains.GetDomain(ctx, d.ID); !got.Drift || !got.Verified() {
		t.Fatalf("drift %v verified %v", got.Drift, got.Verified())
	}
	clock.Advance(10 * time.Minute)
	runOnce(1)
}

func TestDomainCheckerStopsWithItsContext(t *testing.T) {
	clock := clocktest.New(time.Now())
	st := testdb.Open(t, clock)
	dns := dnstest.Start(t)
	res, _ := mailer.NewResolver(dns.Addr, time.Second)
	checker := scheduler.NewDomainChecker(st.Domains, res, clock, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- checker.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}
