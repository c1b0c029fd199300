package handlers_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/web"
)

func TestSignInAndOut(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()

	p := b.get("/")
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/login?next=%2F" {
		t.Fatalf("signed out dashboard: %d %s", p.Status, p.Header.Get("Location"))
	}
	wantStatus(t, b.get("/login"), http.StatusOK, "Sign in", `name="password"`)

	p = b.post("/login", "/login", url.Values{"email": {"ann@example.com"}, "password": {testPassword}, "next": {"/templates"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/templates" {
		t.Fatalf("login: %d %s", p.Status, p.Header.Get("Location"))
	}
	cookie := b.cookie("sesame_session")
	if cookie == nil {
		t.Fatal("no session cookie")
	}
	wantStatus(t, b.get("/"), http.StatusOK, "Dashboard", "ann@example.com")

	p = b.post("/", "/logout", nil)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/login?signed_out=1" {
		t.Fatalf("logout: %d %s", p.Status, p.Header.Get("Location"))
	}
	// The old cookie, replayed, opens nothing: the session is gone server-side.
	replay := c.browser()
	u, _ := url.Parse(c.URL)
	replay.client.Jar.SetCookies(u, []*http.Cookie{cookie})
	if p := replay.get("/"); p.Status != http.StatusSeeOther {
		t.Errorf("replayed cookie after logout: status %d", p.Status)
	}
}

func TestSessionCookieAttributesAndRotation(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	token := b.csrf("/login")
	p := b.postRaw("/login", url.Values{"_csrf": {token}, "email": {"ann@example.com"}, "password": {testPassword}}.Encode(), nil)
	setCookie := strings.Join(p.Header.Values("Set-Cookie"), "\n")
	for _, want := range []string{"sesame_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("Set-Cookie lacks %s:\n%s", want, setCookie)
		}
	}
	first := b.cookie("sesame_session").Value
	wantStatus(t, b.post("/", "/login", url.Values{"email": {"ann@example.com"}, "password": {testPassword}}), http.StatusSeeOther)
	if b.cookie("sesame_session").Value == first {
		t.Error("signing in again kept the session id")
	}
}

func TestSignInErrors(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"wrong password", url.Values{"email": {"ann@example.com"}, "password": {"nope nope nope"}}, http.StatusUnauthorized, "The email or password is incorrect."},
		{"unknown user", url.Values{"email": {"who@example.com"}, "password": {"nope nope nope"}}, http.StatusUnauthorized, "The email or password is incorrect."},
		{"empty", url.Values{}, http.StatusUnprocessableEntity, "Enter your email address."},
		{"over-long", url.Values{"email": {strings.Repeat("a", 400)}, "password": {"x"}}, http.StatusUnprocessableEntity, "at most 254 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, b.post("/login", "/login", tc.form), tc.status, tc.want)
		})
	}
}

func TestSignInThrottle(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	for i := 0; i < accounts.LoginMaxFailures; i++ {
		c.Clock.Advance(time.Second)
		wantStatus(t, b.post("/login", "/login", url.Values{"email": {"ann@example.com"}, "password": {"wrong password"}}), http.StatusUnauthorized)
	}
	p := b.post("/login", "/login", url.Values{"email": {"ann@example.com"}, "password": {testPassword}})
	wantStatus(t, p, http.StatusTooManyRequests, "Too many failed sign-in attempts from your address. Try again after 09:15 UTC.")
	if p.Header.Get("Retry-After") != "897" {
		t.Errorf("Retry-After %q", p.Header.Get("Retry-After"))
	}
	c.Clock.Advance(16 * time.Minute)
	b.login("ann@example.com")
}

