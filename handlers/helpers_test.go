package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sesame-email/sesame/handlers"
	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/scheduler"
	"github.com/sesame-email/sesame/static"
	"github.com/sesame-email/sesame/web"
)

var ctx = context.Background()

const testPassword = "correct horse 1"

// console is a running Sesame console over a fresh database.
type console struct {
	t     testing.TB
	URL   string
	Store *store.Store
	Clock *clocktest.Clock
	Web   *web.Server
	DNS   *dnstest.Server
	Links *outgoing.Links
}

// newConsole starts a console; configure changes its web configuration.
func newConsole(t testing.TB, configure ...func(*web.Config)) *console {
	t.Helper()
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	st := testdb.Open(t, clock)
	pub, _ := url.Parse("http://localhost:8080")
	cfg := web.Config{
		PublicURL: pub,
		HashKey:   []byte(strings.Repeat("k", 64)),
		Version:   "test",
		Clock:     clock,
		Metrics:   prometheus.NewRegistry(),
		Static:    static.Files,
	}
	for _, f := range configure {
		f(&cfg)
	}
	srv := web.New(cfg, st.Accounts)
	dns := dnstest.Start(t)
	resolver, err := mailer.NewResolver(dns.Addr, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	links := outgoing.NewLinks("http://localhost:8080", []byte("test link key"))
	tracker := mailer.NewTracker(st.Tracking, slog.New(slog.DiscardHandler), 10*time.Millisecond)
	trackCtx, stopTracker := context.WithCancel(context.Background())
	tracked := make(chan struct{})
	go func() { tracker.Run(trackCtx); close(tracked) }()
	t.Cleanup(func() { stopTracker(); <-tracked })
	handlers.Mount(srv, compose.Console(st, handlers.Deps{Tasks: scheduler.Tasks{Store: st.Tasks}, DNS: resolver, Delivery: "sandbox",
		Builder: outgoing.NewBuilder(links), Links: links, Tracker: tracker}))
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &console{t: t, URL: ts.URL, Store: st, Clock: clock, Web: srv, DNS: dns, Links: links}
}

// resolver asks the console's test DNS server.
func (c *console) resolver() *mailer.Resolver {
	c.t.Helper()
	r, err := mailer.NewResolver(c.DNS.Addr, 500*time.Millisecond)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

func (c *console) user(email string, role accounts.Role) *accounts.User {
	c.t.Helper()
	u, err := c.Store.Accounts.CreateUser(ctx, accounts.NewUser{Email: email, Password: testPassword, Role: role})
	if err != nil {
		c.t.Fatal(err)
	}
	return u
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests see each response.
type browser struct {
	t      testing.TB
	c      *console
	client *http.Client
}

func (c *console) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: c.t, c: c, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	Status int
	Body   string
	Header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, Body: string(body), Header: resp.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.c.URL+path, nil)
	return b.do(req)
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf fetches a page and returns the token of its forms.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfInput.FindStringSubmatch(p.Body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s (status %d)", path, p.Status)
	}
	return m[1]
}

// post submits a form the way a browser does from the page at from,
// including that page's CSRF token.
func (b *browser) post(from, path string, form url.Values) page {
	b.t.Helper()
	form = cloneValues(form)
	form.Set("_csrf", b.csrf(from))
	return b.postRaw(path, form.Encode(), nil)
}

// postFrom submits a form from the sign-in page with extra headers.
func (b *browser) postFrom(path string, form url.Values, header http.Header) page {
	b.t.Helper()
	form = cloneValues(form)
	form.Set("_csrf", b.csrf("/login"))
	return b.postRaw(path, form.Encode(), header)
}

func (b *browser) postRaw(path, body string, header http.Header) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.c.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return b.do(req)
}

func (b *browser) login(email string) {
	b.t.Helper()
	p := b.post("/login", "/login", url.Values{"email": {email}, "password": {testPassword}})
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("login %s: status %d\n%s", email, p.Status, p.Body)
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.c.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func wantStatus(t *testing.T, p page, status int, contains ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d\n%s", p.Status, status, mainContent(p.Body))
	}
	for _, s := range contains {
		if !strings.Contains(p.Body, s) {
			t.Errorf("page lacks %q\n%s", s, mainContent(p.Body))
		}
	}
}

// mainContent is the part of a page worth printing in a failure: the main
// element without the navigation, cut to 3,000 bytes.
func mainContent(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	return body
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
