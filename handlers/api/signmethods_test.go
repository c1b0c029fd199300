package api_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/handlers/api"
	"github.com/sesame-email/sesame/internal/tc3"
	"github.com/sesame-email/sesame/models/queue"
)

// Every way the SDK can sign and send works: TC3-HMAC-SHA256 (its
// default), HmacSHA1 and HmacSHA256, each by POST and by GET, with the
// parameters flattened (lists, nested structs, numbers, text that needs
// encoding). A request sent again is refused as a replay: an HmacSHA one
// at once, whatever it asks, as its Nonce was used; a TC3 one that changes
// state once its grace is over, while a TC3 read may be repeated.
func TestEverySignatureMethodAndHTTPMethod(t *testing.T) {
	e := newEnv(t)
	e.verifiedSender("news@example.com", "News")
	tplID := e.template(t, "Welcome", "<p>Hi {{name}}</p>")
	for _, sign := range []string{"TC3-HMAC-SHA256", "HmacSHA1", "HmacSHA256"} {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			t.Run(sign+" "+method, func(t *testing.T) {
				legacy := sign != "TC3-HMAC-SHA256"
				rec := &recorder{}
				c := e.clientWith(e.MarketerKey, method, sign)
				c.WithHttpTransport(rec)

				to := strings.ToLower(sign+"."+method) + "@example.org"
				send := ses.NewSendEmailRequest()
				send.FromEmailAddress = common.StringPtr("News Desk <news@example.com>")
				send.Destination = common.StringPtrs([]string{to, "second+" + to})
				send.Subject = common.StringPtr("Hi {{name}} & co")
				send.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID), TemplateData: common.StringPtr(`{"name":"Ann = Bob"}`)}
				send.Attachments = []*ses.Attachment{{FileName: common.StringPtr("notes 1.txt"), Content: common.StringPtr(base64.StdEncoding.EncodeToString([]byte("a+b=c?")))}}
				send.TriggerType = common.Uint64Ptr(1)
				resp, err := c.SendEmail(send)
				must(t, err)
				queued := func() []queue.MessageRow {
					msgs, _, err := e.Store.Queue.FindMessages(ctx, queue.MessageQuery{Day: time.Now(), Request: *resp.Response.MessageId, Limit: 10})
					must(t, err)
					return msgs
				}
				msgs := queued()
				if len(msgs) != 2 || !msgs[0].Transactional || msgs[0].FromName != "News Desk" || !strings.Contains(msgs[0].Variables, "Ann = Bob") {
					t.Fatalf("queued: %+v", msgs)
				}
				if !legacy {
					e.Clock.offset.Store(int64(3 * time.Second))
					defer e.Clock.offset.Store(0)
				}
				wantReplayRefused(t, rec.resend(e))
				if n := len(queued()); n != 2 {
					t.Errorf("%d messages after the replay, want 2", n)
				}

				list := ses.NewListEmailTemplatesRequest()
				list.Limit, list.Offset = common.Uint64Ptr(10), common.Uint64Ptr(0)
				templates, err := c.ListEmailTemplates(list)
				must(t, err)
				if *templates.Response.TotalCount != 1 || *templates.Response.TemplatesMetadata[0].TemplateID != tplID {
					t.Errorf("ListEmailTemplates: %s", templates.ToJsonString())
				}
				if again := rec.resend(e); legacy {
					wantReplayRefused(t, again)
				} else {
					wantRawCode(t, again, "")
				}

				// Refusals come back the same way.
				_, err = c.CreateCustomBlacklist(ses.NewCreateCustomBlacklistRequest())
				wantCode(t, err, "MissingParameter.EmailsNecessary")
				wrong := e.MarketerKey
				wrong.SecretKey = strings.Repeat("x", 40)
				_, err = e.clientWith(wrong, method, sign).ListEmailTemplates(list)
				wantCode(t, err, "AuthFailure.SignatureFailure")
				e.Clock.offset.Store(int64(6 * time.Minute))
				_, err = c.ListEmailTemplates(list)
				wantCode(t, err, "AuthFailure.SignatureExpire")
				e.Clock.offset.Store(0)
			})
		}
	}
}

// GET / without an action is still the dashboard: a browser is sent to
// sign in, not answered by the API.
func TestTheDashboardKeepsPlainGETs(t *testing.T) {
	e := newEnv(t)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(e.URL + "/?Action=SendEmail")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("GET /?Action=SendEmail: %d %v", resp.StatusCode, resp.Header)
	}
}

// HmacSHA requests built by hand: flattened parameters that cannot be
// read, a parameter given twice, an unknown signature method, a missing
// Nonce, an unknown action and an old timestamp each get their code, never
// a fault.
func TestLegacyRequestsByHand(t *testing.T) {
	e := newEnv(t)
	send := func(edit func(url.Values)) rawResponse {
		p := url.Values{"Action": {"ListEmailTemplates"}, "Version": {api.Version}, "Region": {"ap-hongkong"}, "SecretId": {e.MarketerKey.SecretID},
			"Timestamp": {strconv.FormatInt(time.Now().Unix(), 10)}, "Nonce": {strconv.Itoa(int(time.Now().UnixNano() % 1e9))},
			"SignatureMethod": {"HmacSHA256"}, "Limit": {"10"}, "Offset": {"0"}}
		edit(p)
		p.Set("Signature", tc3.LegacySignature(e.MarketerKey.SecretKey, p.Get("SignatureMethod"), tc3.LegacyStringToSign(http.MethodGet, e.Host, "/", p)))
		resp, err := http.Get(e.URL + "/?" + p.Encode())
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		out := rawResponse{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Raw: string(b)}
		_ = json.Unmarshal(b, &out.Body)
		return out
	}
	wantRawCode(t, send(func(url.Values) {}), "")
	wantRawCode(t, send(func(p url.Values) { p.Set("Limit", "ten") }), "InvalidParameter")
	wantRawCode(t, send(func(p url.Values) { p.Set("Limit.x", "1") }), "InvalidParameter")
	wantRawCode(t, send(func(p url.Values) { p.Set("Surprise", "1") }), "UnknownParameter")
	wantRawCode(t, send(func(p url.Values) { p.Set("SignatureMethod", "MD5") }), "InvalidParameterValue")
	wantRawCode(t, send(func(p url.Values) { p.Del("Nonce") }), "MissingParameter")
	wantRawCode(t, send(func(p url.Values) { p.Set("Action", "Nope") }), "InvalidAction")
	wantRawCode(t, send(func(p url.Values) { p.Set("Timestamp", strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)) }), "AuthFailure.SignatureExpire")
	r := send(func(p url.Values) { p.Set("Offset", "0"); p["Offset"] = append(p["Offset"], "5") })
	wantRawCode(t, r, "InvalidParameter")
}