// Behind a reverse proxy every client has the proxy's address. With the
// proxy trusted, the address its X-Forwarded-For gives is counted: the
// attacker's failures do not lock out the owner, who signs in from another
// address. Without it, the header is ignored, so an attacker cannot make
// up a fresh address for each guess.
func TestSignInLockOutIsPerClientBehindATrustedProxy(t *testing.T) {
	c := newConsole(t, func(cfg *web.Config) { cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	c.user("admin@localhost", accounts.RoleAdmin)
	attacker, owner := c.browser(), c.browser()
	from := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }
	for i := 0; i < 3*accounts.LoginMaxFailures; i++ {
		c.Clock.Advance(time.Second)
		p := attacker.postFrom("/login", url.Values{"email": {"admin@localhost"}, "password": {"guess guess"}}, from("203.0.113.7"))
		if want := http.StatusUnauthorized; i >= accounts.LoginMaxFailures && p.Status != http.StatusTooManyRequests || i < accounts.LoginMaxFailures && p.Status != want {
			t.Fatalf("attempt %d: status %d", i+1, p.Status)
		}
	}
	wantStatus(t, attacker.postFrom("/login", url.Values{"email": {"admin@localhost"}, "password": {testPassword}}, from("203.0.113.7")),
		http.StatusTooManyRequests, "from your address")
	p := owner.postFrom("/login", url.Values{"email": {"admin@localhost"}, "password": {testPassword}}, from("198.51.100.1"))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("the owner from another address: status %d\n%s", p.Status, mainContent(p.Body))
	}

	// Without trusted proxies, X-Forwarded-For is the client's own say-so:
	// a new made-up address for each guess changes nothing.
	c = newConsole(t)
	c.user("admin@localhost", accounts.RoleAdmin)
	attacker = c.browser()
	for i := 0; i <= accounts.LoginMaxFailures; i++ {
		c.Clock.Advance(time.Second)
		p = attacker.postFrom("/login", url.Values{"email": {"admin@localhost"}, "password": {"guess guess"}}, from(fmt.Sprintf("198.18.0.%d", i+1)))
	}
	wantStatus(t, p, http.StatusTooManyRequests, "from your address")
}

// Browsers drop tabs and newlines from URLs and read \ as /, so each of
// these would lead a signed-in user to evil.example (Chromium followed the
// tab form). Only plain local paths are kept.
func TestUnsafeNextIsIgnored(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	for _, next := range []string{
		"//evil.example/", "https://evil.example/", "/\\evil.example", "\\/evil.example", "\\\\evil.example",
		"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example",
		"/%5Cevil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/\u3000/evil.example", "/\u00a0/evil.example",
		"/\u2028/evil.example", "/\x00/evil.example", "javascript:alert(1)", "evil.example", "",
	} {
		b := c.browser()
		p := b.post("/login", "/login", url.Values{"email": {"ann@example.com"}, "password": {testPassword}, "next": {next}})
		if loc := p.Header.Get("Location"); p.Status != http.StatusSeeOther || loc != "/" {
			t.Errorf("next=%q: %d to %q", next, p.Status, loc)
		}
		// A signed-in user who opens the sign-in page is sent on the same way.
		if p := b.get("/login?next=" + url.QueryEscape(next)); p.Header.Get("Location") != "/" {
			t.Errorf("signed in, next=%q: redirected to %q", next, p.Header.Get("Location"))
		}
	}
	// The issue's own request: a tab between the slashes, escaped in the query.
	b := c.browser()
	b.login("ann@example.com")
	if p := b.get("/login?next=%2F%09%2Fevil.example"); p.Header.Get("Location") != "/" {
		t.Errorf("next=/<tab>/evil.example: redirected to %q", p.Header.Get("Location"))
	}
	// Local paths, with their queries, are kept.
	for _, next := range []string{"/templates", "/templates/3?tab=html&x=%2F%2F", "/sandbox?before=42#top"} {
		if p := b.get("/login?next=" + url.QueryEscape(next)); p.Header.Get("Location") != next {
			t.Errorf("next=%q: redirected to %q", next, p.Header.Get("Location"))
		}
	}
}

func TestTamperedAndExpiredCookies(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	good := b.cookie("sesame_session")

	u, _ := url.Parse(c.URL)
	tampered := c.browser()
	tampered.client.Jar.SetCookies(u, []*http.Cookie{{Name: "sesame_session", Value: good.Value[:len(good.Value)-4] + "AAAA", Path: "/"}})
	if p := tampered.get("/"); p.Status != http.StatusSeeOther {
		t.Errorf("tampered cookie: status %d", p.Status)
	}
	garbage := c.browser()
	garbage.client.Jar.SetCookies(u, []*http.Cookie{{Name: "sesame_session", Value: "%%%not-base64", Path: "/"}})
	wantStatus(t, garbage.get("/login"), http.StatusOK, "Sign in")

	c.Clock.Advance(7 * time.Hour)
	wantStatus(t, b.get("/"), http.StatusOK) // still within the idle timeout, and touched
	c.Clock.Advance(8*time.Hour + time.Minute)
	if p := b.get("/"); p.Status != http.StatusSeeOther {
		t.Errorf("idle session: status %d", p.Status)
	}
}

func TestAbsoluteSessionTimeout(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	for i := 0; i < 7*4; i++ { // active every 6 hours for a week
		c.Clock.Advance(6 * time.Hour)
		if i < 27 {
			wantStatus(t, b.get("/"), http.StatusOK)
		}
	}
	c.Clock.Advance(time.Minute)
	if p := b.get("/"); p.Status != http.StatusSeeOther {
		t.Errorf("a week-old session is still open: status %d", p.Status)
	}
}
