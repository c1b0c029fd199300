package api_test

import (
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"
)

func TestSenderAddresses(t *testing.T) {
	e := newEnv(t)
	c := e.marketer()
	e.verifiedSender("first@example.com", "First")
	pending := ses.NewCreateEmailIdentityRequest()
	pending.EmailIdentity = common.StringPtr("pending.example.org")
	_, err := e.admin().CreateEmailIdentity(pending)
	must(t, err)

	create := ses.NewCreateEmailAddressRequest()
	create.EmailAddress = common.StringPtr("news@example.com")
	create.EmailSenderName = common.StringPtr("Example News")
	_, err = c.CreateEmailAddress(create)
	must(t, err)
	for _, tc := range []struct{ address, name, code string }{
		{"news@example.com", "", "InvalidParameterValue.RepeatEmailAddress"},
		{"news@pending.example.org", "", "OperationDenied.DomainNotVerified"},
		{"news@unknown.example.net", "", "InvalidParameterValue.NotExistDomain"},
		{"not an address", "", "InvalidParameterValue.IllegalEmailAddress"},
		{"", "", "InvalidParameterValue.EmailAddressIsNULL"},
		{"promo@example.com", "Deals: <now>", "InvalidParameterValue.IllegalSenderName"},
	} {
		req := ses.NewCreateEmailAddressRequest()
		req.EmailAddress, req.EmailSenderName = common.StringPtr(tc.address), common.StringPtr(tc.name)
		_, err := c.CreateEmailAddress(req)
		wantCode(t, err, tc.code)
	}

	list, err := c.ListEmailAddress(ses.NewListEmailAddressRequest())
	must(t, err)
	senders := map[string]*ses.EmailSender{}
	for _, s := range list.Response.EmailSenders {
		senders[*s.EmailAddress] = s
	}
	news := senders["news@example.com"]
	if len(senders) != 2 || news == nil || *news.EmailSenderName != "Example News" || *news.SmtpPwdType != 0 || *news.CreatedTimestamp == 0 {
		t.Fatalf("list: %s", list.ToJsonString())
	}

	pw := ses.NewUpdateEmailSmtpPassWordRequest()
	pw.EmailAddress, pw.Password = common.StringPtr("news@example.com"), common.StringPtr("Secret2Password")
	_, err = c.UpdateEmailSmtpPassWord(pw)
	must(t, err)
	if _, err := e.Store.Senders.AuthenticateSMTP(ctx, "news@example.com", "Secret2Password"); err != nil {
		t.Errorf("the new SMTP password does not sign in: %v", err)
	}
	_, err = c.UpdateEmailSmtpPassWord(pw)
	wantCode(t, err, "OperationDenied.RepeatPassWord")
	pw.Password = common.StringPtr("short")
	_, err = c.UpdateEmailSmtpPassWord(pw)
	wantCode(t, err, "InvalidParameterValue.InvalidSmtpPassWord")
	pw.EmailAddress, pw.Password = common.StringPtr("ghost@example.com"), common.StringPtr("Secret3Password")
	_, err = c.UpdateEmailSmtpPassWord(pw)
	wantCode(t, err, "InvalidParameterValue.NoSuchSender")
	list, err = c.ListEmailAddress(ses.NewListEmailAddressRequest())
	must(t, err)
	for _, s := range list.Response.EmailSenders {
		if want := map[string]uint64{"news@example.com": 1, "first@example.com": 0}[*s.EmailAddress]; *s.SmtpPwdType != want {
			t.Errorf("%s: SmtpPwdType %d", *s.EmailAddress, *s.SmtpPwdType)
		}
	}

	del := ses.NewDeleteEmailAddressRequest()
	del.EmailAddress = common.StringPtr("news@example.com")
	_, err = c.DeleteEmailAddress(del)
	must(t, err)
	_, err = c.DeleteEmailAddress(del)
	wantCode(t, err, "InvalidParameterValue.NoSuchSender")
	if _, err := e.Store.Senders.GetSenderByEmail(ctx, "news@example.com"); err == nil {
		t.Error("the address is still there")
	}
}

