package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"
)

func (e *env) receiver(t *testing.T, name string) uint64 {
	t.Helper()
	req := ses.NewCreateReceiverRequest()
	req.ReceiversName, req.Desc = common.StringPtr(name), common.StringPtr("made by a test")
	resp, err := e.marketer().CreateReceiver(req)
	must(t, err)
	return *resp.Response.ReceiverId
}

func TestReceivers(t *testing.T) {
	e := newEnv(t)
	c := e.marketer()
	id := e.receiver(t, "Customers")
	g, err := e.Store.Audience.GetGroup(ctx, id)
	must(t, err)
	if g.Name != "Customers" || g.Description != "made by a test" {
		t.Fatalf("group: %+v", g)
	}
	dup := ses.NewCreateReceiverRequest()
	dup.ReceiversName = common.StringPtr("Customers")
	_, err = c.CreateReceiver(dup)
	wantCode(t, err, "InvalidParameterValue.RepeatReceiverName")
	dup.ReceiversName = common.StringPtr(" ")
	_, err = c.CreateReceiver(dup)
	wantCode(t, err, "InvalidParameterValue.ReceiverNameIllegal")
	dup.ReceiversName, dup.Desc = common.StringPtr("Long"), common.StringPtr(strings.Repeat("d", 1001))
	_, err = c.CreateReceiver(dup)
	wantCode(t, err, "InvalidParameterValue.ReceiverDescIllegal")

	// An empty list waits for its upload.
	list, err := c.ListReceivers(ses.NewListReceiversRequest())
	must(t, err)
	if *list.Response.TotalCount != 1 || *list.Response.Data[0].ReceiversStatus != 1 || *list.Response.Data[0].Count != 0 ||
		*list.Response.Data[0].ReceiversName != "Customers" || *list.Response.Data[0].CreateTime == "" {
		t.Fatalf("list: %s", list.ToJsonString())
	}

	details := ses.NewCreateReceiverDetailRequest()
	details.ReceiverId = common.Uint64Ptr(id)
	details.Emails = common.StringPtrs([]string{"ann@dest.example.net", "BOB@dest.example.net", "ann@dest.example.net", "", "not-an-address",
		strings.Repeat("x", 250) + "@dest.example.net"})
	added, err := c.CreateReceiverDetail(details)
	must(t, err)
	r := added.Response
	if *r.TotalCount != 6 || *r.ValidCount != 2 || *r.RepeatCount != 1 || *r.EmptyEmailCount != 1 || *r.TooLongCount != 1 {
		t.Errorf("counts: %s", added.ToJsonString())
	}
	// Given again, known addresses are repeats.
	details.Emails = common.StringPtrs([]string{"ann@dest.example.net", "cy@dest.example.net"})
	again, err := c.CreateReceiverDetail(details)
	must(t, err)
	if *again.Response.ValidCount != 1 || *again.Response.RepeatCount != 1 {
		t.Errorf("again: %s", again.ToJsonString())
	}
	details.ReceiverId = common.Uint64Ptr(id + 50)
	_, err = c.CreateReceiverDetail(details)
	wantCode(t, err, "OperationDenied.ReceiverNotExist")
	details.ReceiverId, details.Emails = common.Uint64Ptr(id), nil
	_, err = c.CreateReceiverDetail(details)
	wantCode(t, err, "MissingParameter.EmailsNecessary")

	withData := ses.NewCreateReceiverDetailWithDataRequest()
	withData.ReceiverId = common.Uint64Ptr(id)
	withData.Datas = []*ses.ReceiverInputData{
		{Email: common.StringPtr("dee@dest.example.net"), TemplateData: common.StringPtr(`{"name":"Dee","plan":"gold"}`)},
		{Email: common.StringPtr("ann@dest.example.net"), TemplateData: common.StringPtr(`{"name":"Ann"}`)},
		{Email: common.StringPtr("eve@dest.example.net"), TemplateData: common.StringPtr(`{"nested":{"x":1}}`)},
	}
	// Malformed data refuses the whole request, storing nothing.
	_, err = c.CreateReceiverDetailWithData(withData)
	wantCode(t, err, "InvalidParameterValue.TemplateDataError")
	if _, err := e.Store.Audience.GetRecipient(ctx, id, "dee@dest.example.net"); err == nil {
		t.Error("a refused request stored dee")
	}
	withData.Datas[2].TemplateData = common.StringPtr(strings.Repeat("x", 20<<10))
	_, err = c.CreateReceiverDetailWithData(withData)
	wantCode(t, err, "InvalidParameterValue.TemplateDataLenLimit")
	withData.Datas = withData.Datas[:2]
	dataResp, err := c.CreateReceiverDetailWithData(withData)
	must(t, err)
	if *dataResp.Response.TotalCount != 2 || *dataResp.Response.ValidCount != 2 {
		t.Errorf("with data: %s", dataResp.ToJsonString())
	}
	ann, err := e.Store.Audience.GetRecipient(ctx, id, "ann@dest.example.net")
	must(t, err)
	if ann.Variables != `{"name":"Ann"}` {
		t.Errorf("Ann's variables: %s", ann.Variables)
	}
	withData.ReceiverId = common.Uint64Ptr(0)
	_, err = c.CreateReceiverDetailWithData(withData)
	wantCode(t, err, "MissingParameter.ReceiverIdNecessary")

	// Valid recipients: ann, bob, cy, dee. Refused rows: the empty one,
	// not-an-address and the long one.
	list, err = c.ListReceivers(ses.NewListReceiversRequest())
	must(t, err)
	if d := list.Response.Data[0]; *d.Count != 4 || *d.ReceiversStatus != 3 || *d.InvalidCount != 3 {
		t.Errorf("after uploads: %s", list.ToJsonString())
	}
	e.receiver(t, "Prospects")
	byStatus := ses.NewListReceiversRequest()
	byStatus.Status = common.Uint64Ptr(1)
	waiting, err := c.ListReceivers(byStatus)
	must(t, err)
	if *waiting.Response.TotalCount != 1 || *waiting.Response.Data[0].ReceiversName != "Prospects" {
		t.Errorf("waiting for upload: %s", waiting.ToJsonString())
	}
	byWord := ses.NewListReceiversRequest()
	byWord.KeyWord = common.StringPtr("custom")
	found, err := c.ListReceivers(byWord)
	must(t, err)
	if *found.Response.TotalCount != 1 || *found.Response.Data[0].ReceiverId != id {
		t.Errorf("by keyword: %s", found.ToJsonString())
	}
	byStatus.Status = common.Uint64Ptr(9)
	_, err = c.ListReceivers(byStatus)
	wantCode(t, err, "InvalidParameterValue")

	listDetails := ses.NewListReceiverDetailsRequest()
	listDetails.ReceiverId, listDetails.Limit = common.Uint64Ptr(id), common.Uint64Ptr(100)
	all, err := c.ListReceiverDetails(listDetails)
	must(t, err)
	if *all.Response.TotalCount != 7 || *all.Response.ValidCount != 4 || *all.Response.InvalidCount != 3 || len(all.Response.Data) != 7 {
		t.Fatalf("details: %s", all.ToJsonString())
	}
	valid, invalid := 0, 0
	for _, d := range all.Response.Data {
		switch *d.Status {
		case 1:
			valid++
			if *d.EmailId == 0 || *d.CreateTime == "" {
				t.Errorf("valid detail: %s", all.ToJsonString())
			}
		case 2:
			invalid++
			if *d.Reason == "" {
				t.Errorf("invalid detail without reason: %s", all.ToJsonString())
			}
		}
	}
	if valid != 4 || invalid != 3 {
		t.Errorf("%d valid, %d invalid", valid, invalid)
	}
	listDetails.Status = common.Uint64Ptr(2)
	bad, err := c.ListReceiverDetails(listDetails)
	must(t, err)
	if *bad.Response.TotalCount != 3 || len(bad.Response.Data) != 3 {
		t.Errorf("invalid only: %s", bad.ToJsonString())
	}
	listDetails.Status, listDetails.Email = common.Uint64Ptr(1), common.StringPtr("dee@")
	dee, err := c.ListReceiverDetails(listDetails)
	must(t, err)
	if *dee.Response.TotalCount != 1 || *dee.Response.Data[0].TemplateData != `{"name":"Dee","plan":"gold"}` {
		t.Errorf("by address: %s", dee.ToJsonString())
	}
	listDetails.Email = nil
	listDetails.CreateTimeBegin = common.StringPtr(time.Now().Add(time.Hour).UTC().Format(time.DateTime))
	later, err := c.ListReceiverDetails(listDetails)
	must(t, err)
	if *later.Response.TotalCount != 0 {
		t.Errorf("added in the future: %s", later.ToJsonString())
	}
	listDetails.CreateTimeBegin = common.StringPtr("soon")
	_, err = c.ListReceiverDetails(listDetails)
	wantCode(t, err, "InvalidParameterValue.WrongDate")
	listDetails.ReceiverId = common.Uint64Ptr(id + 50)
	_, err = c.ListReceiverDetails(listDetails)
	wantCode(t, err, "OperationDenied.ReceiverNotExist")

	del := ses.NewDeleteReceiverRequest()
	del.ReceiverId = common.Uint64Ptr(id)
	_, err = c.DeleteReceiver(del)
	must(t, err)
	_, err = c.DeleteReceiver(del)
	wantCode(t, err, "OperationDenied.ReceiverNotExist")
}
