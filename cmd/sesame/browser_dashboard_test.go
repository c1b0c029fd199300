package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/seed"
)

// count evaluates a JavaScript expression to a number.
func count(t *testing.T, ctx context.Context, js string) int {
	t.Helper()
	var n int
	if err := chromedp.Run(ctx, chromedp.Evaluate(js, &n)); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return n
}

// The dashboard and a task report over thirty days of seeded history: the
// charts are drawn at their size with bars and lines, and the ranges and
// filters change what they show.
func TestBrowserDashboardAndTaskReport(t *testing.T) {
	a := launchApp(t, models.SystemClock{}, false)
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	seeded, err := a.store.Seeder.SeedEvents(context.Background(), seed.SeedOptions{Events: 60_000, Days: 30})
	if err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx, signIn(ctx, a.URL, "boss@example.com", "admin password 1"), chromedp.WaitVisible(`[data-testid="kpi-tiles"]`)); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "dashboard")
	if got := textOf(t, ctx, `[data-testid="dashboard-period"]`); !strings.Contains(got, "(30 days)") {
		t.Errorf("period %q", got)
	}
	for sel, least := range map[string]int{
		`[data-testid="chart-volume"] rect.chart-bar`:       60, // 30 days of delivered and bounced at least
		`[data-testid="chart-engagement"] path.chart-line`:  2,
		`[data-testid="chart-engagement"] circle.chart-dot`: 60,
		`[data-testid="provider-table"] tbody tr`:           len(queue.Providers),
		`[data-testid="links-table"] tbody tr`:              5,
		`[data-testid="dashboard-warmup"] rect.chart-bar`:   10,
		`[data-testid="dashboard-warmup"] figure.chart`:     2,
		`[data-testid="kpi-tiles"] .tile`:                   7,
		`[data-testid="dashboard-filters"] select option`:   2 + len(queue.Providers) + 1 + len(seeded.Tasks),
		`[data-testid="chart-volume"] text.chart-empty`:     0,
		`.alert[data-testid^="reputation-warning"]`:         0,
		`[data-testid="getting-started"]`:                   0,
		`[data-testid="chart-table-volume"] tbody tr`:       30, // today and the 29 days before it, as text
	} {
		n := count(t, ctx, `document.querySelectorAll('`+sel+`').length`)
		if (least == 0 && n != 0) || n < least {
			t.Errorf("%s: %d, want at least %d", sel, n, least)
		}
	}
	if over := count(t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
		t.Errorf("the page is %dpx wider than the window", over)
	}
	// The charts are pictures of real size, not collapsed boxes.
	if w := count(t, ctx, `Math.round(document.querySelector('[data-testid="chart-volume"] svg').getBoundingClientRect().width)`); w < 400 {
		t.Errorf("volume chart %dpx wide", w)
	}

	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid="range-7"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="range-7"][aria-current="true"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="dashboard-period"]`); !strings.Contains(got, "(7 days)") {
		t.Errorf("period after choosing 7 days: %q", got)
	}
	if err := chromedp.Run(ctx,
		chromedp.SetValue(`[data-testid="field-provider"]`, "qq.com", chromedp.ByQuery),
		chromedp.Click(`[data-testid="dashboard-apply"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	// The page before the filter lists qq.com too: wait for the new one.
	waitForJS(t, ctx, `location.search.includes("provider=qq.com") && document.readyState === "complete" && document.querySelector('[data-testid="provider-qq.com"]') !== null`, 10*time.Second)
	if n := count(t, ctx, `document.querySelectorAll('[data-testid="provider-table"] tbody tr').length`); n != 1 {
		t.Errorf("%d provider rows with the qq.com filter", n)
	}

	// A campaign's report, from its task page.
	task := strconv.FormatUint(seeded.Tasks[len(seeded.Tasks)/2], 10)
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/tasks/"+task),
		chromedp.Click(`[data-testid="task-report"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="funnel"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "task-report")
	for sel, least := range map[string]int{
		`[data-testid="chart-timeline"] rect.chart-bar`:  40,
		`[data-testid="chart-timeline"] path.chart-line`: 2,
		`[data-testid="bounce-row"]`:                     2,
		`[data-testid="link-row"]`:                       5,
	} {
		if n := count(t, ctx, `document.querySelectorAll('`+sel+`').length`); n < least {
			t.Errorf("report %s: %d, want at least %d", sel, n, least)
		}
	}
}
