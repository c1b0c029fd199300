package api_test

import (
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/internal/testdb"
)

func TestIdentities(t *testing.T) {
	e := newEnv(t)
	c := e.admin()

	create := ses.NewCreateEmailIdentityRequest()
	create.EmailIdentity = common.StringPtr("Mail.Example.COM")
	create.DKIMOption = common.Uint64Ptr(0)
	create.TagList = []*ses.TagList{{TagKey: common.StringPtr("team"), TagValue: common.StringPtr("growth")}}
	created, err := c.CreateEmailIdentity(create)
	must(t, err)
	r := created.Response
	if *r.IdentityType != "DOMAIN" || *r.VerifiedForSendingStatus || len(r.Attributes) < 5 {
		t.Fatalf("created: %s", created.ToJsonString())
	}
	types := map[string]bool{}
	for _, a := range r.Attributes {
		types[*a.Type+" "+*a.SendDomain] = true
		if *a.Status || *a.ExpectedValue == "" {
			t.Errorf("fresh record %s: %+v", *a.SendDomain, *a)
		}
	}
	for _, want := range []string{"TXT _sesame.mail.example.com", "TXT mail.example.com", "TXT sesame1._domainkey.mail.example.com",
		"TXT _dmarc.mail.example.com", "MX bounce.mail.example.com"} {
		if !types[want] {
			t.Errorf("no %s record in %v", want, types)
		}
	}
	d, err := e.Store.Domains.GetDomainByName(ctx, "mail.example.com")
	must(t, err)
	keys, err := e.Store.Domains.DKIMKeys(ctx, d.ID)
	must(t, err)
	if len(keys) != 1 || keys[0].Bits != 1024 {
		t.Errorf("DKIMOption 0 made %+v", keys)
	}

	// Refusals: a second time, not a domain, an unknown key size.
	_, err = c.CreateEmailIdentity(create)
	wantCode(t, err, "InvalidParameterValue.RepeatCreation")
	bad := ses.NewCreateEmailIdentityRequest()
	bad.EmailIdentity = common.StringPtr("not a domain")
	_, err = c.CreateEmailIdentity(bad)
	wantCode(t, err, "InvalidParameterValue.InvalidEmailIdentity")
	bad.EmailIdentity, bad.DKIMOption = common.StringPtr("other.example.com"), common.Uint64Ptr(7)
	_, err = c.CreateEmailIdentity(bad)
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.CreateEmailIdentity(ses.NewCreateEmailIdentityRequest())
	wantCode(t, err, "MissingParameter")

	get := ses.NewGetEmailIdentityRequest()
	get.EmailIdentity = common.StringPtr("mail.example.com")
	got, err := e.marketer().GetEmailIdentity(get)
	must(t, err)
	if len(got.Response.Attributes) != len(r.Attributes) || *got.Response.VerifiedForSendingStatus {
		t.Errorf("get: %s", got.ToJsonString())
	}
	get.EmailIdentity = common.StringPtr("nowhere.example.com")
	_, err = e.marketer().GetEmailIdentity(get)
	wantCode(t, err, "InvalidParameterValue.NotExistDomain")

	// Publish the records: UpdateEmailIdentity checks them again and the
	// domain can send.
	recs, err := e.Store.Domains.DomainRecords(ctx, d)
	must(t, err)
	e.DNS.Publish(t, recs)
	e.DNS.Set(t, testdb.BounceHost+". 300 IN A 127.0.0.1")
	update := ses.NewUpdateEmailIdentityRequest()
	update.EmailIdentity = common.StringPtr("mail.example.com")
	updated, err := c.UpdateEmailIdentity(update)
	must(t, err)
	if !*updated.Response.VerifiedForSendingStatus {
		t.Fatalf("after publishing: %s", updated.ToJsonString())
	}
	for _, a := range updated.Response.Attributes {
		if *a.Type == "TXT" && *a.SendDomain == "mail.example.com" && (!*a.Status || *a.CurrentValue != *a.ExpectedValue) {
			t.Errorf("SPF after publishing: %+v", *a)
		}
	}
	update.EmailIdentity = common.StringPtr("nowhere.example.com")
	_, err = c.UpdateEmailIdentity(update)
	wantCode(t, err, "InvalidParameterValue.NotExistDomain")

	// A second domain without tags; the list selects by tag.
	create2 := ses.NewCreateEmailIdentityRequest()
	create2.EmailIdentity = common.StringPtr("news.example.org")
	_, err = c.CreateEmailIdentity(create2)
	must(t, err)
	list, err := e.marketer().ListEmailIdentities(ses.NewListEmailIdentitiesRequest())
	must(t, err)
	if *list.Response.Total != 2 || len(list.Response.EmailIdentities) != 2 {
		t.Fatalf("list: %s", list.ToJsonString())
	}
	var mail *ses.EmailIdentity
	for _, id := range list.Response.EmailIdentities {
		if *id.IdentityName == "mail.example.com" {
			mail = id
		}
	}
	if mail == nil || !*mail.SendingEnabled || *mail.IdentityType != "DOMAIN" || *mail.CurrentReputationLevel != 1 ||
		*mail.DailyQuota != 500 || len(mail.TagList) != 1 || *mail.TagList[0].TagValue != "growth" {
		t.Errorf("mail.example.com listed as %+v", mail)
	}
	if *list.Response.MaxDailyQuota != 500 || *list.Response.MaxReputationLevel != 1 {
		t.Errorf("maxima: %s", list.ToJsonString())
	}
	byTag := ses.NewListEmailIdentitiesRequest()
	byTag.TagList = []*ses.TagList{{TagKey: common.StringPtr("team"), TagValue: common.StringPtr("growth")}}
	tagged, err := e.marketer().ListEmailIdentities(byTag)
	must(t, err)
	if *tagged.Response.Total != 1 || *tagged.Response.EmailIdentities[0].IdentityName != "mail.example.com" {
		t.Errorf("by tag: %s", tagged.ToJsonString())
	}
	paged := ses.NewListEmailIdentitiesRequest()
	paged.Limit, paged.Offset = common.Uint64Ptr(1), common.Uint64Ptr(1)
	page, err := e.marketer().ListEmailIdentities(paged)
	must(t, err)
	if *page.Response.Total != 2 || len(page.Response.EmailIdentities) != 1 || *page.Response.EmailIdentities[0].IdentityName != "news.example.org" {
		t.Errorf("second page: %s", page.ToJsonString())
	}
	paged.Limit = common.Uint64Ptr(101)
	_, err = e.marketer().ListEmailIdentities(paged)
	wantCode(t, err, "FailedOperation.InvalidLimit")

	del := ses.NewDeleteEmailIdentityRequest()
	del.EmailIdentity = common.StringPtr("news.example.org")
	_, err = c.DeleteEmailIdentity(del)
	must(t, err)
	_, err = c.DeleteEmailIdentity(del)
	wantCode(t, err, "InvalidParameterValue.NotExistDomain")
	get.EmailIdentity = common.StringPtr("news.example.org")
	_, err = c.GetEmailIdentity(get)
	wantCode(t, err, "InvalidParameterValue.NotExistDomain")
}

