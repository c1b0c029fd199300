package api_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"
)

func sendRequest(tplID uint64) *ses.SendEmailRequest {
	req := ses.NewSendEmailRequest()
	req.FromEmailAddress = common.StringPtr("news@example.com")
	req.Destination = common.StringPtrs([]string{"bob@dest.example.net"})
	req.Subject = common.StringPtr("Hello {{name}}")
	req.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID), TemplateData: common.StringPtr(`{"name":"Bob"}`)}
	return req
}

func TestSendEmailEndToEnd(t *testing.T) {
	e := newEnv(t)
	e.verifiedSender("news@example.com", "Example News")
	tplID := e.template(t, "Welcome", `<p>Hello {{name}}, your code is {{code}}. <a href="https://example.com/start">Start</a></p>`)

	req := ses.NewSendEmailRequest()
	req.FromEmailAddress = common.StringPtr("Example Team <news@example.com>")
	req.Destination = common.StringPtrs([]string{"bob@dest.example.net", "Carol@Dest.Example.NET"})
	req.Cc = common.StringPtrs([]string{"dan@cc.example.net"})
	req.Bcc = common.StringPtrs([]string{"eve@bcc.example.net"})
	req.Subject = common.StringPtr("Welcome {{name}}")
	req.ReplyToAddresses = common.StringPtr("help@example.com")
	req.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID), TemplateData: common.StringPtr(`{"name":"Bob","code":"123456"}`)}
	req.Attachments = []*ses.Attachment{{FileName: common.StringPtr("terms.txt"), Content: common.StringPtr(base64.StdEncoding.EncodeToString([]byte("The terms.\n")))}}
	req.Unsubscribe = common.StringPtr("2")
	req.TriggerType = common.Uint64Ptr(1)
	req.SmtpMessageId = common.StringPtr("<welcome-42@example.com>")
	req.SmtpHeaders = common.StringPtr(`{"X-Campaign":"spring"}`)
	resp, err := e.marketer().SendEmail(req)
	must(t, err)
	id := *resp.Response.MessageId
	if !queue.ValidMessageUID(id) {
		t.Fatalf("MessageId %q", id)
	}

	// Queued before the answer: every recipient has a durable queue row.
	today := time.Now().UTC().Format(time.DateOnly)
	status := ses.NewGetSendEmailStatusRequest()
	status.RequestDate, status.MessageId, status.Limit = common.StringPtr(today), common.StringPtr(id), common.Uint64Ptr(100)
	queued, err := e.marketer().GetSendEmailStatus(status)
	must(t, err)
	if len(queued.Response.EmailStatusList) != 4 {
		t.Fatalf("queued: %s", queued.ToJsonString())
	}
	for _, s := range queued.Response.EmailStatusList {
		if *s.MessageId != id || *s.SendStatus != 0 || *s.DeliverStatus != 0 || *s.FromEmailAddress != "news@example.com" || *s.RequestTime == 0 {
			t.Errorf("queued row: %s", queued.ToJsonString())
		}
	}
	msgs, _, err := e.Store.Queue.FindMessages(ctx, queue.MessageQuery{Day: time.Now(), Request: id})
	must(t, err)
	for _, m := range msgs {
		if !m.Transactional || m.FromName != "Example Team" {
			t.Errorf("TriggerType 1 or the sender name was lost: %+v", m.Message)
		}
	}

	e.deliver()
	raw := e.sandboxRaw(t, "Carol@dest.example.net")
	verifications, err := dkim.VerifyWithOptions(strings.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) { return e.Resolver.LookupTXT(ctx, domain) },
	})
	if err != nil || len(verifications) != 1 || verifications[0].Err != nil || verifications[0].Domain != "example.com" {
		t.Fatalf("DKIM: %+v %v\n%s", verifications, err, raw)
	}
	m, err := mail.ReadMessage(strings.NewReader(raw))
	must(t, err)
	h := m.Header
	for k, want := range map[string]string{
		"From": `"Example Team" <news@example.com>`, "To": "<bob@dest.example.net>, <Carol@dest.example.net>", "Cc": "<dan@cc.example.net>",
		"Reply-To": "<help@example.com>", "Subject": "Welcome Bob", "Message-Id": "<welcome-42@example.com>", "X-Campaign": "spring",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if h.Get("Bcc") != "" || strings.Contains(raw, "eve@bcc") {
		t.Error("the Bcc recipient shows in the message")
	}
	body := decodeMIME(t, raw)
	for _, want := range []string{"Hello Bob, your code is 123456.", "terms.txt", "The terms.", "Unsubscribe"} {
		if !strings.Contains(body, want) {
			t.Errorf("the message lacks %q:\n%s", want, body)
		}
	}
	e.sandboxRaw(t, "eve@bcc.example.net") // the Bcc recipient got it

	delivered, err := e.marketer().GetSendEmailStatus(status)
	must(t, err)
	for _, s := range delivered.Response.EmailStatusList {
		if *s.DeliverStatus != 1 || *s.DeliverTime == 0 || *s.SendStatus != 0 || *s.UserOpened || *s.UserComplained {
			t.Errorf("delivered row: %s", delivered.ToJsonString())
		}
	}
	// One recipient's status, found by address.
	one := ses.NewGetSendEmailStatusRequest()
	one.RequestDate, one.ToEmailAddress = common.StringPtr(today), common.StringPtr("dan@cc.example.net")
	dan, err := e.marketer().GetSendEmailStatus(one)
	must(t, err)
	if len(dan.Response.EmailStatusList) != 1 || *dan.Response.EmailStatusList[0].ToEmailAddress != "dan@cc.example.net" {
		t.Errorf("by address: %s", dan.ToJsonString())
	}
	// Another day has none of it.
	one.RequestDate = common.StringPtr(time.Now().AddDate(0, 0, -3).Format(time.DateOnly))
	none, err := e.marketer().GetSendEmailStatus(one)
	must(t, err)
	if len(none.Response.EmailStatusList) != 0 {
		t.Errorf("three days ago: %s", none.ToJsonString())
	}
}

