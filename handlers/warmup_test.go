package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/queue"
)

func TestWarmupPages(t *testing.T) {
	c := newConsole(t)
	c.user("boss@example.com", accounts.RoleAdmin)
	c.user("ann@example.com", accounts.RoleMarketer)
	admin := c.browser()
	admin.login("boss@example.com")
	marketer := c.browser()
	marketer.login("ann@example.com")

	d, err := c.Store.Domains.AddDomain(ctx, "example.test", 1024)
	if err != nil {
		t.Fatal(err)
	}
	c.publish("example.test")
	if _, _, err := c.Store.Domains.VerifyDomain(ctx, c.resolver(), d.ID); err != nil {
		t.Fatal(err)
	}
	sender, err := c.Store.Senders.CreateSender(ctx, "news@example.test", "News")
	if err != nil {
		t.Fatal(err)
	}
	// A small plan keeps the queue short: 6 queued, 5 sent, 1 waits.
	if _, err := c.Store.Queue.CreateWarmupPlan(ctx, queue.NewWarmupPlan{Name: "tiny", Quotas: "5, 10, 20, 40"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Store.Queue.SetWarmup(ctx, queue.WarmupDomain, d.ID, queue.WarmupChange{Plan: "tiny"}); err != nil {
		t.Fatal(err)
	}
	req := queue.EnqueueRequest{Sender: sender, Content: queue.MessageContent{Subject: "Hi", Text: "Hello"}}
	for i := range 6 {
		req.To = append(req.To, queue.Addressee{Email: "r" + strconv.Itoa(i) + "@dest.test"})
	}
	if _, err := c.Store.Queue.Enqueue(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Store.Queue.ClaimMessages(ctx, "test", 1000, time.Minute); err != nil {
		t.Fatal(err)
	}
	edit := "/admin/ips/warmup/domain/" + strconv.FormatUint(d.ID, 10)

	// Marketers neither see nor change warm-up.
	wantStatus(t, marketer.get("/admin/ips"), http.StatusForbidden)
	wantStatus(t, marketer.get(edit), http.StatusForbidden)
	wantStatus(t, marketer.post("/account", edit, url.Values{"plan": {"none"}}), http.StatusForbidden)
	wantStatus(t, marketer.post("/account", "/admin/ips/plans", url.Values{"name": {"x"}, "quotas": {"1"}}), http.StatusForbidden)

	wantStatus(t, admin.get("/admin/ips"), http.StatusOK,
		`data-testid="warmup-row-domain-example.test"`, "1 of 4", "1 to send: 1 tomorrow.", `data-testid="chart-chart-domain-`+strconv.FormatUint(d.ID, 10)+`"`,
		`data-testid="warmup-row-ip-Default route"`, "no limit")

	// Custom plans.
	wantStatus(t, admin.post("/admin/ips", "/admin/ips/plans", url.Values{"name": {"none"}, "quotas": {"100, lots"}}), http.StatusUnprocessableEntity,
		"&#34;standard&#34; and &#34;none&#34; are built in", "&#34;lots&#34; is not a daily quota", `value="100, lots"`)
	p := admin.post("/admin/ips", "/admin/ips/plans", url.Values{"name": {"gentle"}, "quotas": {"100, 200, 400, 800"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/ips#plans" {
		t.Fatalf("create plan: %d %s", p.Status, p.Header.Get("Location"))
	}
	wantStatus(t, admin.get("/admin/ips"), http.StatusOK, "Plan gentle created", `data-testid="plan-gentle"`, "100 → 200 → 400 → 800")

	// Changing the domain's plan and day.
	wantStatus(t, admin.get(edit), http.StatusOK, "tiny plan, day 1 of 4.", "gentle: 4 days, 100 to 800 a day", `placeholder="keep day 1"`)
	wantStatus(t, admin.post(edit, edit, url.Values{"plan": {"gentle"}, "day": {"9"}}), http.StatusUnprocessableEntity,
		"The gentle plan has 4 days: choose a day from 1 to 4.", `<option value="gentle" selected>`, `value="9"`)
	wantStatus(t, admin.post(edit, edit, url.Values{"plan": {"turbo"}}), http.StatusUnprocessableEntity, "There is no plan named &#34;turbo&#34;.")
	p = admin.post(edit, edit, url.Values{"plan": {"gentle"}, "day": {"4"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/ips" {
		t.Fatalf("set plan: %d %s", p.Status, p.Header.Get("Location"))
	}
	wantStatus(t, admin.get("/admin/ips"), http.StatusOK, "example.test: warm-up plan saved.", "gentle plan, day 4 of 4.")

	// Addresses that name nothing.
	for _, path := range []string{"/admin/ips/warmup/planet/1", "/admin/ips/warmup/domain/999", "/admin/ips/warmup/ip/abc", "/admin/ips/warmup/domain/0"} {
		wantStatus(t, admin.get(path), http.StatusNotFound)
		wantStatus(t, admin.post("/admin/ips", path, url.Values{"plan": {"none"}}), http.StatusNotFound)
	}
}
