package api_test

import (
	"testing"

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
