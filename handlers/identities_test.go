package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// publish puts every record the domain asks for into the test DNS.
func (c *console) publish(name string) {
	c.t.Helper()
	d, err := c.Store.Domains.GetDomainByName(ctx, name)
	if err != nil {
		c.t.Fatal(err)
	}
	recs, _ := c.Store.Domains.DomainRecords(ctx, d)
	c.DNS.Publish(c.t, recs)
	c.DNS.Set(c.t, testdb.BounceHost+". 300 IN A 127.0.0.1")
}

func TestDomainLifecycle(t *testing.T) {
	c := newConsole(t)
	c.user("boss@example.com", accounts.RoleAdmin)
	c.user("ann@example.com", accounts.RoleMarketer)
	admin := c.browser()
	admin.login("boss@example.com")
	marketer := c.browser()
	marketer.login("ann@example.com")

	wantStatus(t, admin.get("/domains"), http.StatusOK, "No sending domains yet")
	wantStatus(t, admin.post("/domains/new", "/domains", url.Values{"name": {"co.uk"}}), http.StatusUnprocessableEntity, "co.uk is a public suffix")
	wantStatus(t, admin.post("/domains/new", "/domains", url.Values{"name": {"x"}, "key_size": {"512"}}), http.StatusUnprocessableEntity, "Enter a full domain name")
	p := admin.post("/domains/new", "/domains", url.Values{"name": {"https://Example.TEST/"}, "key_size": {"1024"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/domains/example.test" {
		t.Fatalf("create: %d %s", p.Status, p.Header.Get("Location"))
	}
	page := admin.get("/domains/example.test")
	wantStatus(t, page, http.StatusOK, "Domain added as example.test (from “https://Example.TEST/”)", "sesame-verification=", "v=DKIM1; k=rsa; p=", "Not checked yet", `data-testid="check-now"`)
	wantStatus(t, admin.post("/domains/new", "/domains", url.Values{"name": {"example.test"}}), http.StatusUnprocessableEntity, "example.test is already added.")

	// Marketers read but cannot change.
	mp := marketer.get("/domains/example.test")
	wantStatus(t, mp, http.StatusOK, "sesame-verification=")
	if strings.Contains(mp.Body, `data-testid="check-now"`) || strings.Contains(mp.Body, `data-testid="delete-domain"`) {
		t.Error("marketer sees admin buttons")
	}
	wantStatus(t, marketer.post("/domains/example.test", "/domains/example.test/verify", nil), http.StatusForbidden)
	wantStatus(t, marketer.post("/domains", "/domains", url.Values{"name": {"other.test"}}), http.StatusForbidden)
	if _, err := c.Store.Domains.GetDomainByName(ctx, "other.test"); err == nil {
		t.Error("a marketer added a domain")
	}

	// Check now before and after publishing.
	wantStatus(t, admin.post("/domains/example.test", "/domains/example.test/verify", nil), http.StatusSeeOther)
	wantStatus(t, admin.get("/domains/example.test"), http.StatusOK, "3 required record(s) not verified yet", "No TXT record at _sesame.example.test")
	c.publish("example.test")
	wantStatus(t, admin.post("/domains/example.test", "/domains/example.test/verify", nil), http.StatusSeeOther)
	wantStatus(t, admin.get("/domains/example.test"), http.StatusOK, "example.test is verified: it can send now.", "The published key matches selector sesame1.")

	// Senders under it, with an SMTP password.
	wantStatus(t, marketer.post("/senders", "/senders", url.Values{"email": {"news@nope.test"}}), http.StatusUnprocessableEntity, "nope.test is not a sending domain here")
	wantStatus(t, marketer.post("/senders", "/senders", url.Values{"email": {"news@example.test"}, "display_name": {"News: daily"}}), http.StatusUnprocessableEntity, "A display name cannot contain :, &lt; or &gt;.")
	wantStatus(t, marketer.post("/senders", "/senders", url.Values{"email": {"news@example.test"}, "display_name": {"Example News"}}), http.StatusSeeOther)
	sender, err := c.Store.Senders.GetSenderByEmail(ctx, "news@example.test")
	if err != nil {
		t.Fatal(err)
	}
	sp := "/senders/" + strconv.FormatUint(sender.ID, 10)
	wantStatus(t, marketer.post("/senders", sp+"/password", url.Values{"smtp_password": {"short"}}), http.StatusUnprocessableEntity, "Use 10 to 64 characters.")
	wantStatus(t, marketer.post("/senders", sp+"/password", url.Values{"smtp_password": {"Secret2026x"}}), http.StatusSeeOther)
	wantStatus(t, marketer.post("/senders", sp+"/password", url.Values{"smtp_password": {"Secret2026x"}}), http.StatusUnprocessableEntity, "Choose a password different from the current one.")
	wantStatus(t, marketer.get("/senders"), http.StatusOK, "news@example.test", "Set 2026-03-01")

	// Rotation and Ed25519 from the page.
	wantStatus(t, admin.post("/domains/example.test", "/domains/example.test/dkim", url.Values{"algorithm": {"ed25519"}}), http.StatusSeeOther)
	wantStatus(t, admin.get("/domains/example.test"), http.StatusOK, "New Ed25519 key sesame2", "v=DKIM1; k=ed25519; p=")
	wantStatus(t, admin.post("/domains/example.test", "/domains/example.test/dkim", url.Values{"algorithm": {"ed25519"}}), http.StatusSeeOther)
	wantStatus(t, admin.get("/domains/example.test"), http.StatusOK, "A new Ed25519 key (selector sesame2) is already waiting for its DNS record.")
	wantStatus(t, admin.post("/domains/example.test", "/domains/example.test/dkim", url.Values{"algorithm": {"dsa"}}), http.StatusUnprocessableEntity, "Choose an RSA or an Ed25519 key.")

	// Delete.
	wantStatus(t, marketer.post("/senders", sp+"/delete", nil), http.StatusSeeOther)
	wantStatus(t, admin.post("/domains/example.test", "/domains/example.test/delete", nil), http.StatusSeeOther)
	wantStatus(t, admin.get("/domains/example.test"), http.StatusNotFound)
	wantStatus(t, admin.get("/domains/not..a-domain"), http.StatusNotFound)
}

func TestIPPages(t *testing.T) {
	c := newConsole(t)
	c.user("boss@example.com", accounts.RoleAdmin)
	admin := c.browser()
	admin.login("boss@example.com")
	if _, err := c.Store.Domains.AddDomain(ctx, "example.test", 1024); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, admin.get("/admin/ips"), http.StatusOK, "Default route", "no explicit bind")
	// A destination that told an address to slow down is listed with why
	// and until when; once the throttle ends it is not.
	if err := c.Store.Queue.ThrottleDestination(ctx, queue.DestinationThrottle{Destination: "gmail.com", SourceIP: "", Until: c.Clock.Now().Add(time.Minute),
		BackoffSeconds: 60, Reason: "421 4.7.28 Our system has detected an unusual rate of unsolicited mail"}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, admin.get("/admin/ips"), http.StatusOK, `data-testid="throttle-gmail.com"`, "Slowed down by receivers", "421 4.7.28 Our system has detected")
	c.Clock.Advance(2 * time.Minute)
	if body := admin.get("/admin/ips").Body; strings.Contains(body, "throttle-gmail.com") {
		t.Error("an ended throttle is still listed")
	}
	wantStatus(t, admin.post("/admin/ips", "/admin/ips", url.Values{"address": {"300.1.1.1"}, "helo_host": {"mta.test"}, "pool": {"shared"}}),
		http.StatusUnprocessableEntity, "Enter an IPv4 or IPv6 address")
	wantStatus(t, admin.post("/admin/ips", "/admin/ips", url.Values{"address": {"203.0.113.77"}, "helo_host": {"mta.test"}, "pool": {"dedicated"}}), http.StatusSeeOther)
	wantStatus(t, admin.get("/admin/ips"), http.StatusOK, "this host has no interface with that address", "not configured on this host")
	wantStatus(t, admin.post("/admin/ips", "/admin/ips", url.Values{"address": {"127.0.0.2"}, "helo_host": {"mta2.test"}, "pool": {"dedicated"}}), http.StatusSeeOther)
	wantStatus(t, admin.get("/admin/ips"), http.StatusOK, "127.0.0.2 registered.")

	ips, _ := c.Store.IPs.ListSendingIPs(ctx)
	var loopback identity.SendingIP
	for _, ip := range ips {
		if ip.Address == "127.0.0.2" {
			loopback = ip
		}
	}
	d, _ := c.Store.Domains.GetDomainByName(ctx, "example.test")
	path := "/admin/ips/" + strconv.FormatUint(loopback.ID, 10)
	wantStatus(t, admin.post(path, path, url.Values{"helo_host": {"mta2.test"}, "pool": {"dedicated"}, "domain": {"x"}}), http.StatusBadRequest)
	wantStatus(t, admin.post(path, path, url.Values{"helo_host": {"mta2.test"}, "pool": {"dedicated"}, "domain": {strconv.FormatUint(d.ID, 10)}}), http.StatusSeeOther)
	wantStatus(t, admin.get("/admin/ips"), http.StatusOK, `href="/domains/example.test"`)
	wantStatus(t, admin.get("/domains/example.test"), http.StatusOK, "v=spf1 ip4:127.0.0.2 ~all")
	wantStatus(t, admin.post(path, path+"/delete", nil), http.StatusSeeOther)
	wantStatus(t, admin.get(path), http.StatusNotFound)
}

func TestDashboardWarnsOfDNSDrift(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	d, _ := c.Store.Domains.AddDomain(ctx, "example.test", 1024)
	c.publish("example.test")
	res := c.resolver()
	if _, _, err := c.Store.Domains.VerifyDomain(ctx, res, d.ID); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/"); strings.Contains(p.Body, "dashboard-drift") {
		t.Fatal("drift shown for a healthy domain")
	}
	c.DNS.Remove("example.test")
	if _, _, err := c.Store.Domains.VerifyDomain(ctx, res, d.ID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, b.get("/"), http.StatusOK, `data-testid="dashboard-drift"`, "DNS changed since verification: SPF missing.")
}
