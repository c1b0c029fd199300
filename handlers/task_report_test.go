package handlers_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/models/tracking"
)

func TestTaskReport(t *testing.T) {
	h := newSendingHistory(t)
	c := h.c
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	path := "/tasks/" + itoa(h.campaign.ID)
	wantStatus(t, b.get(path), http.StatusOK, `href="`+path+`/report"`)

	funnel := func(key, n string) string { return `data-testid="funnel-` + key + `-count">` + n + `<` }
	p := b.get(path + "/report")
	wantStatus(t, p, http.StatusOK, funnel("requested", "20"), funnel("accepted", "20"), funnel("delivered", "17"), funnel("opened", "8"), funnel("clicked", "3"),
		`data-testid="funnel-bounced">2<`, `data-testid="funnel-complained">1<`, "85.0% of accepted", "47.1% of delivered",
		`data-testid="chart-timeline"`, "Per hour", "https://shop.test/sale",
		// Both bounces say the same but for the address: one reason.
		"550 5.1.1 &lt;address&gt;: Recipient address rejected: User unknown</td><td class=\"num\">2</td><td class=\"num\">100.0%")
	if strings.Contains(p.Body, "shop.test/scanned") {
		t.Error("a link scanner's click in the report")
	}

	for _, bad := range []string{"/tasks/abc/report", "/tasks/0/report", "/tasks/999/report", "/tasks/999/report.csv", "/tasks/-1/report.csv"} {
		wantStatus(t, b.get(bad), http.StatusNotFound)
	}
}

func TestTaskReportCSVDefusesFormulas(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	sender := fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "News")
	task, msgs := fixtures.Campaign(t, c.Store, sender, "=HYPERLINK(\"http://evil.test\")", []string{"a@dest.test", "b@dest.test"}, map[string]fixtures.Outcome{
		"b@dest.test": {Status: models.StatusBounced, Reply: "-1+1 rejected"},
	})
	if err := c.Store.Tracking.RecordEngagement(ctx, []tracking.Engagement{{UID: msgs["a@dest.test"].UID, Kind: tracking.EngagementClick,
		URL: "@SUM(1)", At: c.Clock.Now().Add(time.Minute), UserAgent: person}}); err != nil {
		t.Fatal(err)
	}
	b := c.browser()
	b.login("ann@example.com")
	p := b.get("/tasks/" + itoa(task.ID) + "/report.csv")
	if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") ||
		p.Header.Get("Content-Disposition") != `attachment; filename=task-`+itoa(task.ID)+`-report.csv` {
		t.Fatalf("%d %v", p.Status, p.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range rows {
		got[r[0]] = r
	}
	if strings.Join(rows[0], ",") != "section,item,requested,accepted,delivered,deferred,bounced,opened,clicked,unsubscribed,complained" ||
		strings.Join(got["total"], ",") != `total,'=HYPERLINK("http://evil.test"),2,2,1,0,1,0,1,0,0` ||
		strings.Join(got["link"], ",") != "link,'@SUM(1),,,,,,,1,," ||
		strings.Join(got["bounce"], ",") != "bounce,'-1+1 rejected,,,,,1,,,," ||
		got["hour"][1] != c.Clock.Now().Truncate(time.Hour).Format("2006-01-02 15:04")+" UTC" {
		t.Errorf("report:\n%s", p.Body)
	}
}

func TestTaskReportBeforeTheFirstRun(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	sender := fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "News")
	task, err := c.Store.Tasks.CreateTask(ctx, tasks.TaskInput{Name: "Later", SenderID: sender.ID, TemplateID: fixtures.Template(t, c.Store, "Later").ID,
		GroupID: fixtures.Group(t, c.Store, "Later", 1).ID, Kind: tasks.TaskScheduled, StartAt: c.Clock.Now().Add(time.Hour)}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b := c.browser()
	b.login("ann@example.com")
	wantStatus(t, b.get("/tasks/"+itoa(task.ID)+"/report"), http.StatusOK, `data-testid="funnel-requested-count">0<`, "Nothing sent yet", "Nobody clicked a link yet.", "No message bounced.")
	p := b.get("/tasks/" + itoa(task.ID) + "/report.csv")
	if p.Status != http.StatusOK || strings.Count(p.Body, "\n") != 2 {
		t.Errorf("%d\n%s", p.Status, p.Body)
	}
}
