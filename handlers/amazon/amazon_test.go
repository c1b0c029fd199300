package amazon_test

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sesame-email/sesame/handlers/amazon"
	"github.com/sesame-email/sesame/handlers/api"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/static"
	"github.com/sesame-email/sesame/web"
)

var ctx = context.Background()

// skewClock is the real time moved by an offset the test sets.
type skewClock struct{ offset atomic.Int64 }

func (c *skewClock) Now() time.Time                         { return time.Now().UTC().Add(time.Duration(c.offset.Load())) }
func (c *skewClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// env is a running Sesame with both APIs on one listener, in sandbox
// delivery (a domain sends before its DNS is verified), with a sender
// news@example.com and a member's API key.
type env struct {
	t             testing.TB
	URL           string
	Store         *store.Store
	Clock         *skewClock
	ID, Secret    string
	Links         *outgoing.Links
	User          *accounts.User
	templateCount int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	clock := &skewClock{}
	cfg := testdb.Config(t)
	cfg.Clock, cfg.Identity.Sandbox = clock, true
	st := testdb.OpenConfig(t, cfg)
	pub, _ := url.Parse("http://localhost:8080")
	srv := web.New(web.Config{PublicURL: pub, HashKey: []byte(strings.Repeat("k", 64)), Version: "test",
		Metrics: prometheus.NewRegistry(), Static: static.Files}, st.Accounts)
	api.New(compose.API(st, api.Config{Clock: clock})).Mount(srv)
	amazon.New(compose.Amazon(st, amazon.Config{Clock: clock})).Mount(srv)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	u, err := st.Accounts.CreateUser(ctx, accounts.NewUser{Email: "ann@example.com", Password: "correct horse 1", Role: accounts.RoleMarketer})
	must(t, err)
	k, secret, err := st.Accounts.CreateAPIKey(ctx, u.ID, "tests")
	must(t, err)
	_, err = st.Domains.AddDomain(ctx, "example.com", 1024)
	must(t, err)
	_, err = st.Senders.CreateSender(ctx, "news@example.com", "News")
	must(t, err)
	return &env{t: t, URL: ts.URL, Store: st, Clock: clock, ID: k.SecretID, Secret: secret, User: u,
		Links: outgoing.NewLinks("http://localhost:8080", []byte("test link key"))}
}

// v2 is the official SES v2 client pointed at Sesame.
func (e *env) v2(id, secret string) *sesv2.Client {
	return sesv2.New(sesv2.Options{Region: "eu-west-1", BaseEndpoint: aws.String(e.URL),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), RetryMaxAttempts: 1})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode checks that an SDK call failed with Amazon's code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
}

// deliver runs the delivery engine into the sandbox and returns the raw
// message a recipient got.
func (e *env) delivered(recipient string) string {
	e.t.Helper()
	engine := mailer.NewEngine(compose.Engine(e.Store), mailer.Sandbox{}, outgoing.NewBuilder(e.Links), models.SystemClock{},
		slog.New(slog.DiscardHandler), mailer.EngineConfig{Owner: "test", BounceHost: testdb.BounceHost})
	must(e.t, engine.RunUntilIdle(ctx))
	msgs, err := e.Store.Sandbox.SandboxPage(ctx, 0, 1000)
	must(e.t, err)
	for _, m := range msgs {
		if m.Recipient == recipient {
			full, err := e.Store.Sandbox.GetSandboxMessage(ctx, m.ID)
			must(e.t, err)
			return string(full.Raw)
		}
	}
	e.t.Fatalf("nothing for %s in the sandbox", recipient)
	return ""
}