// decodeMIME is every text part and attachment of a message, decoded.
func decodeMIME(t *testing.T, raw string) string {
	t.Helper()
	ent, err := message.Read(strings.NewReader(raw))
	must(t, err)
	var out bytes.Buffer
	if mr := ent.MultipartReader(); mr != nil {
		walk(t, mr, &out)
	} else {
		b, _ := io.ReadAll(ent.Body)
		out.Write(b)
	}
	return out.String()
}

func walk(t *testing.T, mr message.MultipartReader, out *bytes.Buffer) {
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		must(t, err)
		if inner := p.MultipartReader(); inner != nil {
			walk(t, inner, out)
			continue
		}
		_, params, _ := p.Header.ContentDisposition()
		out.WriteString(params["filename"] + "\n")
		b, _ := io.ReadAll(p.Body)
		out.Write(b)
		out.WriteString("\n")
	}
}

func TestSendEmailRefusals(t *testing.T) {
	e := newEnv(t)
	e.verifiedSender("news@example.com", "Example News")
	tplID := e.template(t, "Welcome", "<p>Hello {{name}}</p>")
	c := e.marketer()
	many := func(n int, domain string) []*string {
		out := make([]*string, n)
		for i := range out {
			out[i] = common.StringPtr("r" + strconv.Itoa(i) + "@" + domain)
		}
		return out
	}
	pending := ses.NewCreateEmailIdentityRequest()
	pending.EmailIdentity = common.StringPtr("pending.example.org")
	_, err := e.admin().CreateEmailIdentity(pending)
	must(t, err)
	_, err = e.Store.Senders.CreateSender(ctx, "x@pending.example.org", "")
	if err == nil {
		t.Fatal("a sender under an unverified domain")
	}

	for _, tc := range []struct {
		name string
		edit func(*ses.SendEmailRequest)
		code string
	}{
		{"51 recipients", func(r *ses.SendEmailRequest) { r.Destination = many(51, "dest.example.net") }, "FailedOperation.TooManyRecipients"},
		{"21 Cc", func(r *ses.SendEmailRequest) { r.Cc = many(21, "cc.example.net") }, "FailedOperation.TooManyRecipients"},
		{"21 Bcc", func(r *ses.SendEmailRequest) { r.Bcc = many(21, "bcc.example.net") }, "FailedOperation.TooManyRecipients"},
		{"no recipient", func(r *ses.SendEmailRequest) { r.Destination = nil }, "InvalidParameterValue.EmailAddressIsNULL"},
		{"bad recipient", func(r *ses.SendEmailRequest) { r.Destination = common.StringPtrs([]string{"bob at example"}) }, "FailedOperation.IncorrectEmail"},
		{"Bcc repeats To", func(r *ses.SendEmailRequest) { r.Bcc = common.StringPtrs([]string{"BOB@dest.example.net"}) }, "InvalidParameterValue"},
		{"unknown sender", func(r *ses.SendEmailRequest) { r.FromEmailAddress = common.StringPtr("ghost@example.com") }, "InvalidParameterValue.NoSuchSender"},
		{"malformed sender", func(r *ses.SendEmailRequest) { r.FromEmailAddress = common.StringPtr("News <news@") }, "FailedOperation.IncorrectSender"},
		{"sender name", func(r *ses.SendEmailRequest) { r.FromEmailAddress = common.StringPtr(`"A: B" <news@example.com>`) }, "InvalidParameterValue.IllegalSenderName"},
		{"no content", func(r *ses.SendEmailRequest) { r.Template = nil }, "FailedOperation.MissingEmailContent"},
		{"unknown template", func(r *ses.SendEmailRequest) { r.Template.TemplateID = common.Uint64Ptr(tplID + 99) }, "InvalidParameterValue.TemplateNotExist"},
		{"data not JSON", func(r *ses.SendEmailRequest) { r.Template.TemplateData = common.StringPtr(`name=Bob`) }, "InvalidParameterValue.TemplateDataError"},
		{"data lacks a variable", func(r *ses.SendEmailRequest) { r.Template.TemplateData = common.StringPtr(`{"other":"x"}`) }, "InvalidParameterValue.TemplateNotMatchData"},
		{"data too long", func(r *ses.SendEmailRequest) {
			r.Template.TemplateData = common.StringPtr(`{"name":"` + strings.Repeat("n", 11<<10) + `"}`)
		}, "InvalidParameterValue.TemplateDataLenLimit"},
		{"no subject", func(r *ses.SendEmailRequest) { r.Subject = nil }, "InvalidParameterValue.SubjectLengthError"},
		{"attachment not base64", func(r *ses.SendEmailRequest) {
			r.Attachments = []*ses.Attachment{{FileName: common.StringPtr("a.txt"), Content: common.StringPtr("%%%")}}
		}, "InvalidParameterValue.AttachContentIsWrong"},
		{"attachment name", func(r *ses.SendEmailRequest) {
			r.Attachments = []*ses.Attachment{{FileName: common.StringPtr("../etc/passwd"), Content: common.StringPtr("YQ==")}}
		}, "FailedOperation.InvalidAttachName"},
		{"11 attachments", func(r *ses.SendEmailRequest) {
			for i := 0; i < 11; i++ {
				r.Attachments = append(r.Attachments, &ses.Attachment{FileName: common.StringPtr("a" + strconv.Itoa(i) + ".txt"), Content: common.StringPtr("YQ==")})
			}
		}, "FailedOperation.TooManyAttachments"},
		{"attachment by URL", func(r *ses.SendEmailRequest) {
			r.Attachments = []*ses.Attachment{{FileName: common.StringPtr("a.txt"), FileURL: common.StringPtr("https://example.com/a.txt")}}
		}, "UnsupportedOperation"},
		{"unsubscribe language", func(r *ses.SendEmailRequest) { r.Unsubscribe = common.StringPtr("11") }, "InvalidParameterValue"},
		{"trigger type", func(r *ses.SendEmailRequest) { r.TriggerType = common.Uint64Ptr(2) }, "InvalidParameterValue"},
		{"reserved header", func(r *ses.SendEmailRequest) { r.SmtpHeaders = common.StringPtr(`{"Subject":"x"}`) }, "InvalidParameterValue"},
		{"header injection", func(r *ses.SendEmailRequest) { r.SmtpHeaders = common.StringPtr(`{"X-A":"a\r\nBcc: x@y.z"}`) }, "InvalidParameterValue"},
		{"headers not JSON", func(r *ses.SendEmailRequest) { r.SmtpHeaders = common.StringPtr(`X-A: b`) }, "InvalidParameterValue"},
		{"bad message id", func(r *ses.SendEmailRequest) { r.SmtpMessageId = common.StringPtr("no at sign") }, "InvalidParameterValue"},
		{"HeaderFrom of another domain", func(r *ses.SendEmailRequest) { r.HeaderFrom = common.StringPtr("ceo@other.example.org") }, "FailedOperation.IncorrectSender"},
		{"bad Reply-To", func(r *ses.SendEmailRequest) { r.ReplyToAddresses = common.StringPtr("help at example") }, "InvalidParameterValue.IllegalEmailAddress"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := sendRequest(tplID)
			tc.edit(req)
			_, err := c.SendEmail(req)
			wantCode(t, err, tc.code)
		})
	}

	if n, _ := e.Store.Queue.CountMessagesByStatus(ctx); len(n) != 0 {
		t.Errorf("refused sends queued messages: %v", n)
	}
}

