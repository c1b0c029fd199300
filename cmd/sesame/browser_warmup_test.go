package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// warmupHistory sends two weeks of bulk mail from example.test, on a small
// custom plan through a dedicated IP, with more queued each day than the
// plan allows and hard bounces on two days, ending today.
func warmupHistory(t *testing.T) *testApp {
	t.Helper()
	ctx := context.Background()
	const days = 14
	midnight := time.Now().UTC().Truncate(24 * time.Hour)
	clock := clocktest.New(midnight.AddDate(0, 0, 1-days).Add(9 * time.Hour))
	a := launchApp(t, clock, false)
	st := a.store
	sender := fixtures.Sender(t, st, a.DNS, "news@example.test", "Example News")
	if _, err := st.Queue.CreateWarmupPlan(ctx, queue.NewWarmupPlan{Name: "gentle", Quotas: "4, 6, 9, 12, 16, 20, 24, 30, 36, 42"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Queue.SetWarmup(ctx, queue.WarmupDomain, sender.DomainID, queue.WarmupChange{Plan: "gentle"}); err != nil {
		t.Fatal(err)
	}
	ip, err := st.IPs.AddSendingIP(ctx, identity.NewSendingIP{Address: "127.0.0.2", HeloHost: "mta2.sesame.test", Pool: identity.PoolDedicated})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.IPs.UpdateSendingIP(ctx, ip.ID, identity.SendingIPChange{HeloHost: "mta2.sesame.test", Pool: identity.PoolDedicated, DomainIDs: []uint64{sender.DomainID}}); err != nil {
		t.Fatal(err)
	}

	sink := smtpsink.Start(t)
	engine := mailer.NewEngine(compose.Engine(st), &mailer.Relay{Addr: sink.Addr, TLS: "none"}, outgoing.NewBuilder(outgoing.NewLinks(a.URL, []byte("links"))),
		clock, slog.New(slog.DiscardHandler), mailer.EngineConfig{Owner: "warmup-test", BounceHost: testdb.BounceHost, ConnIdle: 100 * time.Millisecond, RecordInterval: 10 * time.Millisecond})
	n := 0
	for day := range days {
		req := queue.EnqueueRequest{Sender: sender, Content: queue.MessageContent{Subject: "Day {{day}}", Text: "Hello"}}
		queued := 12 + 3*day
		if day == days-1 {
			queued = 180 // a large send today: most of it waits
		}
		for range queued {
			n++
			req.To = append(req.To, queue.Addressee{Email: fmt.Sprintf("r%d@dest.test", n), Variables: map[string]string{"day": fmt.Sprint(day)}})
		}
		if _, err := st.Queue.Enqueue(ctx, req); err != nil {
			t.Fatal(err)
		}
		if day == 4 || day == days-2 {
			sink.When("@dest.test", smtpsink.Reply550, 3) // over 5% of the day's quota
		}
		if err := engine.RunUntilIdle(ctx); err != nil {
			t.Fatal(err)
		}
		if day < days-1 {
			clock.Advance(24 * time.Hour)
		}
	}
	return a
}

func TestBrowserWarmupPage(t *testing.T) {
	a := warmupHistory(t)
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx,
		signIn(ctx, a.URL, "boss@example.com", "admin password 1"),
		chromedp.Navigate(a.URL+"/admin/ips"),
		chromedp.WaitVisible(`[data-testid="warmup-table"]`),
		chromedp.Click(`[data-testid="warmup-card-domain-example.test"] details.chart-data summary`),
		chromedp.WaitVisible(`[data-testid^="chart-table-chart-domain-"]`),
		chromedp.Evaluate(`window.scrollTo(0, 0)`, nil), // the sticky top bar stays on top of the picture
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "warmup")
	browsertest.ScreenshotPhone(t, ctx, "warmup")
	if got := textOf(t, ctx, `[data-testid="retention"]`); !strings.Contains(got, "The oldest day kept is") {
		t.Errorf("message history: %q", got)
	}

	var rows []string
	var bars, quotaLines, tableRows int
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid^="warmup-row-"]')].map(r => r.dataset.testid)`, &rows),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="warmup-card-domain-example.test"] rect.chart-bar').length`, &bars),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="warmup-card-domain-example.test"] path.chart-line').length`, &quotaLines),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="warmup-card-domain-example.test"] details.chart-data tbody tr').length`, &tableRows),
	); err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows, ",") != "warmup-row-domain-example.test,warmup-row-ip-Default route,warmup-row-ip-127.0.0.2" {
		t.Errorf("warm-up rows: %v", rows)
	}
	if bars != 14 || quotaLines != 1 || tableRows != queue.WarmupHistoryDays {
		t.Errorf("chart of example.test: %d bars, %d quota lines, %d table rows", bars, quotaLines, tableRows)
	}
	forecast := textOf(t, ctx, `[data-testid="warmup-card-domain-example.test"] [data-testid="warmup-forecast"]`)
	if !strings.Contains(forecast, " to send: ") || !strings.Contains(forecast, "tomorrow") {
		t.Errorf("forecast: %q", forecast)
	}
	if hold := textOf(t, ctx, `[data-testid="warmup-card-domain-example.test"] [data-testid="warmup-hold"]`); !strings.HasPrefix(hold, "Holding day ") {
		t.Errorf("hold: %q", hold)
	}

	// An admin moves the domain to the standard plan, day 3.
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid="warmup-row-domain-example.test"] [data-testid="warmup-change"]`),
		chromedp.WaitVisible(`[data-testid="warmup-form"]`),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "warmup-edit")
	if err := chromedp.Run(ctx,
		chromedp.SetValue(`[data-testid="field-plan"]`, "standard"),
		chromedp.SendKeys(`[data-testid="field-day"]`, "3"),
		chromedp.Click(`[data-testid="warmup-save"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="warmup-row-domain-example.test"]`); !strings.Contains(got, "Standard") || !strings.Contains(got, "3 of 20") || !strings.Contains(got, "2,000") {
		t.Errorf("row after the change: %q", got)
	}
}
