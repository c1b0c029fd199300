package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/queue"
)

// Each kind of task, created in the browser, runs to completion on the
// sandbox transport while its page shows the progress.
func TestBrowserTasks(t *testing.T) {
	a := startApp(t)
	a.user(t, "ann@example.com", "marketer pass 1", accounts.RoleMarketer)
	sender := fixtures.Sender(t, a.store, a.DNS, "news@example.test", "Example News")
	fixtures.Template(t, a.store, "Weekly")
	fixtures.Group(t, a.store, "Readers", 120)
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx, signIn(ctx, a.URL, "ann@example.com", "marketer pass 1")); err != nil {
		t.Fatal(err)
	}
	// The tracking checkboxes sit beside their words, not stretched across
	// the column above them.
	var beside bool
	if err := chromedp.Run(ctx, chromedp.Navigate(a.URL+"/tasks/new"),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="task-form"] .checkbox input')].every(i => {
			const box = i.getBoundingClientRect(), words = i.parentElement.getBoundingClientRect();
			return box.width < 40 && box.right < words.right - 20 && box.bottom > words.top && box.top < words.bottom;
		})`, &beside)); err != nil {
		t.Fatal(err)
	}
	if !beside {
		t.Error("the tracking checkboxes are not beside their labels")
	}
	// The form shows the fields of the kind chosen, and only those.
	shown := `[...document.querySelectorAll('[data-testid="task-form"] input[name="start_at"], [data-testid="task-form"] input[name="cron_expr"]')].map(i => i.offsetParent !== null).join(",")`
	for kind, want := range map[string]string{"batch": "false,false", "scheduled": "true,false", "recurring": "true,true"} {
		var got string
		if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="kind-`+kind+`"]`), chromedp.Evaluate(shown, &got)); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s task: start and cron fields shown %s, want %s", kind, got, want)
		}
		browsertest.Screenshot(t, ctx, "task-form-"+kind)
	}
	for _, kind := range []string{"batch", "scheduled", "recurring"} {
		start := time.Now().Add(4 * time.Second).Format("2006-01-02T15:04:05")
		steps := chromedp.Tasks{
			chromedp.Navigate(a.URL + "/tasks/new"),
			chromedp.WaitVisible(`[data-testid="task-form"]`),
			chromedp.SendKeys(`[data-testid="field-name"]`, "News "+kind),
			chromedp.Click(`[data-testid="kind-` + kind + `"]`),
		}
		// Values are set by script in the page as it is now: a node id read
		// beforehand could belong to the last task's page, which refreshes
		// itself and was sometimes still being left.
		if kind != "batch" {
			steps = append(steps, chromedp.Evaluate(`(f => { f.step = "1"; f.value = "`+start+`"; })(document.querySelector('[data-testid="field-start_at"]'))`, nil))
		}
		if kind == "recurring" {
			steps = append(steps, chromedp.Evaluate(`document.querySelector('[data-testid="field-interval_count"]').value = "1";
				document.querySelector('[data-testid="field-interval_unit"]').value = "hours";`, nil))
		}
		// Filling the form is retried from a fresh page, should a step
		// still meet the last page.
		var err error
		for try := 0; try < 3; try++ {
			if err = chromedp.Run(ctx, steps); err == nil {
				break
			}
		}
		if err == nil {
			err = chromedp.Run(ctx,
				chromedp.Click(`[data-testid="task-preflight"]`),
				chromedp.WaitVisible(`[data-testid="preflight"]`),
			)
		}
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if got := textOf(t, ctx, `[data-testid="preflight-will-send"]`); got != "120" {
			t.Errorf("%s: pre-flight says %s will be sent", kind, got)
		}
		if kind == "batch" {
			browsertest.Screenshot(t, ctx, "task-preflight")
		}
		if err := chromedp.Run(ctx,
			chromedp.Click(`[data-testid="task-launch"]`),
			chromedp.WaitVisible(`[data-testid="task-counts"]`),
			// The page refreshes itself until the run has delivered everyone.
			chromedp.WaitVisible(`[data-testid="count-delivered"]`),
			waitText(`[data-testid="count-delivered"]`, "120"),
		); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if kind == "recurring" {
			browsertest.Screenshot(t, ctx, "task-detail")
		}
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(a.URL+"/tasks"), chromedp.WaitVisible(`[data-testid="tasks-table"]`)); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "tasks")

	// On a young warm-up plan the pre-flight check says over which days the
	// mail will go: today's 360 sent already exceed day 1's quota of 50.
	if _, err := a.store.Queue.CreateWarmupPlan(ctx, queue.NewWarmupPlan{Name: "gentle", Quotas: "50, 100"}); err != nil {
		t.Fatal(err)
	}
	if err := a.store.Queue.SetWarmup(ctx, queue.WarmupDomain, sender.DomainID, queue.WarmupChange{Plan: "gentle", Day: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/tasks/new"),
		chromedp.WaitVisible(`[data-testid="task-form"]`),
		chromedp.SendKeys(`[data-testid="field-name"]`, "Warm-up"),
		chromedp.Click(`[data-testid="task-preflight"]`),
		chromedp.WaitVisible(`[data-testid="preflight-forecast"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="preflight-forecast"]`); !strings.HasPrefix(got, "120 waiting: 100 tomorrow, 20 on ") {
		t.Errorf("forecast: %q", got)
	}
	browsertest.Screenshot(t, ctx, "task-preflight-warmup")
}

// waitText polls until the element's text is want (the page updates itself
// through htmx).
func waitText(sel, want string) chromedp.Action {
	return chromedp.Poll(`(() => { const e = document.querySelector('`+sel+`'); return e && e.textContent.trim() === '`+want+`'; })()`, nil,
		chromedp.WithPollingTimeout(60*time.Second), chromedp.WithPollingInterval(200*time.Millisecond))
}
