package handlers_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/web"
)

// Every route must be registered with an access rule. A route added behind
// the policy's back is refused at run time, and this test names it.
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	c := newConsole(t)
	if missing := c.Web.RoutesWithoutAccessRule(); len(missing) > 0 {
		t.Fatalf("routes without an access rule: %v", missing)
	}
	c.Web.Echo.GET("/sneaky", func(echo.Context) error { return nil })
	if missing := c.Web.RoutesWithoutAccessRule(); len(missing) != 1 || missing[0] != "GET /sneaky" {
		t.Errorf("an unguarded route went unnoticed: %v", missing)
	}
}

func TestAdminPagesAreForAdmins(t *testing.T) {
	c := newConsole(t)
	c.user("boss@example.com", accounts.RoleAdmin)
	c.user("ann@example.com", accounts.RoleMarketer)
	marketer := c.browser()
	marketer.login("ann@example.com")
	admin := c.browser()
	admin.login("boss@example.com")

	var adminRoutes int
	for _, r := range c.Web.Echo.Routes() {
		if c.Web.AccessOf(r.Method, r.Path) != web.AdminOnly {
			continue
		}
		adminRoutes++
		path := strings.ReplaceAll(r.Path, ":id", "1")
		var p page
		if r.Method == http.MethodGet {
			p = marketer.get(path)
		} else {
			p = marketer.post("/", path, url.Values{"role": {"admin"}})
		}
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, `data-testid="error-page"`) {
			t.Errorf("marketer %s %s: status %d", r.Method, path, p.Status)
		}
	}
	if adminRoutes < 5 {
		t.Errorf("only %d admin routes found", adminRoutes)
	}
	// Nor did the marketer's posts change anything.
	u, _ := c.Store.Accounts.GetUserByEmail(ctx, "boss@example.com")
	if u.Role != accounts.RoleAdmin {
		t.Error("a marketer changed a role")
	}
	wantStatus(t, admin.get("/admin/users"), http.StatusOK, "ann@example.com")
	// Marketers do not even see the admin entries in the navigation.
	if p := marketer.get("/"); strings.Contains(p.Body, `href="/admin/users"`) {
		t.Error("marketer navigation shows Users")
	}
}

func TestFormsNeedTheCSRFToken(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	form := url.Values{"time_zone": {"Asia/Tokyo"}}

	wantStatus(t, b.postRaw("/account/timezone", form.Encode(), nil), http.StatusForbidden, "This form has expired")
	form.Set("_csrf", "forged-token-forged-token-forged1")
	wantStatus(t, b.postRaw("/account/timezone", form.Encode(), nil), http.StatusForbidden)
	// A same-origin browser request still needs the token.
	wantStatus(t, b.postRaw("/account/timezone", form.Encode(), http.Header{"Sec-Fetch-Site": {"same-origin"}}), http.StatusForbidden)
	// A cross-site request is refused even with a valid token.
	form.Set("_csrf", b.csrf("/account"))
	wantStatus(t, b.postRaw("/account/timezone", form.Encode(), http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}), http.StatusForbidden)
	if u, _ := c.Store.Accounts.GetUserByEmail(ctx, "ann@example.com"); u.TimeZone != "UTC" {
		t.Fatalf("a refused form changed the time zone to %s", u.TimeZone)
	}
	// The real form works.
	wantStatus(t, b.postRaw("/account/timezone", form.Encode(), http.Header{"Sec-Fetch-Site": {"same-origin"}}), http.StatusSeeOther)
	if u, _ := c.Store.Accounts.GetUserByEmail(ctx, "ann@example.com"); u.TimeZone != "Asia/Tokyo" {
		t.Errorf("time zone is %s", u.TimeZone)
	}
	// The login form is protected too.
	wantStatus(t, c.browser().postRaw("/login", "email=ann%40example.com&password=x", nil), http.StatusForbidden)
}

func TestErrorPages(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	wantStatus(t, b.get("/no/such/page"), http.StatusNotFound, `data-testid="error-page"`, "There is nothing at this address")
	b.login("ann@example.com")
	p := b.get("/no/such/page")
	wantStatus(t, p, http.StatusNotFound, "There is nothing at this address", `data-testid="nav-/"`)
	wantStatus(t, b.get("/admin/users/not-a-number"), http.StatusForbidden)
	wantStatus(t, b.postRaw("/account/timezone", "_csrf=%zz&time_zone=%", nil), http.StatusBadRequest, "The form could not be read")
	big := "time_zone=" + strings.Repeat("x", web.DefaultBodyLimit+10)
	wantStatus(t, b.postRaw("/account/timezone", big, nil), http.StatusRequestEntityTooLarge, "larger than the 2 MB")
	wantStatus(t, b.do(mustRequest(t, http.MethodPut, c.URL+"/account")), http.StatusMethodNotAllowed)
}

