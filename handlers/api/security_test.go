package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-email/sesame/models/queue"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"
)

// Ids of 2^63 and beyond name nothing (the databases' ids are signed): each
// action answers its not-found code, as for any unknown id, instead of an
// InternalError from the database driver.
func TestHugeIDsAreNotFound(t *testing.T) {
	e := newEnv(t)
	e.verifiedSender("news@example.com", "News")
	tplID := e.template(t, "Welcome", "<p>Hi</p>")
	c := e.marketer()
	for _, huge := range []uint64{1 << 63, 1<<64 - 1} {
		id := common.Uint64Ptr(huge)
		get := ses.NewGetEmailTemplateRequest()
		get.TemplateID = id
		_, err := c.GetEmailTemplate(get)
		wantCode(t, err, "InvalidParameterValue.TemplateNotExist")

		upd := ses.NewUpdateEmailTemplateRequest()
		upd.TemplateID, upd.TemplateName, upd.TemplateContent = id, common.StringPtr("x"), &ses.TemplateContent{Html: b64("<p>x</p>")}
		_, err = c.UpdateEmailTemplate(upd)
		wantCode(t, err, "InvalidParameterValue.TemplateNotExist")

		del := ses.NewDeleteEmailTemplateRequest()
		del.TemplateID = id
		_, err = c.DeleteEmailTemplate(del)
		wantCode(t, err, "InvalidParameterValue.TemplateNotExist")

		send := ses.NewSendEmailRequest()
		send.FromEmailAddress, send.Destination, send.Subject = common.StringPtr("news@example.com"), common.StringPtrs([]string{"ann@example.org"}), common.StringPtr("Hi")
		send.Template = &ses.Template{TemplateID: id, TemplateData: common.StringPtr("{}")}
		_, err = c.SendEmail(send)
		wantCode(t, err, "InvalidParameterValue.TemplateNotExist")

		batch := ses.NewBatchSendEmailRequest()
		batch.FromEmailAddress, batch.Subject, batch.TaskType = common.StringPtr("news@example.com"), common.StringPtr("Hi"), common.Uint64Ptr(1)
		batch.ReceiverId, batch.Template = id, &ses.Template{TemplateID: common.Uint64Ptr(tplID)}
		_, err = c.BatchSendEmail(batch)
		wantCode(t, err, "OperationDenied.ReceiverNotExist")

		delReceiver := ses.NewDeleteReceiverRequest()
		delReceiver.ReceiverId = id
		_, err = c.DeleteReceiver(delReceiver)
		wantCode(t, err, "OperationDenied.ReceiverNotExist")

		detail := ses.NewCreateReceiverDetailRequest()
		detail.ReceiverId, detail.Emails = id, common.StringPtrs([]string{"ann@example.org"})
		_, err = c.CreateReceiverDetail(detail)
		wantCode(t, err, "OperationDenied.ReceiverNotExist")

		withData := ses.NewCreateReceiverDetailWithDataRequest()
		withData.ReceiverId = id
		withData.Datas = []*ses.ReceiverInputData{{Email: common.StringPtr("ann@example.org"), TemplateData: common.StringPtr("{}")}}
		_, err = c.CreateReceiverDetailWithData(withData)
		wantCode(t, err, "OperationDenied.ReceiverNotExist")

		details := ses.NewListReceiverDetailsRequest()
		details.ReceiverId, details.Offset, details.Limit = id, common.Uint64Ptr(0), common.Uint64Ptr(10)
		_, err = c.ListReceiverDetails(details)
		wantCode(t, err, "OperationDenied.ReceiverNotExist")

		tasks := ses.NewListSendTasksRequest()
		tasks.ReceiverId, tasks.Offset, tasks.Limit = id, common.Uint64Ptr(0), common.Uint64Ptr(10)
		_, err = c.ListSendTasks(tasks)
		wantCode(t, err, "OperationDenied.ReceiverNotExist")

		black := ses.NewUpdateCustomBlackListRequest()
		black.Id, black.Email = id, common.StringPtr("ann@example.org")
		_, err = c.UpdateCustomBlackList(black)
		wantCode(t, err, "ResourceNotFound")
	}
	// The largest id a row can have is merely unknown.
	get := ses.NewGetEmailTemplateRequest()
	get.TemplateID = common.Uint64Ptr(1<<63 - 1)
	_, err := c.GetEmailTemplate(get)
	wantCode(t, err, "InvalidParameterValue.TemplateNotExist")
}

