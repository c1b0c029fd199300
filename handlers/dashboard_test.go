package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/models/tracking"
)

// sendingHistory is two days of mail: on 1 March a campaign of 20 from
// example.test (2 bounces, 1 deferral, 8 opened, 3 clicked, 1 complaint),
// on 2 March 5 transactional messages from other.test, all to gmail.com.
type sendingHistory struct {
	c        *console
	campaign *tasks.Task
	news     *identity.SenderAddress
	other    *identity.SenderAddress
	messages map[string]*queue.Message
}

func newSendingHistory(t *testing.T) *sendingHistory {
	t.Helper()
	c := newConsole(t)
	h := &sendingHistory{c: c}
	h.news = fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "News")
	h.other = fixtures.Sender(t, c.Store, c.DNS, "hello@other.test", "Other")
	var rcpts []string
	for i := range 10 {
		rcpts = append(rcpts, "g"+strconv.Itoa(i)+"@gmail.com")
	}
	for i := range 6 {
		rcpts = append(rcpts, "o"+strconv.Itoa(i)+"@hotmail.com")
	}
	for i := range 4 {
		rcpts = append(rcpts, "q"+strconv.Itoa(i)+"@qq.com")
	}
	h.campaign, h.messages = fixtures.Campaign(t, c.Store, h.news, "Spring sale", rcpts, map[string]fixtures.Outcome{
		"o0@hotmail.com": {Status: models.StatusBounced, Reply: "550 5.1.1 <o0@hotmail.com>: Recipient address rejected: User unknown"},
		"o1@hotmail.com": {Status: models.StatusBounced, Reply: "550 5.1.1 <o1@hotmail.com>: Recipient address rejected: User unknown"},
		"q0@qq.com":      {Status: models.StatusDeferred, Reply: "451 4.7.1 Try again later"},
	})
	at := c.Clock.Now().Add(time.Minute)
	var events []tracking.Engagement
	for i := range 8 {
		events = append(events, tracking.Engagement{UID: h.messages["g"+strconv.Itoa(i)+"@gmail.com"].UID, Kind: tracking.EngagementOpen, At: at, UserAgent: person})
	}
	for i, link := range []string{"https://shop.test/sale", "https://shop.test/sale", "https://shop.test/new"} {
		events = append(events, tracking.Engagement{UID: h.messages["g"+strconv.Itoa(i)+"@gmail.com"].UID, Kind: tracking.EngagementClick, URL: link, At: at, UserAgent: person})
	}
	// A link scanner: stored, not counted.
	events = append(events, tracking.Engagement{UID: h.messages["g9@gmail.com"].UID, Kind: tracking.EngagementClick, URL: "https://shop.test/scanned", At: at, UserAgent: "Mozilla/5.0 (compatible; Barracuda Sentinel)"})
	if err := c.Store.Tracking.RecordEngagement(ctx, events); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Store.Queue.RecordComplaint(ctx, queue.Complaint{Message: queue.MessageRef{UID: h.messages["g5@gmail.com"].UID, Domain: "example.test"}, FeedbackType: "abuse"}); err != nil {
		t.Fatal("complaint:", err)
	}
	c.Clock.Advance(24 * time.Hour)
	fixtures.Sent(t, c.Store, h.other, true, map[string]models.MessageStatus{
		"t0@gmail.com": models.StatusDelivered, "t1@gmail.com": models.StatusDelivered, "t2@gmail.com": models.StatusDelivered,
		"t3@gmail.com": models.StatusDelivered, "t4@gmail.com": models.StatusDelivered,
	})
	return h
}

// kpi is the text of a dashboard tile's value.
func kpi(name, value string) string { return `data-testid="kpi-` + name + `-value">` + value + `<` }