func TestSendEmailTemplatesAndSimpleContent(t *testing.T) {
	e := newEnv(t)
	e.verifiedSender("news@example.com", "Example News")
	c := e.marketer()

	// Simple content is fine while templates are not reviewed.
	req := sendRequest(0)
	req.Template = nil
	req.Subject = common.StringPtr("Plain")
	req.Simple = &ses.Simple{Html: b64("<p>Direct</p>"), Text: b64("Direct")}
	_, err := c.SendEmail(req)
	must(t, err)
	req.Simple = &ses.Simple{Html: common.StringPtr("%%%")}
	_, err = c.SendEmail(req)
	wantCode(t, err, "InvalidParameterValue.EmailContentIsWrong")

	// With review on, only approved templates send.
	must(t, e.Store.Accounts.SetTemplateReviewRequired(ctx, true))
	req.Simple = &ses.Simple{Html: b64("<p>Direct</p>")}
	_, err = c.SendEmail(req)
	wantCode(t, err, "FailedOperation.WithOutPermission")
	tplID := e.template(t, "Waiting", "<p>Hello {{name}}</p>")
	_, err = c.SendEmail(sendRequest(tplID))
	wantCode(t, err, "OperationDenied.TemplateStatusError")
	_, err = e.Store.Templates.ReviewTemplate(ctx, tplID, true, "")
	must(t, err)
	_, err = c.SendEmail(sendRequest(tplID))
	must(t, err)

	// HeaderFrom shows another address of the signing domain.
	hf := sendRequest(tplID)
	hf.Destination = common.StringPtrs([]string{"hf@dest.example.net"})
	hf.HeaderFrom = common.StringPtr("The CEO <ceo@example.com>")
	_, err = c.SendEmail(hf)
	must(t, err)
	e.deliver()
	m, err := mail.ReadMessage(strings.NewReader(e.sandboxRaw(t, "hf@dest.example.net")))
	must(t, err)
	if got := m.Header.Get("From"); got != `"The CEO" <ceo@example.com>` {
		t.Errorf("HeaderFrom: From is %q", got)
	}
}

