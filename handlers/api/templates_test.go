package api_test

import (
	"encoding/base64"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"
)

func decoded(t *testing.T, s *string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(*s)
	must(t, err)
	return string(b)
}

func TestTemplates(t *testing.T) {
	e := newEnv(t)
	c := e.marketer()

	create := ses.NewCreateEmailTemplateRequest()
	create.TemplateName = common.StringPtr("Welcome")
	create.TemplateContent = &ses.TemplateContent{Html: b64("<h1>Hello {{name}}</h1>"), Text: b64("Hello {{name}}")}
	created, err := c.CreateEmailTemplate(create)
	must(t, err)
	id := *created.Response.TemplateID
	tpl, err := e.Store.Templates.GetTemplate(ctx, id)
	must(t, err)
	if tpl.HTML != "<h1>Hello {{name}}</h1>" || tpl.Text != "Hello {{name}}" || tpl.CreatedBy == nil || *tpl.CreatedBy != e.Marketer.ID {
		t.Fatalf("stored: %+v", tpl)
	}

	for _, tc := range []struct {
		name    *string
		content *ses.TemplateContent
		code    string
	}{
		{common.StringPtr("Welcome"), &ses.TemplateContent{Html: b64("<p>x</p>")}, "InvalidParameterValue.TemplateNameIllegal"},
		{common.StringPtr(""), &ses.TemplateContent{Html: b64("<p>x</p>")}, "InvalidParameterValue.TemplateNameIsNULL"},
		{common.StringPtr("Broken"), &ses.TemplateContent{Html: common.StringPtr("not base64!")}, "InvalidParameterValue.TemplateContentIsWrong"},
		{common.StringPtr("Empty"), &ses.TemplateContent{}, "InvalidParameterValue.TemplateContentIsNULL"},
		{common.StringPtr("Unclosed"), &ses.TemplateContent{Html: b64("<p>{{name</p>")}, "InvalidParameterValue.TemplateContentIsWrong"},
	} {
		req := ses.NewCreateEmailTemplateRequest()
		req.TemplateName, req.TemplateContent = tc.name, tc.content
		_, err := c.CreateEmailTemplate(req)
		wantCode(t, err, tc.code)
	}

	get := ses.NewGetEmailTemplateRequest()
	get.TemplateID = common.Uint64Ptr(id)
	got, err := c.GetEmailTemplate(get)
	must(t, err)
	if *got.Response.TemplateName != "Welcome" || *got.Response.TemplateStatus != 0 ||
		decoded(t, got.Response.TemplateContent.Html) != "<h1>Hello {{name}}</h1>" || decoded(t, got.Response.TemplateContent.Text) != "Hello {{name}}" {
		t.Errorf("get: %s", got.ToJsonString())
	}
	get.TemplateID = common.Uint64Ptr(id + 100)
	_, err = c.GetEmailTemplate(get)
	wantCode(t, err, "InvalidParameterValue.TemplateNotExist")

	update := ses.NewUpdateEmailTemplateRequest()
	update.TemplateID, update.TemplateName = common.Uint64Ptr(id), common.StringPtr("Welcome back")
	update.TemplateContent = &ses.TemplateContent{Html: b64("<h1>Welcome back, {{name}}</h1>")}
	_, err = c.UpdateEmailTemplate(update)
	must(t, err)
	tpl, err = e.Store.Templates.GetTemplate(ctx, id)
	must(t, err)
	if tpl.Name != "Welcome back" || tpl.HTML != "<h1>Welcome back, {{name}}</h1>" || tpl.Text != "Hello {{name}}" {
		t.Errorf("after update: %+v", tpl)
	}
	update.TemplateID = common.Uint64Ptr(id + 100)
	_, err = c.UpdateEmailTemplate(update)
	wantCode(t, err, "InvalidParameterValue.TemplateNotExist")

	// With review on, a marketer's template waits for an admin.
	must(t, e.Store.Accounts.SetTemplateReviewRequired(ctx, true))
	create.TemplateName = common.StringPtr("Promo")
	promo, err := c.CreateEmailTemplate(create)
	must(t, err)

	list, err := c.ListEmailTemplates(ses.NewListEmailTemplatesRequest())
	must(t, err)
	if *list.Response.TotalCount != 2 || len(list.Response.TemplatesMetadata) != 2 {
		t.Fatalf("list: %s", list.ToJsonString())
	}
	first := list.Response.TemplatesMetadata[0] // newest first
	if *first.TemplateID != *promo.Response.TemplateID || *first.TemplateName != "Promo" || *first.TemplateStatus != 1 || *first.CreatedTimestamp == 0 {
		t.Errorf("newest: %s", list.ToJsonString())
	}
	page := ses.NewListEmailTemplatesRequest()
	page.Limit, page.Offset = common.Uint64Ptr(1), common.Uint64Ptr(1)
	second, err := c.ListEmailTemplates(page)
	must(t, err)
	if *second.Response.TotalCount != 2 || len(second.Response.TemplatesMetadata) != 1 || *second.Response.TemplatesMetadata[0].TemplateID != id {
		t.Errorf("second page: %s", second.ToJsonString())
	}
	page.Limit = common.Uint64Ptr(500)
	_, err = c.ListEmailTemplates(page)
	wantCode(t, err, "FailedOperation.InvalidLimit")

	del := ses.NewDeleteEmailTemplateRequest()
	del.TemplateID = common.Uint64Ptr(id)
	_, err = c.DeleteEmailTemplate(del)
	must(t, err)
	_, err = c.DeleteEmailTemplate(del)
	wantCode(t, err, "InvalidParameterValue.TemplateNotExist")
}