func TestSecurityHeaders(t *testing.T) {
	c := newConsole(t)
	p := c.browser().get("/login")
	for header, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
	} {
		if !strings.Contains(p.Header.Get(header), want) {
			t.Errorf("%s: %q", header, p.Header.Get(header))
		}
	}
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP: %s", csp)
	}
	if p.Header.Get("X-Request-Id") == "" {
		t.Error("no request id")
	}
	if strings.Contains(p.Body, "<script>") || strings.Contains(p.Body, " style=") {
		t.Error("inline script or style on the login page")
	}
}

func TestOperationsEndpoints(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	wantStatus(t, b.get("/healthz"), http.StatusOK, "ok")
	wantStatus(t, b.get("/readyz"), http.StatusOK, "ready")
	b.get("/login")
	b.get("/t/o/forged.token.gif") // a direct route: counted all the same
	wantStatus(t, b.get("/metrics"), http.StatusOK, `sesame_http_requests_total{code="200",method="GET",route="/login"}`,
		`sesame_http_requests_total{code="200",method="GET",route="/t/o/:token"}`)
	wantStatus(t, b.get("/static/css/app.css"), http.StatusOK, "--primary")
	c.Store.DB.Close()
	wantStatus(t, b.get("/readyz"), http.StatusServiceUnavailable)
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// IDs are signed 64-bit integers in both databases: 2^63 and beyond name
// nothing, and must answer 404 like any other missing id, not fail in the
// database driver with a 500. Every route with an :id is tried, as an
// admin, by GET or by a form post.
func TestHugeIDsAreNotFound(t *testing.T) {
	c := newConsole(t)
	c.user("boss@example.com", accounts.RoleAdmin)
	b := c.browser()
	b.login("boss@example.com")
	tried := 0
	for _, r := range c.Web.Echo.Routes() {
		if !strings.Contains(r.Path, ":id") || c.Web.AccessOf(r.Method, r.Path) == 0 {
			continue
		}
		for _, id := range []string{"9223372036854775808", "18446744073709551615", "99999999999999999999"} {
			path := strings.ReplaceAll(r.Path, ":id", id)
			var p page
			if r.Method == http.MethodGet {
				p = b.get(path)
			} else {
				p = b.post("/", path, url.Values{})
			}
			if p.Status != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404", r.Method, path, p.Status)
			}
			tried++
		}
	}
	if tried < 30 {
		t.Errorf("only %d requests tried", tried)
	}
	for _, path := range []string{"/sandbox?before=99999999999999999999", "/sandbox?before=9223372036854775808", "/sandbox?before=x"} {
		wantStatus(t, b.get(path), http.StatusNotFound, "There is nothing at this address")
	}
	wantStatus(t, b.get("/sandbox?before=9223372036854775807"), http.StatusOK)
	// An id beyond the range in a form is the field's error, as any unknown id.
	fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "News")
	if _, err := c.Store.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "T", Subject: "S", HTML: "<p>Hi</p>"}, nil); err != nil {
		t.Fatal(err)
	}
	fixtures.Group(t, c.Store, "Readers", 1)
	p := b.post("/tasks/new", "/tasks/preflight", url.Values{"name": {"t"}, "sender_id": {"9223372036854775808"},
		"template_id": {"18446744073709551615"}, "group_id": {"9223372036854775808"}, "unsubscribe": {"2"}, "ad_location": {"0"}, "kind": {"batch"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, "Choose one.")
}

// The metrics (per-route counters, runtime data) are for loopback clients
// only, unless a token is configured: then for its bearer, and only.
func TestMetricsAreForLoopbackOrTheToken(t *testing.T) {
	metrics := func(c *console, header http.Header) page {
		t.Helper()
		req := mustRequest(t, http.MethodGet, c.URL+"/metrics")
		req.Header = header
		return c.browser().do(req)
	}
	c := newConsole(t)
	wantStatus(t, metrics(c, nil), http.StatusOK, "sesame_http_requests_total")
	// A reverse proxy on this host makes every client look local; its
	// forwarding headers give it away.
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		wantStatus(t, metrics(c, http.Header{h: {"203.0.113.9"}}), http.StatusForbidden, "loopback clients only")
	}
	// Behind a trusted proxy, the client it names is the one that counts.
	c = newConsole(t, func(cfg *web.Config) { cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	wantStatus(t, metrics(c, http.Header{"X-Forwarded-For": {"203.0.113.9"}}), http.StatusForbidden)
	wantStatus(t, metrics(c, http.Header{"X-Forwarded-For": {"127.0.0.1"}}), http.StatusOK)

	c = newConsole(t, func(cfg *web.Config) { cfg.MetricsToken = "scrape-token-0123456789" })
	for _, auth := range []string{"", "Bearer wrong-token-0123456789", "scrape-token-0123456789", "Basic c2NyYXBlLXRva2Vu"} {
		p := metrics(c, http.Header{"Authorization": {auth}})
		wantStatus(t, p, http.StatusUnauthorized, "SESAME_METRICS_TOKEN")
		if p.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: no WWW-Authenticate", auth)
		}
	}
	wantStatus(t, metrics(c, http.Header{"Authorization": {"Bearer scrape-token-0123456789"}, "X-Forwarded-For": {"203.0.113.9"}}),
		http.StatusOK, "sesame_http_requests_total")
}

func TestStaticFilesListNoDirectories(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	for _, path := range []string{"/static/", "/static/css/", "/static/css", "/static/./", "/static/css/../"} {
		if p := b.get(path); p.Status != http.StatusNotFound || strings.Contains(p.Body, "app.css") {
			t.Errorf("%s: status %d\n%.300s", path, p.Status, p.Body)
		}
	}
	wantStatus(t, b.get("/static/css/app.css"), http.StatusOK, "--primary")
}

// The client address (sign-in throttling, logs, tracking) comes from
// X-Forwarded-For only when the peer is a trusted proxy: the right-most
// address there that is not one. Loopback and private peers are not
// trusted unless listed.
func TestClientIPBehindTrustedProxies(t *testing.T) {
	trusted := newConsole(t, func(cfg *web.Config) {
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	}).Web
	plain := newConsole(t).Web
	for _, tc := range []struct {
		srv       *web.Server
		peer, xff string
		want      string
	}{
		{plain, "10.0.0.2:4000", "203.0.113.9", "10.0.0.2"},
		{plain, "127.0.0.1:4000", "203.0.113.9", "127.0.0.1"},
		{trusted, "192.168.1.5:4000", "203.0.113.9", "192.168.1.5"}, // not a listed proxy
		{trusted, "127.0.0.1:4000", "203.0.113.9", "127.0.0.1"},
		{trusted, "10.0.0.2:4000", "", "10.0.0.2"},
		{trusted, "10.0.0.2:4000", "203.0.113.9", "203.0.113.9"},
		{trusted, "10.0.0.2:4000", "198.51.100.1, 203.0.113.9, 10.1.2.3", "203.0.113.9"}, // the client cannot choose
		{trusted, "[2001:db8::1]:4000", "2001:db9::5, 2001:db8:ffff::1", "2001:db9::5"},
		{trusted, "[2001:db8::1]:4000", "[2001:db9::7]", "2001:db9::7"},
		{trusted, "10.0.0.2:4000", "not an address", "10.0.0.2"},
	} {
		req := mustRequest(t, http.MethodGet, "http://localhost/")
		req.RemoteAddr = tc.peer
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := tc.srv.ClientIP(req); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
}

// Header spoofing through the console: each refused with the field's
// message, nothing stored.
func TestHeaderSpoofingIsRefusedInTheConsole(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	fixtures.Sender(t, c.Store, c.DNS, "first@example.test", "First")
	wantStatus(t, b.post("/senders", "/senders", url.Values{"email": {"news@example.test"}, "display_name": {`"ceo@bank.example"`}}),
		http.StatusUnprocessableEntity, "A display name cannot show an email address other than the sender&#39;s own (news@example.test).")
	wantStatus(t, b.post("/senders", "/senders", url.Values{"email": {"news@example.test"}, "display_name": {"News\x00Bank"}}),
		http.StatusUnprocessableEntity, "A display name cannot contain line breaks or control characters.")
	wantStatus(t, b.post("/templates/new", "/templates", url.Values{"name": {"Invoice"}, "subject": {"Your invoice\x00 from the bank"}, "html": {"<p>Hi</p>"}}),
		http.StatusUnprocessableEntity, "The subject cannot contain control characters.")
	wantStatus(t, b.post("/templates/new", "/templates", url.Values{"name": {"Invoice"}, "subject": {"Hi {{name}}"}, "html": {"<p>Hi</p>"},
		"sample_data": {`{"name": "Ann\u0007"}`}}),
		http.StatusUnprocessableEntity, "The value of {{name}} is used in the subject, so it cannot contain line breaks or control characters.")
	if senders, _ := c.Store.Senders.ListSenders(ctx); len(senders) != 1 {
		t.Errorf("%d senders", len(senders))
	}
	if page, _ := c.Store.Templates.ListTemplates(ctx, 0, 10); len(page.Templates) != 0 {
		t.Errorf("%d templates", len(page.Templates))
	}
}
