package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// trackedMessage sends one tracked message through the sandbox and returns
// it with the HTML as delivered.
func trackedMessage(t *testing.T, c *console, sender *identity.SenderAddress, to string) (*queue.Message, string) {
	t.Helper()
	msgs, err := c.Store.Queue.Enqueue(ctx, queue.EnqueueRequest{Sender: sender, Content: queue.MessageContent{
		Subject: "Hi", HTML: `<html><body><p>Hi</p><a href="https://shop.test/sale?x=1&amp;y=2">Sale</a> <a href="mailto:a@b.test">mail</a></body></html>`,
		Unsubscribe: "2", TrackOpens: true, TrackClicks: true}, To: []queue.Addressee{{Email: to}}})
	if err != nil {
		t.Fatal(err)
	}
	e := mailer.NewEngine(compose.Engine(c.Store), mailer.Sandbox{}, outgoing.NewBuilder(c.Links), c.Clock, slog.New(slog.DiscardHandler), mailer.EngineConfig{Owner: "t"})
	if err := e.RunUntilIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	box, _ := c.Store.Sandbox.SandboxPage(ctx, 0, 1)
	kept, _ := c.Store.Sandbox.GetSandboxMessage(ctx, box[0].ID)
	parsed, err := outgoing.ParseMessage(kept.Raw)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.Store.Queue.GetMessageByUID(ctx, msgs[0].UID)
	return m, parsed.HTML
}

var (
	pixelURL = regexp.MustCompile(`<img src="http://localhost:8080(/t/o/[^"]+)"`)
	clickURL = regexp.MustCompile(`href="http://localhost:8080(/t/c/[^"]+)">Sale`)
	unsubURL = regexp.MustCompile(`href="http://localhost:8080(/u/[^"]+)"`)
)

func (b *browser) fetch(method, path, ua string) page {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.c.URL+path, nil)
	req.Header.Set("User-Agent", ua)
	return b.do(req)
}

const person = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"

func waitForEvents(t *testing.T, c *console, m *queue.Message, n int) []queue.MessageEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, _ := c.Store.Queue.MessageEvents(ctx, m.ID)
		var eng []queue.MessageEvent
		for _, e := range evs {
			if e.Type == "opened" || e.Type == "clicked" {
				eng = append(eng, e)
			}
		}
		if len(eng) >= n || time.Now().After(deadline) {
			return eng
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOpenAndClickTracking(t *testing.T) {
	c := newConsole(t)
	sender := fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "News")
	m, html := trackedMessage(t, c, sender, "ann@dest.test")
	pixel, click := pixelURL.FindStringSubmatch(html), clickURL.FindStringSubmatch(html)
	if pixel == nil || click == nil || !strings.Contains(html, `href="mailto:a@b.test"`) {
		t.Fatalf("tracking not in the message:\n%s", html)
	}
	if strings.Contains(html, "/t/c/") && unsubURL.FindStringSubmatch(html) == nil {
		t.Errorf("the unsubscribe link was wrapped:\n%s", html)
	}
	b := c.browser()

	// A scanner fetches everything the moment it arrives: stored, not counted.
	p := b.fetch(http.MethodGet, pixel[1], "Mozilla/5.0 (compatible; Barracuda Sentinel)")
	if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "image/gif" || !strings.HasPrefix(p.Body, "GIF89a") ||
		p.Header.Get("Cache-Control") != "no-store, max-age=0" || p.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("pixel: %d %v %q", p.Status, p.Header, p.Body)
	}
	c.Clock.Advance(time.Minute)
	// A HEAD request is no person's: stored, flagged, not counted.
	if p := b.fetch(http.MethodHead, pixel[1], person); p.Status != http.StatusOK || p.Header.Get("Content-Type") != "image/gif" || p.Body != "" {
		t.Fatalf("pixel HEAD: %d %v %q", p.Status, p.Header, p.Body)
	}
	p = b.fetch(http.MethodGet, click[1], person)
	if p.Status != http.StatusFound || p.Header.Get("Location") != "https://shop.test/sale?x=1&y=2" {
		t.Fatalf("click: %d %s", p.Status, p.Header.Get("Location"))
	}
	b.fetch(http.MethodGet, pixel[1], person)
	b.fetch(http.MethodGet, pixel[1], person) // a second open: one unique
	evs := waitForEvents(t, c, m, 5)
	machines := 0
	for _, e := range evs {
		if e.Machine {
			machines++
		}
	}
	if len(evs) != 5 || machines != 2 {
		t.Fatalf("%d events, %d machine: %+v", len(evs), machines, evs)
	}
	got, _ := c.Store.Queue.GetMessageByUID(ctx, m.UID)
	if got.OpenedAt == nil || got.ClickedAt == nil {
		t.Errorf("first open and click not marked: %+v", got)
	}
	days, _ := c.Store.Queue.DailyVolumes(ctx, c.Clock.Now(), c.Clock.Now(), time.UTC, queue.StatsFilter{})
	total := queue.Totals(days)
	if total.Opened != 1 || total.Clicked != 1 || total.Delivered != 1 || total.Requested != 1 || total.Accepted != 1 {
		t.Errorf("rollup %+v", total)
	}

	// Tampered tokens: the pixel still answers, the click is a 404 page.
	tampered := pixel[1][:len(pixel[1])-8] + "AAAA.gif"
	if p := b.fetch(http.MethodGet, tampered, person); p.Status != http.StatusOK || p.Header.Get("Content-Type") != "image/gif" {
		t.Errorf("tampered pixel: %d", p.Status)
	}
	for _, bad := range []string{click[1][:len(click[1])-4] + "AAAA", "/t/c/" + url.PathEscape("aHR0cHM6Ly9ldmlsLnRlc3Q.AAAA"), "/t/c/nonsense"} {
		p := b.fetch(http.MethodGet, bad, person)
		if p.Status != http.StatusNotFound || p.Header.Get("Location") != "" || !strings.Contains(p.Body, `data-testid="error-page"`) {
			t.Errorf("%s: %d %s", bad, p.Status, p.Header.Get("Location"))
		}
	}
}

