package amazon_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sesv1 "github.com/aws/aws-sdk-go-v2/service/ses"
	v1types "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	tencent "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/queue"
)

func (e *env) v1(id, secret string) *sesv1.Client {
	return sesv1.New(sesv1.Options{Region: "us-west-2", BaseEndpoint: aws.String(e.URL),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), RetryMaxAttempts: 1})
}

// SES v1 (the query protocol, XML answers) through the official SDK, on
// POST / beside the Tencent API: the sends go through the sending rules,
// refusals come back in Amazon's codes.
func TestSESv1ThroughTheSDK(t *testing.T) {
	e := newEnv(t)
	c := e.v1(e.ID, e.Secret)
	s := aws.String
	_, err := e.Store.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "receipt", Subject: "Receipt {{order}}", HTML: "<p>Order {{order}} is paid.</p>"}, nil)
	must(t, err)

	sent, err := c.SendEmail(ctx, &sesv1.SendEmailInput{Source: s("News <news@example.com>"),
		Destination: &v1types.Destination{ToAddresses: []string{"ann@dest.example.net"}, CcAddresses: []string{"bo@dest.example.net"}},
		Message: &v1types.Message{Subject: &v1types.Content{Data: s("Hello v1")},
			Body: &v1types.Body{Html: &v1types.Content{Data: s("<p>Hi & welcome</p>")}, Text: &v1types.Content{Data: s("Hi & welcome")}}},
		ReplyToAddresses: []string{"help@example.com"}})
	must(t, err)
	if !queue.ValidMessageUID(*sent.MessageId) {
		t.Errorf("MessageId %q", *sent.MessageId)
	}
	if raw := e.delivered("bo@dest.example.net"); !strings.Contains(raw, "Subject: Hello v1") || !strings.Contains(raw, "Hi & welcome") ||
		!strings.Contains(raw, "To: <ann@dest.example.net>") || !strings.Contains(raw, "Cc: <bo@dest.example.net>") {
		t.Errorf("SendEmail:\n%s", raw)
	}

	mime := "From: news@example.com\r\nTo: cy@dest.example.net\r\nSubject: Invoice\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n" +
		"--b1\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=lines.csv\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("a,b\n1,2\n")) + "\r\n--b1--\r\n"
	_, err = c.SendRawEmail(ctx, &sesv1.SendRawEmailInput{RawMessage: &v1types.RawMessage{Data: []byte(mime)}, Destinations: []string{"cy@dest.example.net"}})
	must(t, err)
	if raw := e.delivered("cy@dest.example.net"); !strings.Contains(raw, "filename=lines.csv") {
		t.Errorf("SendRawEmail:\n%s", raw)
	}

	_, err = c.SendTemplatedEmail(ctx, &sesv1.SendTemplatedEmailInput{Source: s("news@example.com"), Template: s("receipt"),
		TemplateData: s(`{"order":"A-17"}`), Destination: &v1types.Destination{ToAddresses: []string{"dee@dest.example.net"}}})
	must(t, err)
	if raw := e.delivered("dee@dest.example.net"); !strings.Contains(raw, "Subject: Receipt A-17") || !strings.Contains(raw, "Order A-17 is paid.") {
		t.Errorf("SendTemplatedEmail:\n%s", raw)
	}
	_, err = c.SendTemplatedEmail(ctx, &sesv1.SendTemplatedEmailInput{Source: s("news@example.com"), Template: s("nope"),
		TemplateData: s(`{}`), Destination: &v1types.Destination{ToAddresses: []string{"dee@dest.example.net"}}})
	wantCode(t, err, "TemplateDoesNotExist")

	// An unverified identity, a suppressed recipient.
	_, err = c.SendEmail(ctx, &sesv1.SendEmailInput{Source: s("ghost@example.org"), Destination: &v1types.Destination{ToAddresses: []string{"ann@dest.example.net"}},
		Message: &v1types.Message{Subject: &v1types.Content{Data: s("x")}, Body: &v1types.Body{Text: &v1types.Content{Data: s("x")}}}})
	wantCode(t, err, "MessageRejected")
	_, _, err = e.Store.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: "gone@dest.example.net", Reason: audience.ReasonHardBounce})
	must(t, err)
	_, err = c.SendEmail(ctx, &sesv1.SendEmailInput{Source: s("news@example.com"), Destination: &v1types.Destination{ToAddresses: []string{"gone@dest.example.net"}},
		Message: &v1types.Message{Subject: &v1types.Content{Data: s("x")}, Body: &v1types.Body{Text: &v1types.Content{Data: s("x")}}}})
	wantCode(t, err, "MessageRejected")

	quota, err := c.GetSendQuota(ctx, &sesv1.GetSendQuotaInput{})
	must(t, err)
	if quota.MaxSendRate <= 0 || quota.SentLast24Hours < 0 {
		t.Errorf("GetSendQuota: %+v", quota)
	}
	ids, err := c.ListIdentities(ctx, &sesv1.ListIdentitiesInput{})
	must(t, err)
	if len(ids.Identities) != 1 || ids.Identities[0] != "example.com" {
		t.Errorf("ListIdentities: %v", ids.Identities)
	}

	bulk, err := c.SendBulkTemplatedEmail(ctx, &sesv1.SendBulkTemplatedEmailInput{Source: s("news@example.com"), Template: s("receipt"),
		DefaultTemplateData: s(`{"order":"none"}`), Destinations: []v1types.BulkEmailDestination{
			{Destination: &v1types.Destination{ToAddresses: []string{"eve@dest.example.net"}}, ReplacementTemplateData: s(`{"order":"B-2"}`)},
			{Destination: &v1types.Destination{ToAddresses: []string{"gone@dest.example.net"}}},
		}})
	must(t, err)
	if st := bulk.Status; len(st) != 2 || st[0].Status != v1types.BulkEmailStatusSuccess || st[1].Status != v1types.BulkEmailStatusMessageRejected || st[0].MessageId == nil {
		t.Errorf("SendBulkTemplatedEmail: %+v", st)
	}
	if raw := e.delivered("eve@dest.example.net"); !strings.Contains(raw, "Order B-2 is paid.") {
		t.Errorf("the bulk send:\n%s", raw)
	}
	stats, err := c.GetSendStatistics(ctx, &sesv1.GetSendStatisticsInput{})
	must(t, err)
	if len(stats.SendDataPoints) != 1 || stats.SendDataPoints[0].DeliveryAttempts < 4 || stats.SendDataPoints[0].Timestamp == nil {
		t.Errorf("GetSendStatistics: %+v", stats.SendDataPoints)
	}
	token, err := c.VerifyDomainIdentity(ctx, &sesv1.VerifyDomainIdentityInput{Domain: s("Example.com")})
	must(t, err)
	if d, _ := e.Store.Domains.GetDomainByName(ctx, "example.com"); *token.VerificationToken != d.VerifyToken {
		t.Errorf("VerifyDomainIdentity: %q", *token.VerificationToken)
	}
	_, err = c.VerifyDomainIdentity(ctx, &sesv1.VerifyDomainIdentityInput{Domain: s("other.example")})
	wantCode(t, err, "InvalidParameterValue")

	// A bad signature, and an action Sesame does not serve.
	_, err = e.v1(e.ID, strings.Repeat("x", 40)).GetSendQuota(ctx, &sesv1.GetSendQuotaInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	_, err = c.GetIdentityPolicies(ctx, &sesv1.GetIdentityPoliciesInput{Identity: s("example.com"), PolicyNames: []string{"x"}})
	wantCode(t, err, "InvalidAction")
}

// The Tencent API and the dashboard keep POST / and GET /: Amazon's
// requests are told apart by their signature scheme and content type.
func TestAllAPIsShareTheListener(t *testing.T) {
	e := newEnv(t)
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint, prof.HttpProfile.Scheme = strings.TrimPrefix(e.URL, "http://"), "http"
	for _, sign := range []string{"TC3-HMAC-SHA256", "HmacSHA256"} {
		prof.SignMethod = sign
		tc, err := tencent.NewClient(common.NewCredential(e.ID, e.Secret), "ap-hongkong", prof)
		must(t, err)
		if _, err := tc.ListEmailAddress(tencent.NewListEmailAddressRequest()); err != nil {
			t.Errorf("Tencent (%s) beside Amazon: %v", sign, err)
		}
	}
	if _, err := e.v1(e.ID, e.Secret).GetSendQuota(ctx, &sesv1.GetSendQuotaInput{}); err != nil {
		t.Errorf("SES v1 beside Tencent: %v", err)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(e.URL + "/")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET / unsigned: %d", resp.StatusCode)
	}
}