// SES v2 through the official SDK: every action Sesame serves, the sends
// through the sending rules (the message id the console shows, a raw MIME
// message with an attachment, a template with data, a suppressed
// recipient, an unverified identity), and the signature's refusals.
func TestSESv2ThroughTheSDK(t *testing.T) {
	e := newEnv(t)
	c := e.v2(e.ID, e.Secret)
	s := aws.String

	// Templates, by name, in the store the console shows.
	_, err := c.CreateEmailTemplate(ctx, &sesv2.CreateEmailTemplateInput{TemplateName: s("welcome"),
		TemplateContent: &types.EmailTemplateContent{Subject: s("Welcome {{name}}"), Html: s("<p>Hello {{name}}, your plan is {{plan}}.</p>"), Text: s("Hello {{name}}")}})
	must(t, err)
	_, err = c.CreateEmailTemplate(ctx, &sesv2.CreateEmailTemplateInput{TemplateName: s("welcome"),
		TemplateContent: &types.EmailTemplateContent{Subject: s("x"), Html: s("<p>x</p>")}})
	wantCode(t, err, "AlreadyExistsException")
	got, err := c.GetEmailTemplate(ctx, &sesv2.GetEmailTemplateInput{TemplateName: s("welcome")})
	must(t, err)
	if *got.TemplateContent.Subject != "Welcome {{name}}" || !strings.Contains(*got.TemplateContent.Html, "{{plan}}") {
		t.Errorf("GetEmailTemplate: %+v", got.TemplateContent)
	}
	_, err = c.UpdateEmailTemplate(ctx, &sesv2.UpdateEmailTemplateInput{TemplateName: s("welcome"),
		TemplateContent: &types.EmailTemplateContent{Subject: s("Welcome, {{name}}"), Html: s("<p>Hello {{name}}, your plan is {{plan}}.</p>")}})
	must(t, err)
	if tpl, err := e.Store.Templates.TemplateByName(ctx, "welcome"); err != nil || tpl.Subject != "Welcome, {{name}}" || tpl.Status != content.TemplateApproved {
		t.Errorf("the console's template: %+v %v", tpl, err)
	}
	_, err = c.CreateEmailTemplate(ctx, &sesv2.CreateEmailTemplateInput{TemplateName: s("old"),
		TemplateContent: &types.EmailTemplateContent{Subject: s("x"), Html: s("<p>x</p>")}})
	must(t, err)
	list, err := c.ListEmailTemplates(ctx, &sesv2.ListEmailTemplatesInput{PageSize: aws.Int32(1)})
	must(t, err)
	if len(list.TemplatesMetadata) != 1 || *list.TemplatesMetadata[0].TemplateName != "old" || list.NextToken == nil {
		t.Errorf("ListEmailTemplates page 1: %+v", list)
	}
	list, err = c.ListEmailTemplates(ctx, &sesv2.ListEmailTemplatesInput{PageSize: aws.Int32(1), NextToken: list.NextToken})
	must(t, err)
	if len(list.TemplatesMetadata) != 1 || *list.TemplatesMetadata[0].TemplateName != "welcome" || list.NextToken != nil {
		t.Errorf("ListEmailTemplates page 2: %+v", list)
	}
	_, err = c.DeleteEmailTemplate(ctx, &sesv2.DeleteEmailTemplateInput{TemplateName: s("old")})
	must(t, err)
	_, err = c.GetEmailTemplate(ctx, &sesv2.GetEmailTemplateInput{TemplateName: s("old")})
	wantCode(t, err, "NotFoundException")

	// A template send with data; the message id is the console's.
	sent, err := c.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: s("News <news@example.com>"),
		Destination: &types.Destination{ToAddresses: []string{"bob@dest.example.net"}},
		Content:     &types.EmailContent{Template: &types.Template{TemplateName: s("welcome"), TemplateData: s(`{"name":"Bob","plan":"gold"}`)}},
		EmailTags:   []types.MessageTag{{Name: s("campaign"), Value: s("spring")}}, ConfigurationSetName: s("ignored")})
	must(t, err)
	if !queue.ValidMessageUID(*sent.MessageId) {
		t.Fatalf("MessageId %q", *sent.MessageId)
	}
	if msgs, _, err := e.Store.Queue.FindMessages(ctx, queue.MessageQuery{Day: time.Now(), UID: *sent.MessageId}); err != nil || len(msgs) != 1 {
		t.Fatalf("the console's message: %v %v", msgs, err)
	}
	raw := e.delivered("bob@dest.example.net")
	if !strings.Contains(raw, "Subject: Welcome, Bob") || !strings.Contains(raw, "your plan is gold") || !strings.Contains(raw, "X-Ses-Message-Tags: campaign=spring") {
		t.Errorf("the template send:\n%s", raw)
	}
	_, err = c.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: s("news@example.com"),
		Destination: &types.Destination{ToAddresses: []string{"bob@dest.example.net"}},
		Content:     &types.EmailContent{Template: &types.Template{TemplateName: s("welcome"), TemplateData: s(`{"name":"Bob"}`)}}})
	wantCode(t, err, "BadRequestException") // plan is missing

	// Simple content.
	_, err = c.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: s("news@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"cy@dest.example.net"}, BccAddresses: []string{"dee@dest.example.net"}},
		ReplyToAddresses: []string{"help@example.com"},
		Content: &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: s("Plain")},
			Body: &types.Body{Text: &types.Content{Data: s("Just text.")}}}}})
	must(t, err)
	if raw := e.delivered("cy@dest.example.net"); !strings.Contains(raw, "Reply-To: <help@example.com>") || !strings.Contains(raw, "Just text.") || strings.Contains(raw, "dee@") {
		t.Errorf("the simple send:\n%s", raw)
	}

	// A raw MIME message with an attachment; its recipients are its headers'.
	mime := "From: News <news@example.com>\r\nTo: eve@dest.example.net\r\nSubject: Your invoice\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n" +
		"--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=invoice.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 invoice")) + "\r\n--b1--\r\n"
	_, err = c.SendEmail(ctx, &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(mime)}}})
	must(t, err)
	if raw := e.delivered("eve@dest.example.net"); !strings.Contains(raw, "filename=invoice.pdf") || !strings.Contains(raw, "Subject: Your invoice") {
		t.Errorf("the raw send:\n%s", raw)
	}

	// A raw message's From is held to the sender's domain, as over SMTP;
	// another address of it is fine, and bare LF line ends get CRLF.
	forged := "From: CEO <ceo@bank.example>\nTo: eve@dest.example.net\nSubject: Pay\n\nNow.\n"
	_, err = c.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: s("news@example.com"), Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(forged)}}})
	wantCode(t, err, "MessageRejected")
	other := "From: Billing <billing@example.com>\nTo: gil@dest.example.net\nSubject: Bill\n\nHere.\n"
	_, err = c.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: s("news@example.com"), Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(other)}}})
	must(t, err)
	if raw := e.delivered("gil@dest.example.net"); !strings.Contains(raw, "From: Billing <billing@example.com>\r\n") {
		t.Errorf("the raw send from another address of the domain:\n%s", raw)
	}
	mixed := "From: news@example.com\r\nTo: eve@dest.example.net\nSubject: x\r\n\r\nx\r\n"
	_, err = c.SendEmail(ctx, &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(mixed)}}})
	wantCode(t, err, "BadRequestException")

	// An unverified identity (no such sender in Sesame) and a suppressed
	// recipient are refused as Amazon refuses them.
	_, err = c.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: s("ghost@example.org"),
		Destination: &types.Destination{ToAddresses: []string{"bob@dest.example.net"}},
		Content:     &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: s("x")}, Body: &types.Body{Text: &types.Content{Data: s("x")}}}}})
	wantCode(t, err, "MessageRejected")
	_, err = c.PutSuppressedDestination(ctx, &sesv2.PutSuppressedDestinationInput{EmailAddress: s("gone@dest.example.net"), Reason: types.SuppressionListReasonBounce})
	must(t, err)
	_, err = c.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: s("news@example.com"),
		Destination: &types.Destination{ToAddresses: []string{"gone@dest.example.net"}},
		Content:     &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: s("x")}, Body: &types.Body{Text: &types.Content{Data: s("x")}}}}})
	wantCode(t, err, "MessageRejected")

	// The suppression list.
	sup, err := c.GetSuppressedDestination(ctx, &sesv2.GetSuppressedDestinationInput{EmailAddress: s("gone@dest.example.net")})
	must(t, err)
	if sup.SuppressedDestination.Reason != types.SuppressionListReasonBounce {
		t.Errorf("GetSuppressedDestination: %+v", sup.SuppressedDestination)
	}
	_, err = c.PutSuppressedDestination(ctx, &sesv2.PutSuppressedDestinationInput{EmailAddress: s("angry@dest.example.net"), Reason: types.SuppressionListReasonComplaint})
	must(t, err)
	sups, err := c.ListSuppressedDestinations(ctx, &sesv2.ListSuppressedDestinationsInput{Reasons: []types.SuppressionListReason{types.SuppressionListReasonComplaint}})
	must(t, err)
	if len(sups.SuppressedDestinationSummaries) != 1 || *sups.SuppressedDestinationSummaries[0].EmailAddress != "angry@dest.example.net" {
		t.Errorf("ListSuppressedDestinations: %+v", sups.SuppressedDestinationSummaries)
	}
	_, err = c.DeleteSuppressedDestination(ctx, &sesv2.DeleteSuppressedDestinationInput{EmailAddress: s("gone@dest.example.net")})
	must(t, err)
	_, err = c.GetSuppressedDestination(ctx, &sesv2.GetSuppressedDestinationInput{EmailAddress: s("gone@dest.example.net")})
	wantCode(t, err, "NotFoundException")
	if got, _ := e.Store.Suppressions.SuppressionsOf(ctx, []string{"angry@dest.example.net"}); got["angry@dest.example.net"].Reason != audience.ReasonComplaint {
		t.Errorf("the console's suppression list: %+v", got)
	}

	// Bulk: each entry its own send, with its own data.
	bulk, err := c.SendBulkEmail(ctx, &sesv2.SendBulkEmailInput{FromEmailAddress: s("news@example.com"),
		DefaultContent: &types.BulkEmailContent{Template: &types.Template{TemplateName: s("welcome"), TemplateData: s(`{"name":"friend","plan":"basic"}`)}},
		BulkEmailEntries: []types.BulkEmailEntry{
			{Destination: &types.Destination{ToAddresses: []string{"fay@dest.example.net"}},
				ReplacementEmailContent: &types.ReplacementEmailContent{ReplacementTemplate: &types.ReplacementTemplate{ReplacementTemplateData: s(`{"name":"Fay"}`)}}},
			{Destination: &types.Destination{ToAddresses: []string{"angry@dest.example.net"}}},
		}})
	must(t, err)
	if r := bulk.BulkEmailEntryResults; len(r) != 2 || r[0].Status != types.BulkEmailStatusSuccess || r[1].Status != types.BulkEmailStatusMessageRejected {
		t.Errorf("SendBulkEmail: %+v", r)
	}
	if raw := e.delivered("fay@dest.example.net"); !strings.Contains(raw, "Welcome, Fay") || !strings.Contains(raw, "plan is basic") {
		t.Errorf("the bulk send:\n%s", raw)
	}

	// The account and the identities.
	acct, err := c.GetAccount(ctx, &sesv2.GetAccountInput{})
	must(t, err)
	if !acct.SendingEnabled || acct.SendQuota == nil || acct.SendQuota.SentLast24Hours < 0 {
		t.Errorf("GetAccount: %+v", acct)
	}
	ids, err := c.ListEmailIdentities(ctx, &sesv2.ListEmailIdentitiesInput{})
	must(t, err)
	if len(ids.EmailIdentities) != 1 || *ids.EmailIdentities[0].IdentityName != "example.com" || ids.EmailIdentities[0].IdentityType != types.IdentityTypeDomain ||
		ids.EmailIdentities[0].VerificationStatus != types.VerificationStatusPending || !ids.EmailIdentities[0].SendingEnabled {
		t.Errorf("ListEmailIdentities: %+v", ids.EmailIdentities)
	}
	id, err := c.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: s("news@example.com")})
	must(t, err)
	if id.IdentityType != types.IdentityTypeEmailAddress || id.DkimAttributes == nil || id.DkimAttributes.Status != types.DkimStatusPending {
		t.Errorf("GetEmailIdentity: %+v", id)
	}
	_, err = c.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: s("nowhere.example")})
	wantCode(t, err, "NotFoundException")
}