func TestUnsubscribe(t *testing.T) {
	c := newConsole(t)
	sender := fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "News")
	other := fixtures.Sender(t, c.Store, c.DNS, "hello@other.test", "Other")
	m, html := trackedMessage(t, c, sender, "ann@dest.test")
	link := unsubURL.FindStringSubmatch(html)
	if link == nil {
		t.Fatalf("no unsubscribe link:\n%s", html)
	}
	b := c.browser()
	// GET asks, and changes nothing.
	// The page names the sender and what the unsubscribe stops, not Sesame.
	form := b.get(link[1])
	wantStatus(t, form, http.StatusOK, "Unsubscribe?", "ann@dest.test", "From: News, news@example.test",
		"Stop all mail from <strong>example.test</strong>")
	if strings.Contains(form.Body, "Sesame</a>") {
		t.Error("the recipients' unsubscribe page names Sesame")
	}
	if got, _ := c.Store.Queue.GetMessageByUID(ctx, m.UID); got.UnsubscribedAt != nil {
		t.Fatal("a GET unsubscribed")
	}
	// RFC 8058 one-click: no cookies, no CSRF token, a plain 200.
	oneClick := func() page {
		req, _ := http.NewRequest(http.MethodPost, c.URL+link[1], strings.NewReader("List-Unsubscribe=One-Click"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return page{Status: resp.StatusCode, Header: resp.Header}
	}
	for i := 0; i < 2; i++ {
		if p := oneClick(); p.Status != http.StatusOK || p.Header.Get("Location") != "" {
			t.Fatalf("one-click %d: %d", i, p.Status)
		}
	}
	evs, _ := c.Store.Queue.MessageEvents(ctx, m.ID)
	unsubs := 0
	for _, e := range evs {
		if e.Type == "unsubscribed" {
			unsubs++
		}
	}
	if unsubs != 1 {
		t.Errorf("%d unsubscribe events after a replay", unsubs)
	}
	list, _, _ := c.Store.Suppressions.ListSuppressions(ctx, audience.SuppressionQuery{})
	if len(list) != 1 || list[0].Reason != audience.ReasonUnsubscribe || list[0].ScopeDomain != "example.test" {
		t.Fatalf("suppressions %+v", list)
	}
	wantStatus(t, b.get(link[1]), http.StatusOK, "You are unsubscribed")
	// The confirmation form works too (again harmlessly).
	wantStatus(t, b.postRaw(link[1], "", nil), http.StatusOK, "will get no more mail from example.test")

	// The unsubscribe holds for this sender's domain only.
	next, _ := trackedMessage(t, c, sender, "ann@dest.test")
	if next.Status != models.StatusSuppressed {
		t.Errorf("same domain after unsubscribe: %s", next.Status)
	}
	elsewhere, _ := trackedMessage(t, c, other, "ann@dest.test")
	if elsewhere.Status != models.StatusDelivered {
		t.Errorf("other domain after unsubscribe: %s", elsewhere.Status)
	}
	days, _ := c.Store.Queue.DailyVolumes(ctx, c.Clock.Now(), c.Clock.Now(), time.UTC, queue.StatsFilter{})
	if total := queue.Totals(days); total.Unsubscribed != 1 {
		t.Errorf("rollup unsubscribed %d", total.Unsubscribed)
	}
	wantStatus(t, b.get("/u/forged.token"), http.StatusNotFound)
}

func TestMessageLookup(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	sender := fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "News")
	m, html := trackedMessage(t, c, sender, "bob@dest.test")
	c.Clock.Advance(time.Minute)
	b := c.browser()
	b.fetch(http.MethodGet, pixelURL.FindStringSubmatch(html)[1], person)
	waitForEvents(t, c, m, 1)
	b.login("ann@example.com")
	day := c.Clock.Now().Format(time.DateOnly)
	wantStatus(t, b.get("/messages"), http.StatusOK, `data-testid="lookup-form"`)
	p := b.get("/messages?day=" + day + "&q=BOB@dest.test")
	wantStatus(t, p, http.StatusOK, `data-testid="lookup-row"`, "bob@dest.test", `data-status="delivered"`, `data-testid="flag-opened"`)
	if strings.Contains(p.Body, `data-testid="flag-clicked"`) {
		t.Error("clicked without a click")
	}
	wantStatus(t, b.get("/messages?day="+day+"&q="+m.UID), http.StatusOK, "bob@dest.test")
	wantStatus(t, b.get("/messages?day=2020-01-01&q="+m.UID), http.StatusOK, "No messages")
	wantStatus(t, b.get("/messages?day=yesterday"), http.StatusUnprocessableEntity, "Choose a day.")
	wantStatus(t, b.get("/messages/"+m.UID), http.StatusOK, "Opened")
}