// recorder is an SDK transport that keeps the last request sent: what an
// attacker on the wire would capture.
type recorder struct {
	mu          sync.Mutex
	method, url string
	header      http.Header
	body        []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.method, r.url, r.header, r.body = req.Method, req.URL.String(), req.Header.Clone(), body
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	return http.DefaultTransport.RoundTrip(req)
}

// replay sends the captured request again, as action.
func (r *recorder) replay(e *env, action string) rawResponse {
	e.t.Helper()
	r.mu.Lock()
	header, body := r.header.Clone(), r.body
	r.mu.Unlock()
	return e.raw("", body, nil, time.Time{}, func(req *http.Request) {
		req.Header = http.Header{}
		for k, v := range header {
			if !strings.EqualFold(k, "X-TC-Action") { // the SDK does not write it in canonical form
				req.Header[k] = v
			}
		}
		req.Header.Set("X-TC-Action", action)
	})
}

// resend sends the captured request again, exactly as it was.
func (r *recorder) resend(e *env) rawResponse {
	e.t.Helper()
	r.mu.Lock()
	req, _ := http.NewRequest(r.method, r.url, bytes.NewReader(r.body))
	req.Header = r.header.Clone()
	r.mu.Unlock()
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

func (e *env) recordingClient(key string) (*ses.Client, *recorder) {
	cred := e.MarketerKey
	if key == "admin" {
		cred = e.AdminKey
	}
	rec := &recorder{}
	c := e.client(cred)
	c.WithHttpTransport(rec)
	return c, rec
}

// wantReplayRefused checks an answer is AuthFailure.SignatureFailure saying
// the request was replayed.
func wantReplayRefused(t *testing.T, r rawResponse) {
	t.Helper()
	wantRawCode(t, r, "AuthFailure.SignatureFailure")
	if !strings.Contains(r.Raw, "replayed") {
		t.Errorf("the message does not say the request was replayed: %s", r.Raw)
	}
}

// The SDK signs neither the action nor a nonce: a captured request verifies
// again for 5 minutes, for any action. More than 2 seconds after its first
// use it is refused for another action or for one that changes state.
func TestReplayedRequestsAreRefused(t *testing.T) {
	e := newEnv(t)
	e.verifiedSender("news@example.com", "News")
	tplID := e.template(t, "Welcome", "<p>Hi {{name}}</p>")
	c, rec := e.recordingClient("marketer")
	later := func(d time.Duration) { e.Clock.offset.Add(int64(d)) }

	// A GetEmailTemplate replayed as DeleteEmailTemplate deleted the template.
	get := ses.NewGetEmailTemplateRequest()
	get.TemplateID = common.Uint64Ptr(tplID)
	_, err := c.GetEmailTemplate(get)
	must(t, err)
	later(3 * time.Second)
	wantReplayRefused(t, rec.replay(e, "DeleteEmailTemplate"))
	if _, err := e.Store.Templates.GetTemplate(ctx, tplID); err != nil {
		t.Fatalf("the template: %v", err)
	}
	// The same read, again and again, is harmless and allowed.
	wantRawCode(t, rec.replay(e, "GetEmailTemplate"), "")
	later(4 * time.Minute)
	wantRawCode(t, rec.replay(e, "GetEmailTemplate"), "")

	// A replayed SendEmail sent a second copy.
	send := ses.NewSendEmailRequest()
	send.FromEmailAddress, send.Destination, send.Subject = common.StringPtr("news@example.com"), common.StringPtrs([]string{"once@example.org"}), common.StringPtr("Hi")
	send.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID), TemplateData: common.StringPtr(`{"name":"Ann"}`)}
	_, err = c.SendEmail(send)
	must(t, err)
	later(3 * time.Second)
	wantReplayRefused(t, rec.replay(e, "SendEmail"))
	msgs, _, err := e.Store.Queue.FindMessages(ctx, queue.MessageQuery{Day: e.Clock.Now(), Recipient: "once@example.org", Limit: 10})
	must(t, err)
	if len(msgs) != 1 {
		t.Errorf("%d messages to once@example.org, want 1", len(msgs))
	}
}