func TestSendEmailToSuppressedRecipients(t *testing.T) {
	e := newEnv(t)
	e.verifiedSender("news@example.com", "Example News")
	tplID := e.template(t, "Welcome", "<p>Hello {{name}}</p>")
	c := e.marketer()
	_, _, err := e.Store.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: "bounced@dest.example.net", Reason: audience.ReasonHardBounce})
	must(t, err)
	_, _, err = e.Store.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: "left@dest.example.net", Reason: audience.ReasonUnsubscribe, ScopeDomain: "example.com"})
	must(t, err)

	req := sendRequest(tplID)
	req.Destination = common.StringPtrs([]string{"bounced@dest.example.net"})
	_, err = c.SendEmail(req)
	wantCode(t, err, "FailedOperation.EmailAddrInBlacklist")
	req.Destination = common.StringPtrs([]string{"left@dest.example.net"})
	_, err = c.SendEmail(req)
	wantCode(t, err, "FailedOperation.ReceiverHasUnsubscribed")

	// Mixed with a good recipient, the send goes; the others are reported.
	req.Destination = common.StringPtrs([]string{"bounced@dest.example.net", "left@dest.example.net", "ok@dest.example.net"})
	resp, err := c.SendEmail(req)
	must(t, err)
	e.deliver()
	status := ses.NewGetSendEmailStatusRequest()
	status.RequestDate, status.MessageId = common.StringPtr(time.Now().UTC().Format(time.DateOnly)), resp.Response.MessageId
	got, err := c.GetSendEmailStatus(status)
	must(t, err)
	want := map[string][2]int64{"bounced@dest.example.net": {1007, 2}, "left@dest.example.net": {1013, 2}, "ok@dest.example.net": {0, 1}}
	if len(got.Response.EmailStatusList) != 3 {
		t.Fatalf("status: %s", got.ToJsonString())
	}
	for _, s := range got.Response.EmailStatusList {
		w := want[*s.ToEmailAddress]
		if *s.SendStatus != w[0] || *s.DeliverStatus != w[1] {
			t.Errorf("%s: SendStatus %d DeliverStatus %d, want %v (%s)", *s.ToEmailAddress, *s.SendStatus, *s.DeliverStatus, w, *s.DeliverMessage)
		}
	}
}

func TestGetSendEmailStatusRefusals(t *testing.T) {
	e := newEnv(t)
	c := e.marketer()
	_, err := c.GetSendEmailStatus(ses.NewGetSendEmailStatusRequest())
	wantCode(t, err, "MissingParameter")
	req := ses.NewGetSendEmailStatusRequest()
	req.RequestDate = common.StringPtr("yesterday")
	_, err = c.GetSendEmailStatus(req)
	wantCode(t, err, "InvalidParameterValue.WrongDate")
	req.RequestDate, req.Limit = common.StringPtr("2026-01-02"), common.Uint64Ptr(101)
	_, err = c.GetSendEmailStatus(req)
	wantCode(t, err, "FailedOperation.InvalidLimit")
	// RFC 3339 is read too.
	req.RequestDate, req.Limit = common.StringPtr("2026-01-02T10:00:00+08:00"), nil
	if _, err := c.GetSendEmailStatus(req); err != nil {
		t.Errorf("RFC 3339 date: %v", err)
	}
}