func TestDeletingADomainWithQueuedMailIsRefused(t *testing.T) {
	e := newEnv(t)
	e.verifiedSender("news@queued.example.com", "News")
	tplID := e.template(t, "Hello", "<p>Hello {{name}}</p>")
	send := ses.NewSendEmailRequest()
	send.FromEmailAddress = common.StringPtr("news@queued.example.com")
	send.Destination = common.StringPtrs([]string{"bob@dest.example.net"})
	send.Subject = common.StringPtr("Hi")
	send.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID), TemplateData: common.StringPtr(`{"name":"Bob"}`)}
	_, err := e.marketer().SendEmail(send)
	must(t, err)
	del := ses.NewDeleteEmailIdentityRequest()
	del.EmailIdentity = common.StringPtr("queued.example.com")
	_, err = e.admin().DeleteEmailIdentity(del)
	wantCode(t, err, "OperationDenied")
}

// Tags given through the API show on the domain's console page.
func TestIdentityTagsShowInTheConsole(t *testing.T) {
	e := newEnv(t)
	create := ses.NewCreateEmailIdentityRequest()
	create.EmailIdentity = common.StringPtr("tagged.example.com")
	create.TagList = []*ses.TagList{{TagKey: common.StringPtr("team"), TagValue: common.StringPtr("growth")}}
	_, err := e.admin().CreateEmailIdentity(create)
	must(t, err)
	page := e.consolePage(t, "boss@example.com", "/domains/tagged.example.com")
	if !containsAll(page, `data-testid="domain-tags"`, "team", ": growth") {
		t.Errorf("no tags on the domain page")
	}
}

// While delivery is the sandbox, an unverified domain gets a sender
// address and sends through the SDK, and the API still reports it as not
// verified; with real delivery the same calls are refused.
func TestSandboxSendsFromAnUnverifiedDomain(t *testing.T) {
	for _, sandbox := range []bool{true, false} {
		e := newEnvWith(t, envOptions{sandbox: sandbox})
		c := e.admin()
		create := ses.NewCreateEmailIdentityRequest()
		create.EmailIdentity = common.StringPtr("example.com")
		created, err := c.CreateEmailIdentity(create)
		must(t, err)
		if *created.Response.VerifiedForSendingStatus {
			t.Errorf("sandbox %v: a fresh domain reported verified", sandbox)
		}
		addr := ses.NewCreateEmailAddressRequest()
		addr.EmailAddress, addr.EmailSenderName = common.StringPtr("news@example.com"), common.StringPtr("Example News")
		_, err = c.CreateEmailAddress(addr)
		if !sandbox {
			wantCode(t, err, "OperationDenied.DomainNotVerified")
			continue
		}
		must(t, err)
		tplID := e.template(t, "Welcome", `<p>Hello {{name}}</p>`)
		send := ses.NewSendEmailRequest()
		send.FromEmailAddress = common.StringPtr("news@example.com")
		send.Destination = common.StringPtrs([]string{"ann@example.org"})
		send.Subject = common.StringPtr("Hello")
		send.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID), TemplateData: common.StringPtr(`{"name":"Ann"}`)}
		_, err = c.SendEmail(send)
		must(t, err)
		get := ses.NewGetEmailIdentityRequest()
		get.EmailIdentity = common.StringPtr("example.com")
		got, err := c.GetEmailIdentity(get)
		must(t, err)
		if *got.Response.VerifiedForSendingStatus {
			t.Error("sending from the sandbox made the domain report verified")
		}
	}
}