// Wrong keys, a wrong secret and a clock off by more than 5 minutes get
// Amazon's codes; a replayed request is refused as the Tencent API
// refuses one.
func TestSESv2Signatures(t *testing.T) {
	e := newEnv(t)
	_, err := e.v2("AKIDnotakeyatall0000", e.Secret).GetAccount(ctx, &sesv2.GetAccountInput{})
	wantCode(t, err, "InvalidClientTokenId")
	_, err = e.v2(e.ID, strings.Repeat("x", 40)).GetAccount(ctx, &sesv2.GetAccountInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	e.Clock.offset.Store(int64(6 * time.Minute))
	_, err = e.v2(e.ID, e.Secret).GetAccount(ctx, &sesv2.GetAccountInput{})
	wantCode(t, err, "RequestExpired")
	e.Clock.offset.Store(0)

	// A captured send, sent again after the grace, is refused.
	var captured *http.Request
	var body []byte
	c := sesv2.New(sesv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.URL),
		Credentials: credentials.NewStaticCredentialsProvider(e.ID, e.Secret, ""), RetryMaxAttempts: 1,
		HTTPClient: httpFunc(func(r *http.Request) (*http.Response, error) {
			captured, body = r.Clone(ctx), readAll(r)
			return http.DefaultClient.Do(r)
		})})
	_, err = c.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: aws.String("news@example.com"),
		Destination: &types.Destination{ToAddresses: []string{"once@dest.example.net"}},
		Content:     &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("x")}, Body: &types.Body{Text: &types.Content{Data: aws.String("x")}}}}})
	must(t, err)
	e.Clock.offset.Store(int64(3 * time.Second))
	again, _ := http.NewRequest(captured.Method, captured.URL.String(), strings.NewReader(string(body)))
	again.Header = captured.Header.Clone()
	resp, err := http.DefaultClient.Do(again)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "SignatureDoesNotMatch" {
		t.Errorf("the replay: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	if msgs, _, _ := e.Store.Queue.FindMessages(ctx, queue.MessageQuery{Day: time.Now(), Recipient: "once@dest.example.net"}); len(msgs) != 1 {
		t.Errorf("%d messages after the replay, want 1", len(msgs))
	}
}

type httpFunc func(*http.Request) (*http.Response, error)

func (f httpFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func readAll(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	r.Body = readCloser{strings.NewReader(b.String())}
	return []byte(b.String())
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// BenchmarkSESv2SendEmail is one SES v2 SendEmail through the SDK: the
// signature check, the replay record and the queueing of one message.
func BenchmarkSESv2SendEmail(b *testing.B) {
	e := newEnv(b)
	c := e.v2(e.ID, e.Secret)
	in := &sesv2.SendEmailInput{FromEmailAddress: aws.String("news@example.com"),
		Destination: &types.Destination{ToAddresses: []string{"bench@dest.example.net"}},
		Content:     &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("x")}, Body: &types.Body{Text: &types.Content{Data: aws.String("x")}}}}}
	b.ResetTimer()
	for range b.N {
		if _, err := c.SendEmail(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