// SendEmail records its signature's use in the transaction that queues
// its mail; one refused before that transaction records it on its own, so
// that it cannot be replayed once the refusal's cause is gone.
func TestARefusedSendEmailCannotBeReplayed(t *testing.T) {
	e := newEnv(t)
	tplID := e.template(t, "Welcome", "<p>Hi {{name}}</p>")
	c, rec := e.recordingClient("marketer")
	send := ses.NewSendEmailRequest()
	send.FromEmailAddress, send.Destination, send.Subject = common.StringPtr("late@example.com"), common.StringPtrs([]string{"ann@example.org"}), common.StringPtr("Hi")
	send.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID), TemplateData: common.StringPtr(`{"name":"Ann"}`)}
	if _, err := c.SendEmail(send); err == nil {
		t.Fatal("a send from an unknown sender address was accepted")
	}
	e.verifiedSender("late@example.com", "Late") // the cause of the refusal is gone
	e.Clock.offset.Add(int64(3 * time.Second))
	wantReplayRefused(t, rec.replay(e, "SendEmail"))
	msgs, _, err := e.Store.Queue.FindMessages(ctx, queue.MessageQuery{Day: e.Clock.Now(), Recipient: "ann@example.org", Limit: 10})
	must(t, err)
	if len(msgs) != 0 {
		t.Errorf("%d messages to ann@example.org, want none", len(msgs))
	}
	// A fresh signature (over another body: the SDK signs the same body
	// alike within a second) sends.
	send.Subject = common.StringPtr("Hi again")
	if _, err := c.SendEmail(send); err != nil {
		t.Fatal(err)
	}
}

// The SDK gives two calls with the same body in the same second the same
// signature: CreateEmailIdentity then UpdateEmailIdentity on one domain
// must both work. Only later is the second use a replay.
func TestSameSecondCallsWithTheSameBodyWork(t *testing.T) {
	e := newEnv(t)
	c, rec := e.recordingClient("admin")
	create := ses.NewCreateEmailIdentityRequest()
	create.EmailIdentity = common.StringPtr("pair.example")
	_, err := c.CreateEmailIdentity(create)
	must(t, err)
	// The same signed body as UpdateEmailIdentity, within the second.
	wantRawCode(t, rec.replay(e, "UpdateEmailIdentity"), "")
	update := ses.NewUpdateEmailIdentityRequest()
	update.EmailIdentity = common.StringPtr("pair.example")
	_, err = c.UpdateEmailIdentity(update)
	must(t, err)
	e.Clock.offset.Add(int64(3 * time.Second))
	wantReplayRefused(t, rec.replay(e, "DeleteEmailIdentity"))
	if _, err := e.Store.Domains.GetDomainByName(ctx, "pair.example"); err != nil {
		t.Errorf("the domain: %v", err)
	}
}