func TestAddressUnsubscribeConfigs(t *testing.T) {
	e := newEnv(t)
	c := e.marketer()
	e.verifiedSender("news@example.com", "News")
	e.verifiedSender("alerts@example.com", "Alerts")

	create := ses.NewCreateAddressUnsubscribeConfigRequest()
	create.Address, create.UnsubscribeConfig, create.Status = common.StringPtr("news@example.com"), common.StringPtr("6"), common.Uint64Ptr(1)
	_, err := c.CreateAddressUnsubscribeConfig(create)
	must(t, err)
	_, err = c.CreateAddressUnsubscribeConfig(create)
	wantCode(t, err, "InvalidParameterValue.RepeatCreation")
	bad := ses.NewCreateAddressUnsubscribeConfigRequest()
	bad.Address, bad.UnsubscribeConfig = common.StringPtr("alerts@example.com"), common.StringPtr("42")
	_, err = c.CreateAddressUnsubscribeConfig(bad)
	wantCode(t, err, "InvalidParameterValue")
	bad.Address, bad.UnsubscribeConfig = common.StringPtr("ghost@example.com"), common.StringPtr("2")
	_, err = c.CreateAddressUnsubscribeConfig(bad)
	wantCode(t, err, "InvalidParameterValue.NoSuchSender")

	list, err := c.ListAddressUnsubscribeConfig(ses.NewListAddressUnsubscribeConfigRequest())
	must(t, err)
	if *list.Response.Total != 1 || *list.Response.AddressUnsubscribeConfigList[0].Address != "news@example.com" ||
		*list.Response.AddressUnsubscribeConfigList[0].UnsubscribeConfig != "6" || *list.Response.AddressUnsubscribeConfigList[0].Status != 1 {
		t.Fatalf("list: %s", list.ToJsonString())
	}
	badList := ses.NewListAddressUnsubscribeConfigRequest()
	badList.Limit = common.StringPtr("many")
	_, err = c.ListAddressUnsubscribeConfig(badList)
	wantCode(t, err, "InvalidParameterValue")

	// The setting is the default link of mail from the address: a send
	// that does not choose gets the German footer.
	tplID := e.template(t, "Plain", "<p>Hello</p>")
	send := ses.NewSendEmailRequest()
	send.FromEmailAddress = common.StringPtr("news@example.com")
	send.Destination = common.StringPtrs([]string{"bob@dest.example.net"})
	send.Subject = common.StringPtr("Hallo")
	send.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID)}
	_, err = c.SendEmail(send)
	must(t, err)
	e.deliver()
	if raw := e.sandboxRaw(t, "bob@dest.example.net"); !containsAll(raw, "Abmelden") {
		t.Errorf("no German unsubscribe footer:\n%s", raw)
	}

	update := ses.NewUpdateAddressUnsubscribeConfigRequest()
	update.Address, update.UnsubscribeConfig, update.Status = common.StringPtr("news@example.com"), common.StringPtr("2"), common.Uint64Ptr(0)
	_, err = c.UpdateAddressUnsubscribeConfig(update)
	must(t, err)
	a, err := e.Store.Senders.GetSenderByEmail(ctx, "news@example.com")
	must(t, err)
	if a.UnsubscribeConfig != "2" || a.UnsubscribeEnabled || a.DefaultUnsubscribe() != "" {
		t.Errorf("after update: %+v", a)
	}
	update.Address = common.StringPtr("alerts@example.com")
	_, err = c.UpdateAddressUnsubscribeConfig(update)
	wantCode(t, err, "ResourceNotFound")

	del := ses.NewDeleteAddressUnsubscribeConfigRequest()
	del.Address = common.StringPtr("news@example.com")
	_, err = c.DeleteAddressUnsubscribeConfig(del)
	must(t, err)
	_, err = c.DeleteAddressUnsubscribeConfig(del)
	wantCode(t, err, "ResourceNotFound")
	list, err = c.ListAddressUnsubscribeConfig(ses.NewListAddressUnsubscribeConfigRequest())
	must(t, err)
	if *list.Response.Total != 0 {
		t.Errorf("after delete: %s", list.ToJsonString())
	}
}
