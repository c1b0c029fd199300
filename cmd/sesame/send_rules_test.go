package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	netsmtp "net/smtp"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/identity"
)

// One send rule, applied by models/sending to every entry point: a sender
// whose domain may not send is refused by the console's test send and task
// form, the API's SendEmail and BatchSendEmail, and SMTP, each in its own
// words; once the domain may send again, all of them accept. The rule's
// one input here is the domain's status.
func TestOneSendRuleForEveryEntryPoint(t *testing.T) {
	a := launchApp(t, models.SystemClock{}, true, func(c *Config) { c.Delivery = "relay://127.0.0.1:9?tls=none" })
	ctx := context.Background()
	a.user(t, "ann@example.com", "marketer pass 1", accounts.RoleMarketer)
	sender := fixtures.Sender(t, a.store, a.DNS, "news@example.test", "News")
	if err := a.store.Senders.SetSMTPPassword(ctx, sender.ID, "Secret2026x"); err != nil {
		t.Fatal(err)
	}
	tpl := fixtures.Template(t, a.store, "Welcome")
	group := fixtures.Group(t, a.store, "Readers", 3)
	user, err := a.store.Accounts.GetUserByEmail(ctx, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := a.store.Accounts.CreateAPIKey(ctx, user.ID, "rules")
	if err != nil {
		t.Fatal(err)
	}
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint, prof.HttpProfile.Scheme = strings.TrimPrefix(a.URL, "http://"), "http"
	sdk, err := ses.NewClient(common.NewCredential(key.SecretID, secret), "ap-guangzhou", prof)
	if err != nil {
		t.Fatal(err)
	}
	console := signedIn(t, a.URL, "ann@example.com", "marketer pass 1")

	// Each entry point's attempt: whether the rule refused it, whether it
	// was accepted, and what it answered.
	attempts := map[string]func() (refused, accepted bool, detail string){
		"console test send": func() (bool, bool, string) {
			status, body := console.post("/send-test", url.Values{"sender_id": {strconv.FormatUint(sender.ID, 10)},
				"template_id": {strconv.FormatUint(tpl.ID, 10)}, "to": {"bob@dest.test"}, "variables": {`{"name":"Bob"}`}})
			return refusedForm(status, body), status == http.StatusSeeOther, strconv.Itoa(status)
		},
		"console task": func() (bool, bool, string) {
			status, body := console.post("/tasks/preflight", url.Values{"name": {"Rules"}, "kind": {"batch"}, "sender_id": {strconv.FormatUint(sender.ID, 10)},
				"template_id": {strconv.FormatUint(tpl.ID, 10)}, "group_id": {strconv.FormatUint(group.ID, 10)}, "time_zone": {"UTC"}})
			return refusedForm(status, body), status == http.StatusOK && strings.Contains(body, `data-testid="preflight"`), strconv.Itoa(status)
		},
		"API SendEmail": func() (bool, bool, string) {
			req := ses.NewSendEmailRequest()
			req.FromEmailAddress, req.Destination = common.StringPtr("news@example.test"), common.StringPtrs([]string{"bob@dest.test"})
			req.Subject = common.StringPtr("Hi")
			req.Template = &ses.Template{TemplateID: common.Uint64Ptr(tpl.ID), TemplateData: common.StringPtr(`{"name":"Bob"}`)}
			_, err := sdk.SendEmail(req)
			return err != nil && strings.Contains(err.Error(), "OperationDenied.DomainNotVerified"), err == nil, errText(err)
		},
		"API BatchSendEmail": func() (bool, bool, string) {
			req := ses.NewBatchSendEmailRequest()
			req.FromEmailAddress, req.ReceiverId, req.Subject = common.StringPtr("news@example.test"), common.Uint64Ptr(group.ID), common.StringPtr("Hi")
			req.TaskType = common.Uint64Ptr(1)
			req.Template = &ses.Template{TemplateID: common.Uint64Ptr(tpl.ID), TemplateData: common.StringPtr(`{}`)}
			_, err := sdk.BatchSendEmail(req)
			return err != nil && strings.Contains(err.Error(), "OperationDenied.DomainNotVerified"), err == nil, errText(err)
		},
		"SMTP": func() (bool, bool, string) {
			c, err := netsmtp.Dial(a.SMTPAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.StartTLS(a.clientTLS(t)); err != nil {
				t.Fatal(err)
			}
			host, _, _ := net.SplitHostPort(a.SMTPAddr)
			if err := c.Auth(netsmtp.PlainAuth("", sender.Email, "Secret2026x", host)); err != nil {
				t.Fatal(err)
			}
			err = c.Mail(sender.Email)
			return err != nil && strings.Contains(err.Error(), "The sender's domain is not verified"), err == nil, errText(err)
		},
	}
	setStatus := func(status identity.DomainStatus) {
		if err := a.store.DB.Gorm.Model(&identity.Domain{}).Where("id = ?", sender.DomainID).Update("status", status).Error; err != nil {
			t.Fatal(err)
		}
	}
	setStatus(identity.DomainPending) // the domain lost its verification
	for name, try := range attempts {
		if refused, _, detail := try(); !refused {
			t.Errorf("%s from an unverified domain: not refused by the rule (%s)", name, detail)
		}
	}
	setStatus(identity.DomainVerified)
	for name, try := range attempts {
		if _, accepted, detail := try(); !accepted {
			t.Errorf("%s from a verified domain: not accepted (%s)", name, detail)
		}
	}
}

// refusedForm says whether the console refused a form for the sending rule:
// the field's error, or, when no sender address can send at all, the
// form's empty state saying what it needs.
func refusedForm(status int, body string) bool {
	return status == http.StatusUnprocessableEntity &&
		(strings.Contains(body, "is not verified, so it cannot send") || strings.Contains(body, "a sender address of a verified domain"))
}

func errText(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

// consoleClient is a signed-in console session, for form posts without a
// browser.
type consoleClient struct {
	t    *testing.T
	base string
	http *http.Client
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func signedIn(t *testing.T, base, email, password string) *consoleClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &consoleClient{t: t, base: base, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if status, _ := c.postFrom("/login", "/login", url.Values{"email": {email}, "password": {password}}); status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", status)
	}
	return c
}

// post submits a form with the CSRF token of the page the form is on.
func (c *consoleClient) post(path string, form url.Values) (int, string) {
	return c.postFrom("/", path, form)
}

func (c *consoleClient) postFrom(page, path string, form url.Values) (int, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + page)
	if err != nil {
		c.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		c.t.Fatalf("no CSRF token on %s", page)
	}
	form.Set("_csrf", string(m[1]))
	resp, err = c.http.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
