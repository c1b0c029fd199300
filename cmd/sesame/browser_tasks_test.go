package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/internal/clocktest"
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
		if kind == "recurring" {
			browsertest.Screenshot(t, ctx, "task-preflight-recurring")
			browsertest.ScreenshotPhone(t, ctx, "task-preflight-recurring")
			var runs int
			if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll('[data-testid="preflight-runs"] li').length`, &runs)); err != nil {
				t.Fatal(err)
			}
			if got := textOf(t, ctx, `[data-testid="preflight-schedule"]`); !strings.HasPrefix(got, "every hour from ") || runs != 3 {
				t.Errorf("recurring pre-flight: %q with %d runs listed", got, runs)
			}
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
	if got := textOf(t, ctx, `[data-testid="preflight-forecast"]`); !strings.HasPrefix(got, "120 to send: 100 tomorrow, 20 on ") {
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

// The case: a 600,000-recipient task on day 1 of the standard
// warm-up plan. Its page, the tasks list and IPs & warm-up tell the same
// counts and the same last day, at desktop and phone widths; once
// cancelled its bar is not full.
func TestBrowserTaskHeldByWarmup(t *testing.T) {
	a := launchApp(t, clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)), false)
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	sender := fixtures.Sender(t, a.store, a.DNS, "news@example.test", "Example News")
	n, lastDay := fixtures.HeldCase(a.store)
	held := fixtures.HoldByWarmup(t, a.store, sender, n)
	// Today's 500 went: 494 delivered, 3 bounced (now suppressed), 3 deferred.
	waiting := thousands(n - 500)
	// The console names a day of the coming week by its weekday, a later
	// one by its date.
	lastMessage := time.Date(2026, 3, lastDay, 0, 0, 0, 0, time.UTC).Format("Mon 2 Jan")
	if lastDay-1 < 7 {
		lastMessage = time.Date(2026, 3, lastDay, 0, 0, 0, 0, time.UTC).Format("Monday")
	}
	path := a.URL + "/tasks/" + strconv.FormatUint(held.Task.ID, 10)
	ctx := browsertest.New(t)
	shoot := func(name string) {
		t.Helper()
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.scrollTo(0, 0)`, nil)); err != nil {
			t.Fatal(err)
		}
		browsertest.Screenshot(t, ctx, name)
		browsertest.ScreenshotPhone(t, ctx, name)
	}
	if err := chromedp.Run(ctx, signIn(ctx, a.URL, "boss@example.com", "admin password 1"),
		chromedp.Navigate(path), chromedp.WaitVisible(`[data-testid="task-forecast"]`)); err != nil {
		t.Fatal(err)
	}
	shoot("task-held-by-warmup")
	if got := textOf(t, ctx, `[data-testid="task-last-message"]`); got != "The last message is expected on "+lastMessage+"." {
		t.Errorf("task page: %q", got)
	}
	for _, key := range []string{"queued", "waiting-for-quota", "delivered"} {
		tile, cell := textOf(t, ctx, `[data-testid="count-`+key+`"]`), textOf(t, ctx, `[data-testid="run-row"] [data-count="`+key+`"]`)
		if tile != cell {
			t.Errorf("%s: tile %s, runs table %s", key, tile, cell)
		}
	}
	if got := textOf(t, ctx, `[data-testid="count-waiting-for-quota"]`); got != waiting {
		t.Errorf("waiting for quota: %s", got)
	}

	if err := chromedp.Run(ctx, chromedp.Navigate(a.URL+"/tasks"), chromedp.WaitVisible(`[data-testid="tasks-table"]`)); err != nil {
		t.Fatal(err)
	}
	shoot("tasks-held-by-warmup")

	if err := chromedp.Run(ctx, chromedp.Navigate(a.URL+"/admin/ips"), chromedp.WaitVisible(`[data-testid="warmup-table"]`)); err != nil {
		t.Fatal(err)
	}
	shoot("warmup-held-by-warmup")
	row := `[data-testid="warmup-row-domain-example.test"]`
	if got := textOf(t, ctx, row+` [data-testid="warmup-waiting"]`); got != waiting {
		t.Errorf("IPs & warm-up waiting for quota: %s", got)
	}
	if got := textOf(t, ctx, row); !strings.Contains(got, lastMessage) {
		t.Errorf("IPs & warm-up: %q", got)
	}

	// The same task again would queue behind this one.
	if err := chromedp.Run(ctx, chromedp.Navigate(path+"/../new?from="+strconv.FormatUint(held.Task.ID, 10)),
		chromedp.WaitVisible(`[data-testid="task-form"]`), chromedp.Click(`[data-testid="task-preflight"]`),
		chromedp.WaitVisible(`[data-testid="preflight-forecast"]`)); err != nil {
		t.Fatal(err)
	}
	shoot("task-preflight-behind")
	if got := textOf(t, ctx, `[data-testid="preflight-forecast"]`); !strings.HasPrefix(got, thousands(n-3)+" to send: ") ||
		!strings.Contains(got, "After the domain's "+waiting+" bulk messages not sent yet.") {
		t.Errorf("pre-flight behind the task: %q", got)
	}

	if err := a.store.Tasks.CancelTask(context.Background(), held.Task.ID); err != nil {
		t.Fatal(err)
	}
	var value, max string
	if err := chromedp.Run(ctx, chromedp.Navigate(path), chromedp.WaitVisible(`[data-testid="task-progress"]`),
		chromedp.AttributeValue(`[data-testid="task-progress"]`, "value", &value, nil),
		chromedp.AttributeValue(`[data-testid="task-progress"]`, "max", &max, nil)); err != nil {
		t.Fatal(err)
	}
	shoot("task-cancelled")
	if value != "497" || max != strconv.Itoa(n) || textOf(t, ctx, `[data-testid="task-progress-label"]`) != "497 / "+thousands(n)+" done · "+thousands(n-497)+" cancelled" {
		t.Errorf("cancelled: bar %s of %s, %q", value, max, textOf(t, ctx, `[data-testid="task-progress-label"]`))
	}
}

// thousands writes n as the console does: 600,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