func TestDashboardFiguresFiltersAndRanges(t *testing.T) {
	h := newSendingHistory(t)
	c := h.c
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")

	// The last 30 days: 25 requested and accepted, 22 delivered (17 + 5),
	// 2 bounced, 8 opened, 3 clicked, 1 complaint.
	p := b.get("/")
	wantStatus(t, p, http.StatusOK, kpi("requested", "25"), kpi("delivery", "88.0%"), kpi("bounce", "8.0%"), kpi("open", "36.4%"),
		kpi("click", "13.6%"), kpi("complaint", "4.5%"), kpi("unsubscribe", "0.0%"),
		`data-testid="range-30"`, `aria-current="true"`, `data-testid="chart-volume"`, `data-testid="chart-engagement"`,
		`data-testid="reputation-warning-bounce"`, `data-testid="reputation-warning-complaint"`,
		`data-testid="provider-gmail.com"`, `data-testid="provider-outlook.com"`, `data-testid="provider-qq.com"`,
		"https://shop.test/sale", `data-testid="dashboard-warmup"`, "Sun 1 Feb 2026 to Mon 2 Mar 2026 (30 days)")
	if strings.Contains(p.Body, "getting-started") || strings.Contains(p.Body, "provider-yahoo.com") || strings.Contains(p.Body, "shop.test/scanned") {
		t.Error("getting started after sending, a provider without mail, or a scanner's click")
	}
	// The table under the volume chart has the numbers of each day.
	if !strings.Contains(p.Body, `<th scope="row">Sun 1 Mar</th><td class="num">17</td><td class="num">1</td><td class="num">2</td>`) {
		t.Errorf("volume table lacks 1 March\n%s", mainContent(p.Body))
	}

	for _, f := range []struct {
		query string
		want  []string
	}{
		{"?provider=qq.com", []string{kpi("requested", "4"), kpi("delivery", "75.0%")}},
		{"?domain=" + itoa(h.other.DomainID), []string{kpi("requested", "5"), kpi("bounce", "0.0%"), kpi("open", "0.0%"), "No clicks on links in this range."}},
		{"?task=" + itoa(h.campaign.ID), []string{kpi("requested", "20"), kpi("delivery", "85.0%"), `<option value="` + itoa(h.campaign.ID) + `" selected>Spring sale</option>`}},
		{"?from=2026-03-02&to=2026-03-02", []string{kpi("requested", "5"), "Mon 2 Mar 2026, in your time zone (UTC)"}},
		{"?from=2026-02-24&to=2026-03-02", []string{kpi("requested", "25"), `class="segment segment-active"`}}, // the last 7 days, as dates
		{"?days=7&provider=gmail.com", []string{kpi("requested", "15"), `href="/?days=90&amp;provider=gmail.com"`}},
		{"?provider=gmail.com", []string{"this list is for every provider"}},
	} {
		wantStatus(t, b.get("/"+f.query), http.StatusOK, f.want...)
	}
	if p := b.get("/?domain=" + itoa(h.other.DomainID)); strings.Contains(p.Body, "reputation-warning") {
		t.Error("the other domain inherits the campaign's warnings")
	}
}

func TestDashboardRefusesBadInputClearly(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	for query, want := range map[string]string{
		"days=8":                                   "Choose the last 7, 30 or 90 days, or give dates.",
		"days=-1":                                  "Choose the last 7, 30 or 90 days, or give dates.",
		"from=2026-02-01":                          "Give the last day as well.",
		"to=2026-02-01":                            "Give the first day as well.",
		"from=2026-02-30&to=2026-03-01":            "Give the first day as a date, such as 2026-03-01.",
		"from=%3Cscript%3E&to=2026-03-01":          "Give the first day as a date",
		"from=2026-03-01&to=2026-02-01":            "The last day comes before the first: swap them.",
		"from=2026-03-01&to=2026-03-02":            "The last day is in the future: choose today (2026-03-01) or earlier.",
		"from=2020-01-01&to=2026-03-01":            "Choose at most 366 days; this range has 2252.",
		"domain=abc":                               "Choose a domain from the list.",
		"domain=999":                               "Choose a domain from the list.",
		"domain=99999999999999999999999":           "Choose a domain from the list.",
		"provider=aol.com":                         "Choose a mailbox provider from the list.",
		"task=0":                                   "Choose a task from the list.",
		"task=42":                                  "Choose a task from the list.",
		"days=30&from=2026-02-01&to=2026-02-02x&x": "Give the last day as a date",
	} {
		p := b.get("/?" + query)
		wantStatus(t, p, http.StatusUnprocessableEntity, want, `data-testid="dashboard-filters"`)
		if strings.Contains(p.Body, `data-testid="kpi-tiles"`) {
			t.Errorf("%s: figures shown for a refused query", query)
		}
	}
	// What was typed stays in the form, escaped.
	if p := b.get("/?from=" + url.QueryEscape(`"><b>x`) + "&to=2026-03-01"); !strings.Contains(p.Body, `value="&#34;&gt;&lt;b&gt;x"`) {
		t.Errorf("typed date not kept\n%s", mainContent(p.Body))
	}
}

func TestDashboardBeforeAnythingWasSent(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	p := b.get("/")
	wantStatus(t, p, http.StatusOK, `data-testid="getting-started"`, kpi("requested", "0"), kpi("delivery", "—"), "Nothing sent in this range",
		"No mail in this range.", "No clicks on links in this range.")
	if strings.Contains(p.Body, "dashboard-warmup") || strings.Contains(p.Body, "reputation-warning") {
		t.Error("warm-up charts or warnings without any mail")
	}
}
