package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/queue"
)

func TestTaskFormPreflightAndActions(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	wantStatus(t, b.get("/tasks/new"), http.StatusOK, "Not ready for a task yet")

	sender := fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "News")
	tpl, err := c.Store.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "City news", Subject: "News for {{city}}", HTML: "<p>Hi {{name}} in {{city}}</p>"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := fixtures.Group(t, c.Store, "Readers", 12)
	form := url.Values{"name": {"March"}, "sender_id": {itoa(sender.ID)}, "template_id": {itoa(tpl.ID)}, "group_id": {itoa(g.ID)},
		"unsubscribe": {"2"}, "ad_location": {"0"}, "kind": {"batch"}}

	bad := cloneValues(form)
	bad.Set("kind", "scheduled")
	bad.Set("start_at", "2020-01-01T09:00")
	wantStatus(t, b.post("/tasks/new", "/tasks/preflight", bad), http.StatusUnprocessableEntity, "The start time is in the past.")
	bad.Set("kind", "recurring")
	bad.Set("start_at", "2026-03-02T09:00")
	bad.Set("cron_expr", "*/5 * * * *")
	wantStatus(t, b.post("/tasks/new", "/tasks/preflight", bad), http.StatusUnprocessableEntity, "a recurring task may run at most once an hour")
	// Every error at once: the schedule's, the start's, the name's and the group's.
	all := cloneValues(bad)
	all.Set("start_at", "2020-01-01T09:00")
	all.Set("name", "")
	all.Set("group_id", "abc")
	wantStatus(t, b.post("/tasks/new", "/tasks/preflight", all), http.StatusUnprocessableEntity, "a recurring task may run at most once an hour",
		"The start time is in the past.", "Enter a name of at most 200 characters.", `data-testid="field-group_id"`)
	// A cron task first runs at the schedule's first match, not at its start.
	weekly := cloneValues(bad)
	weekly.Set("cron_expr", "0 9 * * 5")
	wantStatus(t, b.post("/tasks/new", "/tasks/preflight", weekly), http.StatusOK, "2026-03-06 09:00 UTC")
	// In the zone the form names (the browser's): 09:00 in Jakarta.
	weekly.Set("time_zone", "Asia/Jakarta")
	wantStatus(t, b.post("/tasks/new", "/tasks/preflight", weekly), http.StatusOK, "2026-03-06 02:00 UTC", `name="time_zone" value="Asia/Jakarta"`)
	// A cron schedule needs no start; the page reads it and lists the
	// next three runs.
	weekly.Del("start_at")
	wantStatus(t, b.post("/tasks/new", "/tasks/preflight", weekly), http.StatusOK, "every Friday at 09:00, Asia/Jakarta",
		"2026-03-06 02:00 UTC", "2026-03-13 02:00 UTC", "2026-03-20 02:00 UTC")
	weekly.Set("time_zone", "Mars/Olympus")
	wantStatus(t, b.post("/tasks/new", "/tasks/preflight", weekly), http.StatusUnprocessableEntity, "Choose a time zone from the list")
	bad = cloneValues(form)
	bad.Set("group_id", "abc")
	wantStatus(t, b.post("/tasks/new", "/tasks/preflight", bad), http.StatusUnprocessableEntity)

	// The pre-flight page: numbers and the variable the group lacks.
	blocked, _, err := c.Store.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: "dest.test", Reason: audience.ReasonManual})
	if err != nil {
		t.Fatal(err)
	}
	pf := b.post("/tasks/new", "/tasks/preflight", form)
	wantStatus(t, pf, http.StatusOK, `data-testid="preflight-recipients">12<`, `data-testid="preflight-suppressed">12 on`, "Every recipient is on the suppression list",
		`data-testid="preflight-will-send">0<`, "{{city}}", `name="default.city"`)
	if strings.Contains(pf.Body, `name="default.name"`) {
		t.Error("asked for a default of a variable the group has")
	}
	wantStatus(t, b.post("/tasks/new", "/tasks", form), http.StatusUnprocessableEntity, "Give a default for {{city}}, or allow empty values.")
	withDefault := cloneValues(form)
	withDefault.Set("default.city", "Lisbon")
	p := b.post("/tasks/new", "/tasks", withDefault)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", p.Status, mainContent(p.Body))
	}
	taskPath := p.Header.Get("Location")
	wantStatus(t, b.get(taskPath), http.StatusOK, "Task created", `data-state="pending"`, `hx-get="`+taskPath+`/live"`)
	// The live update carries the action buttons, which name what they do.
	wantStatus(t, b.get(taskPath+"/live"), http.StatusOK, `id="task-live"`, `id="task-actions"`, `hx-swap-oob="true"`,
		`data-confirm="Cancel task March?"`, `data-state="pending">Starting<`)
	wantStatus(t, b.get("/tasks"), http.StatusOK, "March")
	wantStatus(t, b.get("/tasks?q=MAR&status=waiting"), http.StatusOK, "March")
	if body := b.get("/tasks?status=completed").Body; strings.Contains(body, "March") || !strings.Contains(body, "No task matches") {
		t.Error("the status filter kept a task of another status")
	}

	// Actions and their state rules.
	wantStatus(t, b.post(taskPath, taskPath+"/end", nil), http.StatusSeeOther)
	wantStatus(t, b.get(taskPath), http.StatusOK, "Not possible now: only a recurring task that has not ended can be ended.")
	wantStatus(t, b.post(taskPath, taskPath+"/pause", nil), http.StatusSeeOther)
	wantStatus(t, b.get(taskPath), http.StatusOK, "Task paused.", `data-state="paused"`, `data-testid="task-resume"`)
	wantStatus(t, b.post(taskPath, taskPath+"/resume", nil), http.StatusSeeOther)
	wantStatus(t, b.post(taskPath, taskPath+"/cancel", nil), http.StatusSeeOther)
	wantStatus(t, b.get(taskPath), http.StatusOK, "Task cancelled", `data-state="cancelled"`)
	if strings.Contains(b.get(taskPath).Body, `data-testid="task-pause"`) {
		t.Error("a cancelled task offers pause")
	}
	if live := b.get(taskPath + "/live").Body; !strings.Contains(live, `id="task-actions"`) || strings.Contains(live, `data-testid="task-cancel"`) {
		t.Errorf("the live update of a cancelled task still offers to cancel:\n%s", live)
	}
	task, _ := c.Store.Tasks.GetTask(ctx, mustID(t, taskPath))
	if task.VariableDefaults != `{"city":"Lisbon"}` {
		t.Errorf("defaults stored as %s", task.VariableDefaults)
	}

	// Over the warm-up quota: the pre-flight check says which days the mail goes.
	if _, err := c.Store.Queue.CreateWarmupPlan(ctx, queue.NewWarmupPlan{Name: "tiny", Quotas: "5, 10"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Store.Queue.SetWarmup(ctx, queue.WarmupDomain, sender.DomainID, queue.WarmupChange{Plan: "tiny", Day: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Store.Suppressions.RemoveSuppression(ctx, blocked.ID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, b.post("/tasks/new", "/tasks/preflight", form), http.StatusOK,
		`data-testid="preflight-forecast">12 to send: 5 today, 7 tomorrow.`)

	// Duplicate copies the form.
	wantStatus(t, b.get("/tasks/new?from="+itoa(task.ID)), http.StatusOK, `value="March (copy)"`)
	wantStatus(t, b.post(taskPath, taskPath+"/runs/999/resend", nil), http.StatusNotFound)
	wantStatus(t, b.get("/tasks/999"), http.StatusNotFound)
}

func mustID(t *testing.T, path string) uint64 {
	t.Helper()
	id, err := strconv.ParseUint(path[strings.LastIndexByte(path, '/')+1:], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// countsIn reads the nine counts of a task page's part: the tiles
// (data-testid="count-…") or a run's row (data-count="…").
func countsIn(t *testing.T, html, attr string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, key := range []string{"requested", "queued", "waiting-for-quota", "delivered", "deferred", "bounced", "suppressed", "failed", "cancelled"} {
		m := regexp.MustCompile(attr + `="` + prefixOf(attr) + key + `">([^<]*)<`).FindStringSubmatch(html)
		if m == nil {
			t.Fatalf("no %s count %s in\n%s", attr, key, html)
		}
		out[key] = m[1]
	}
	return out
}

func prefixOf(attr string) string {
	if attr == "data-testid" {
		return "count-"
	}
	return ""
}

// A task held by warm-up shows the same numbers in its tiles and its runs
// table, the day its last message goes as IPs & warm-up does, and once
// cancelled a bar that is not full.
func TestTaskPageCountsAgree(t *testing.T) {
	c := newConsole(t)
	c.user("boss@example.com", accounts.RoleAdmin)
	b := c.browser()
	b.login("boss@example.com")
	sender := fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "News")
	// 6,000 on day 1 of the standard plan: 500 today (Sunday), then 1,000,
	// 2,000 and the last 2,500 on Wednesday.
	held := fixtures.HoldByWarmup(t, c.Store, sender, 6_000)
	path := "/tasks/" + itoa(held.Task.ID)

	page := b.get(path)
	wantStatus(t, page, http.StatusOK, `data-testid="task-last-message">The last message is expected on Wednesday.<`,
		"Held back by warm-up quotas. 5,500 to send: 1,000 tomorrow, 2,000 on Tuesday, 2,500 on Wednesday.",
		`data-testid="task-progress-label">497 / 6,000 done</span>`)
	tiles := countsIn(t, between(page.Body, `data-testid="task-counts"`, "</section>"), "data-testid")
	want := map[string]string{"requested": "6,000", "queued": "0", "waiting-for-quota": "5,500", "delivered": "494", "deferred": "3",
		"bounced": "3", "suppressed": "0", "failed": "0", "cancelled": "0"}
	if fmt.Sprint(tiles) != fmt.Sprint(want) {
		t.Errorf("tiles %v\nwant  %v", tiles, want)
	}
	if row := countsIn(t, between(page.Body, `data-testid="run-row"`, "</tr>"), "data-count"); fmt.Sprint(row) != fmt.Sprint(tiles) {
		t.Errorf("runs table %v\ntiles      %v", row, tiles)
	}
	wantStatus(t, b.get("/tasks"), http.StatusOK, `data-testid="task-progress-label">497 / 6,000 done</span>`)
	ips := b.get("/admin/ips")
	row := between(ips.Body, `data-testid="warmup-row-domain-example.test"`, "</tr>")
	if !strings.Contains(row, `data-testid="warmup-waiting">5,500<`) || !strings.Contains(row, "<td>Wednesday</td>") {
		t.Errorf("IPs & warm-up: %s", row)
	}
	wantStatus(t, ips, http.StatusOK, "5,500 to send: 1,000 tomorrow, 2,000 on Tuesday, 2,500 on Wednesday.")

	// Cancelled: what was not sent is cancelled, not done.
	wantStatus(t, b.post(path, path+"/cancel", nil), http.StatusSeeOther)
	page = b.get(path)
	wantStatus(t, page, http.StatusOK, `<progress max="6000" value="497" data-testid="task-progress">`,
		`data-testid="task-progress-label">497 / 6,000 done · 5,503 cancelled</span>`, `data-testid="count-cancelled">5,503<`)
	if strings.Contains(page.Body, `data-testid="task-forecast"`) {
		t.Error("a cancelled task still forecasts its last message")
	}
}
