package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/handlers"
	"github.com/sesame-email/sesame/handlers/api"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/tc3"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/scheduler"
	"github.com/sesame-email/sesame/static"
	"github.com/sesame-email/sesame/web"
)

var ctx = context.Background()

// skewClock is the real time moved by an offset the test sets: the SDK
// stamps requests with the real time, so a shifted server clock makes
// them expired.
type skewClock struct{ offset atomic.Int64 }

func (c *skewClock) Now() time.Time { return time.Now().UTC().Add(time.Duration(c.offset.Load())) }
func (c *skewClock) After(d time.Duration) <-chan time.Time {
	return time.After(d)
}

// env is a running Sesame (console and API) over a fresh database.
type env struct {
	t        *testing.T
	URL      string
	Host     string
	Store    *store.Store
	DNS      *dnstest.Server
	Resolver *mailer.Resolver
	Clock    *skewClock
	Links    *outgoing.Links

	Admin, Marketer       *accounts.User
	AdminKey, MarketerKey tc3.Credential
}

type envOptions struct {
	wrap    func(*api.Config) // stands in for some of the API's stores
	sandbox bool              // delivery is the sandbox: DNS does not gate sending
}

func newEnv(t *testing.T) *env { return newEnvWith(t, envOptions{}) }

func newEnvWith(t *testing.T, opts envOptions) *env {
	t.Helper()
	clock := &skewClock{} // the server's one clock, as in sesame serve
	cfg := testdb.Config(t)
	cfg.Clock, cfg.Identity.Sandbox = clock, opts.sandbox
	st := testdb.OpenConfig(t, cfg)
	dns := dnstest.Start(t)
	resolver, err := mailer.NewResolver(dns.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := url.Parse("http://localhost:8080")
	srv := web.New(web.Config{PublicURL: pub, HashKey: []byte(strings.Repeat("k", 64)), Version: "test",
		Metrics: prometheus.NewRegistry(), Static: static.Files}, st.Accounts)
	links := outgoing.NewLinks("http://localhost:8080", []byte("test link key"))
	handlers.Mount(srv, compose.Console(st, handlers.Deps{Tasks: scheduler.Tasks{Store: st.Tasks}, DNS: resolver, Delivery: "sandbox",
		Builder: outgoing.NewBuilder(links), Links: links, Tracker: mailer.NewTracker(st.Tracking, slog.New(slog.DiscardHandler), time.Second)}))
	apiCfg := compose.API(st, api.Config{Tasks: scheduler.Tasks{Store: st.Tasks}, DNS: resolver, Clock: clock})
	if opts.wrap != nil {
		opts.wrap(&apiCfg)
	}
	api.New(apiCfg).Mount(srv)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	u, _ := url.Parse(ts.URL)
	e := &env{t: t, URL: ts.URL, Host: u.Host, Store: st, DNS: dns, Resolver: resolver, Clock: clock, Links: links}
	e.Admin, e.AdminKey = e.userWithKey("boss@example.com", accounts.RoleAdmin)
	e.Marketer, e.MarketerKey = e.userWithKey("ann@example.com", accounts.RoleMarketer)
	return e
}

func (e *env) userWithKey(email string, role accounts.Role) (*accounts.User, tc3.Credential) {
	e.t.Helper()
	u, err := e.Store.Accounts.CreateUser(ctx, accounts.NewUser{Email: email, Password: "correct horse 1", Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	k, secret, err := e.Store.Accounts.CreateAPIKey(ctx, u.ID, "tests")
	if err != nil {
		e.t.Fatal(err)
	}
	return u, tc3.Credential{SecretID: k.SecretID, SecretKey: secret}
}

// client is the official SDK pointed at the test server, with its default
// profile: TC3-HMAC-SHA256 over a JSON POST.
func (e *env) client(cred tc3.Credential) *ses.Client {
	return e.clientWith(cred, http.MethodPost, "TC3-HMAC-SHA256")
}

// clientWith is the SDK sending by reqMethod (POST or GET) and signing by
// signMethod (TC3-HMAC-SHA256, HmacSHA1 or HmacSHA256).
func (e *env) clientWith(cred tc3.Credential, reqMethod, signMethod string) *ses.Client {
	e.t.Helper()
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = e.Host
	prof.HttpProfile.Scheme = "http"
	prof.HttpProfile.ReqMethod, prof.SignMethod = reqMethod, signMethod
	c, err := ses.NewClient(common.NewCredential(cred.SecretID, cred.SecretKey), "ap-hongkong", prof)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) admin() *ses.Client    { return e.client(e.AdminKey) }
func (e *env) marketer() *ses.Client { return e.client(e.MarketerKey) }

// wantCode checks that an SDK call failed with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var sdkErr *sdkerrors.TencentCloudSDKError
	if !errors.As(err, &sdkErr) {
		t.Fatalf("want error %s, got %v", code, err)
	}
	if sdkErr.GetCode() != code {
		t.Fatalf("want error %s, got %s: %s", code, sdkErr.GetCode(), sdkErr.GetMessage())
	}
	if sdkErr.GetRequestId() == "" {
		t.Errorf("error %s without a RequestId", code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rawResponse is an API answer read by hand.
type rawResponse struct {
	Status      int
	ContentType string
	Body        map[string]any
	Raw         string
}

func (r rawResponse) code() string {
	resp, _ := r.Body["Response"].(map[string]any)
	e, _ := resp["Error"].(map[string]any)
	c, _ := e["Code"].(string)
	return c
}

// raw sends a request built by hand; sign says whether to sign it with
// cred at the given time (zero: now).
func (e *env) raw(action string, body []byte, cred *tc3.Credential, at time.Time, edit func(*http.Request)) rawResponse {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if action != "" {
		req.Header.Set("X-TC-Action", action)
	}
	req.Header.Set("X-TC-Version", api.Version)
	if cred != nil {
		if at.IsZero() {
			at = time.Now()
		}
		tc3.Sign(req, body, *cred, api.Service, at)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := rawResponse{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Raw: string(b)}
	_ = json.Unmarshal(b, &out.Body)
	return out
}

// wantRawCode checks a hand-made request's answer: HTTP 200, JSON, the code.
func wantRawCode(t *testing.T, r rawResponse, code string) {
	t.Helper()
	if r.Status != http.StatusOK || !strings.HasPrefix(r.ContentType, "application/json") {
		t.Fatalf("HTTP %d %s: %.300s", r.Status, r.ContentType, r.Raw)
	}
	if got := r.code(); got != code {
		t.Fatalf("want %q, got %q: %.300s", code, got, r.Raw)
	}
	resp, _ := r.Body["Response"].(map[string]any)
	if id, _ := resp["RequestId"].(string); len(id) != 36 {
		t.Errorf("RequestId %q is not a UUID", id)
	}
}

// verifiedSender makes a verified domain and a sender address under it.
func (e *env) verifiedSender(email, name string) *identity.SenderAddress {
	e.t.Helper()
	domain := email[strings.LastIndexByte(email, '@')+1:]
	if _, err := e.Store.Domains.GetDomainByName(ctx, domain); err != nil {
		d, err := e.Store.Domains.AddDomain(ctx, domain, 1024)
		must(e.t, err)
		recs, err := e.Store.Domains.DomainRecords(ctx, d)
		must(e.t, err)
		e.DNS.Publish(e.t, recs)
		e.DNS.Set(e.t, testdb.BounceHost+". 300 IN A 127.0.0.1")
		d, _, err = e.Store.Domains.VerifyDomain(ctx, e.Resolver, d.ID)
		must(e.t, err)
		if !d.Verified() {
			e.t.Fatalf("%s not verified", domain)
		}
	}
	s, err := e.Store.Senders.CreateSender(ctx, email, name)
	must(e.t, err)
	return s
}

// deliver runs the delivery engine over the queue into the sandbox.
func (e *env) deliver() {
	e.t.Helper()
	engine := mailer.NewEngine(compose.Engine(e.Store), mailer.Sandbox{}, outgoing.NewBuilder(e.Links), models.SystemClock{},
		slog.New(slog.DiscardHandler), mailer.EngineConfig{Owner: "test", BounceHost: testdb.BounceHost})
	must(e.t, engine.RunUntilIdle(ctx))
}

func b64(s string) *string {
	v := base64.StdEncoding.EncodeToString([]byte(s))
	return &v
}

// template creates a template through the API and returns its id.
func (e *env) template(t *testing.T, name, html string) uint64 {
	t.Helper()
	req := ses.NewCreateEmailTemplateRequest()
	req.TemplateName = common.StringPtr(name)
	req.TemplateContent = &ses.TemplateContent{Html: b64(html)}
	resp, err := e.marketer().CreateEmailTemplate(req)
	must(t, err)
	return *resp.Response.TemplateID
}

// sandboxRaw is the raw message the sandbox kept for a recipient.
func (e *env) sandboxRaw(t *testing.T, recipient string) string {
	t.Helper()
	msgs, err := e.Store.Sandbox.SandboxPage(ctx, 0, 1000)
	must(t, err)
	for _, m := range msgs {
		if m.Recipient == recipient {
			full, err := e.Store.Sandbox.GetSandboxMessage(ctx, m.ID)
			must(t, err)
			return string(full.Raw)
		}
	}
	t.Fatalf("nothing for %s in the sandbox", recipient)
	return ""
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// consolePage signs in to the console as email and returns a page's HTML.
func (e *env) consolePage(t *testing.T, email, path string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(e.URL + "/login")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	resp, err = c.PostForm(e.URL+"/login", url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {"correct horse 1"}})
	must(t, err)
	resp.Body.Close()
	resp, err = c.Get(e.URL + path)
	must(t, err)
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d\n%.500s", path, resp.StatusCode, page)
	}
	return string(page)
}
