package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/models/audience"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"
)

func TestBlackList(t *testing.T) {
	e := newEnv(t)
	c := e.marketer()
	for _, s := range []audience.SuppressionInput{
		{Value: "gone@dest.example.net", Reason: audience.ReasonHardBounce, Source: "550 5.1.1 no such user"},
		{Value: "angry@dest.example.net", Reason: audience.ReasonComplaint},
		{Value: "manual@dest.example.net", Reason: audience.ReasonManual}, // the custom blacklist's, not this one's
	} {
		_, _, err := e.Store.Suppressions.AddSuppression(ctx, s)
		must(t, err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	req := ses.NewListBlackEmailAddressRequest()
	req.StartDate, req.EndDate = common.StringPtr(today), common.StringPtr(today)
	list, err := c.ListBlackEmailAddress(req)
	must(t, err)
	if *list.Response.TotalCount != 2 || len(list.Response.BlackList) != 2 {
		t.Fatalf("list: %s", list.ToJsonString())
	}
	for _, b := range list.Response.BlackList {
		if *b.EmailAddress == "gone@dest.example.net" && (*b.IspDesc != "Hard bounce: 550 5.1.1 no such user" || *b.BounceTime == "") {
			t.Errorf("bounce entry: %s", list.ToJsonString())
		}
	}
	req.EmailAddress = common.StringPtr("gone@")
	one, err := c.ListBlackEmailAddress(req)
	must(t, err)
	if *one.Response.TotalCount != 1 {
		t.Errorf("by address: %s", one.ToJsonString())
	}
	req.EmailAddress = nil
	req.StartDate, req.EndDate = common.StringPtr("2020-01-01"), common.StringPtr("2020-01-31")
	old, err := c.ListBlackEmailAddress(req)
	must(t, err)
	if *old.Response.TotalCount != 0 {
		t.Errorf("January 2020: %s", old.ToJsonString())
	}
	req.StartDate = common.StringPtr("31/01/2020")
	_, err = c.ListBlackEmailAddress(req)
	wantCode(t, err, "InvalidParameterValue.WrongDate")

	del := ses.NewDeleteBlackListRequest()
	del.EmailAddressList = common.StringPtrs([]string{"GONE@dest.example.net", "manual@dest.example.net"})
	_, err = c.DeleteBlackList(del)
	must(t, err)
	left, err := e.Store.Suppressions.SuppressionsOf(ctx, []string{"gone@dest.example.net", "manual@dest.example.net", "angry@dest.example.net"})
	must(t, err)
	if _, ok := left["gone@dest.example.net"]; ok || len(left) != 2 {
		t.Errorf("after DeleteBlackList: %v", left)
	}
	_, err = c.DeleteBlackList(ses.NewDeleteBlackListRequest())
	wantCode(t, err, "MissingParameter")
}

func TestCustomBlacklist(t *testing.T) {
	e := newEnv(t)
	c := e.marketer()
	create := ses.NewCreateCustomBlacklistRequest()
	create.Emails = common.StringPtrs([]string{"spam@dest.example.net", "Spam@Dest.Example.NET", "not-an-address", "keep@dest.example.net",
		strings.Repeat("x", 250) + "@dest.example.net"})
	expire := time.Now().AddDate(0, 1, 0).UTC().Format(time.DateOnly)
	create.ExpireDate = common.StringPtr(expire)
	created, err := c.CreateCustomBlacklist(create)
	must(t, err)
	r := created.Response
	if *r.TotalCount != 5 || *r.ValidCount != 2 || *r.RepeatCount != 1 || *r.InvalidCount != 1 || *r.TooLongCount != 1 {
		t.Errorf("counts: %s", created.ToJsonString())
	}
	again, err := c.CreateCustomBlacklist(create)
	must(t, err)
	if *again.Response.ValidCount != 0 || *again.Response.RepeatCount != 3 {
		t.Errorf("again: %s", again.ToJsonString())
	}
	create.ExpireDate = common.StringPtr("2001-01-01")
	_, err = c.CreateCustomBlacklist(create)
	wantCode(t, err, "InvalidParameterValue.WrongDate")
	_, err = c.CreateCustomBlacklist(ses.NewCreateCustomBlacklistRequest())
	wantCode(t, err, "MissingParameter.EmailsNecessary")

	// The entries stop mail at once.
	e.verifiedSender("news@example.com", "News")
	tplID := e.template(t, "Hello", "<p>Hello {{name}}</p>")
	send := sendRequest(tplID)
	send.Destination = common.StringPtrs([]string{"spam@dest.example.net"})
	_, err = c.SendEmail(send)
	wantCode(t, err, "FailedOperation.EmailAddrInBlacklist")

	list, err := c.ListCustomBlacklist(ses.NewListCustomBlacklistRequest())
	must(t, err)
	if *list.Response.TotalCount != 2 || len(list.Response.Data) != 2 {
		t.Fatalf("list: %s", list.ToJsonString())
	}
	var spam *ses.BlackAddressDetail
	for _, d := range list.Response.Data {
		if *d.Email == "spam@dest.example.net" {
			spam = d
		}
	}
	if spam == nil || *spam.Status != 1 || *spam.ExpireDate != expire || *spam.Id == 0 || *spam.CreateTime == "" {
		t.Fatalf("spam entry: %s", list.ToJsonString())
	}

	update := ses.NewUpdateCustomBlackListRequest()
	update.Id, update.Email, update.ExpireDate = spam.Id, common.StringPtr("spammer@dest.example.net"), common.StringPtr("")
	_, err = c.UpdateCustomBlackList(update)
	must(t, err)
	entry, err := e.Store.Suppressions.GetSuppression(ctx, *spam.Id)
	must(t, err)
	if entry.Value != "spammer@dest.example.net" || entry.ExpiresAt != nil {
		t.Errorf("after update: %+v", entry)
	}
	update.Email = common.StringPtr("keep@dest.example.net")
	_, err = c.UpdateCustomBlackList(update)
	wantCode(t, err, "InvalidParameterValue.IllegalEmailAddress")
	update.Id = common.Uint64Ptr(*spam.Id + 100)
	_, err = c.UpdateCustomBlackList(update)
	wantCode(t, err, "ResourceNotFound")

	// Expired entries are told apart from active ones.
	past := time.Now().Add(-time.Hour)
	must(t, e.Store.Suppressions.SetSuppressionExpiry(ctx, *spam.Id, &past))
	for status, want := range map[uint64]uint64{0: 1, 1: 1, 2: 2} {
		req := ses.NewListCustomBlacklistRequest()
		req.Status = common.Uint64Ptr(status)
		got, err := c.ListCustomBlacklist(req)
		must(t, err)
		if *got.Response.TotalCount != want {
			t.Errorf("status %d: %s", status, got.ToJsonString())
		}
	}
	bad := ses.NewListCustomBlacklistRequest()
	bad.Status = common.Uint64Ptr(5)
	_, err = c.ListCustomBlacklist(bad)
	wantCode(t, err, "InvalidParameterValue")

	del := ses.NewDeleteCustomBlackListRequest()
	del.Emails = common.StringPtrs([]string{"keep@dest.example.net"})
	_, err = c.DeleteCustomBlackList(del)
	must(t, err)
	list, err = c.ListCustomBlacklist(ses.NewListCustomBlacklistRequest())
	must(t, err)
	if *list.Response.TotalCount != 1 {
		t.Errorf("after delete: %s", list.ToJsonString())
	}
	_, err = c.DeleteCustomBlackList(ses.NewDeleteCustomBlackListRequest())
	wantCode(t, err, "MissingParameter")
}