// A control character in a subject, a display name or a value a subject's
// variable is given would end up in a header; a display name showing an
// address other than the sender's is the phishing shape. Each is refused
// with the action's code.
func TestHeaderSpoofingIsRefused(t *testing.T) {
	e := newEnv(t)
	e.verifiedSender("news@example.com", "News")
	tplID := e.template(t, "Welcome", "<p>Hi {{name}}</p>")
	c := e.marketer()
	send := func(edit func(*ses.SendEmailRequest)) error {
		req := ses.NewSendEmailRequest()
		req.FromEmailAddress, req.Destination = common.StringPtr("news@example.com"), common.StringPtrs([]string{"ann@example.org"})
		req.Subject = common.StringPtr("Hi {{name}}")
		req.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID), TemplateData: common.StringPtr(`{"name":"Ann"}`)}
		edit(req)
		_, err := c.SendEmail(req)
		return err
	}
	wantCode(t, send(func(r *ses.SendEmailRequest) { r.Subject = common.StringPtr("Your invoice\x00 from the bank") }), "InvalidParameterValue.SubjectLengthError")
	wantCode(t, send(func(r *ses.SendEmailRequest) {
		r.Template.TemplateData = common.StringPtr(`{"name":"Ann\u0000 (verified)"}`)
	}), "InvalidParameterValue.TemplateDataError")
	wantCode(t, send(func(r *ses.SendEmailRequest) {
		r.Template.TemplateData = common.StringPtr(`{"name":"Ann\rBcc: all@example.org"}`)
	}), "InvalidParameterValue.TemplateDataError")
	wantCode(t, send(func(r *ses.SendEmailRequest) {
		r.FromEmailAddress = common.StringPtr(`"ceo@bank.example" <news@example.com>`)
	}), "InvalidParameterValue.IllegalSenderName")
	wantCode(t, send(func(r *ses.SendEmailRequest) {
		r.FromEmailAddress = common.StringPtr("=?utf-8?q?News=00Bank?= <news@example.com>")
	}),
		"InvalidParameterValue.IllegalSenderName")
	wantCode(t, send(func(r *ses.SendEmailRequest) {
		r.HeaderFrom = common.StringPtr(`"billing@bank.example" <alerts@example.com>`)
	}),
		"InvalidParameterValue.IllegalSenderName")
	if msgs, _, _ := e.Store.Queue.FindMessages(ctx, queue.MessageQuery{Day: e.Clock.Now(), Recipient: "ann@example.org"}); len(msgs) != 0 {
		t.Fatalf("%d messages queued", len(msgs))
	}
	must(t, send(func(r *ses.SendEmailRequest) {
		r.FromEmailAddress = common.StringPtr("News (news@example.com) <news@example.com>")
	}))

	addr := ses.NewCreateEmailAddressRequest()
	addr.EmailAddress, addr.EmailSenderName = common.StringPtr("billing@example.com"), common.StringPtr("ceo@bank.example")
	_, err := c.CreateEmailAddress(addr)
	wantCode(t, err, "InvalidParameterValue.IllegalSenderName")
	addr.EmailSenderName = common.StringPtr("Billing\x00")
	_, err = c.CreateEmailAddress(addr)
	wantCode(t, err, "InvalidParameterValue.IllegalSenderName")

	group := ses.NewCreateReceiverRequest()
	group.ReceiversName = common.StringPtr("Readers")
	g, err := c.CreateReceiver(group)
	must(t, err)
	detail := ses.NewCreateReceiverDetailRequest()
	detail.ReceiverId, detail.Emails = g.Response.ReceiverId, common.StringPtrs([]string{"bob@example.org"})
	_, err = c.CreateReceiverDetail(detail)
	must(t, err)
	batch := ses.NewBatchSendEmailRequest()
	batch.FromEmailAddress, batch.Subject, batch.TaskType = common.StringPtr("news@example.com"), common.StringPtr("Hi {{name}}"), common.Uint64Ptr(1)
	batch.ReceiverId, batch.Template = g.Response.ReceiverId, &ses.Template{TemplateID: common.Uint64Ptr(tplID), TemplateData: common.StringPtr(`{"name":"you\u0007"}`)}
	_, err = c.BatchSendEmail(batch)
	wantCode(t, err, "InvalidParameterValue.TemplateDataError")
	batch.Template.TemplateData = common.StringPtr(`{"name":"you"}`)
	batch.FromEmailAddress = common.StringPtr(`"security@bank.example" <news@example.com>`)
	_, err = c.BatchSendEmail(batch)
	wantCode(t, err, "InvalidParameterValue.IllegalSenderName")
}
