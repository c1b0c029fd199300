package api_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/internal/tc3"
	"github.com/sesame-email/sesame/models/audience"
)

// sdkCodes reads, from the SDK's own source, the codes of errors.go and
// the codes each action's comment in client.go says it may return.
func sdkCodes(t *testing.T) (all map[string]bool, byAction map[string]map[string]bool) {
	t.Helper()
	file, _ := runtime.FuncForPC(reflect.ValueOf((*ses.Client).SendEmail).Pointer()).FileLine(reflect.ValueOf((*ses.Client).SendEmail).Pointer())
	client, err := os.ReadFile(file)
	must(t, err)
	errs, err := os.ReadFile(filepath.Join(filepath.Dir(file), "errors.go"))
	must(t, err)
	all = map[string]bool{}
	for _, m := range regexp.MustCompile(`= "([A-Za-z.]+)"`).FindAllStringSubmatch(string(errs), -1) {
		all[m[1]] = true
	}
	byAction = map[string]map[string]bool{}
	for _, m := range regexp.MustCompile(`((?://.*\n)+)func \(c \*Client\) (\w+)\(request`).FindAllStringSubmatch(string(client), -1) {
		codes := map[string]bool{}
		for _, c := range regexp.MustCompile(`//\s+\w+ = "([A-Za-z.]+)"`).FindAllStringSubmatch(m[1], -1) {
			codes[c[1]] = true
		}
		byAction[m[2]] = codes
	}
	if len(all) < 90 || len(byAction) != 35 {
		t.Fatalf("read %d codes and %d actions from the SDK's %s", len(all), len(byAction), file)
	}
	return all, byAction
}

// commonCodes are Tencent Cloud's public codes, which any action may
// return.
var commonCodes = map[string]bool{
	"AuthFailure.SignatureFailure": true, "AuthFailure.SignatureExpire": true, "AuthFailure.SecretIdNotFound": true,
	"AuthFailure.InvalidAuthorization": true, "AuthFailure.UnauthorizedOperation": true, "InvalidAction": true,
	"InvalidParameter": true, "InvalidParameterValue": true, "MissingParameter": true, "UnknownParameter": true,
	"InternalError": true, "RequestLimitExceeded": true, "RequestSizeLimitExceeded": true, "ResourceNotFound": true,
	"UnsupportedOperation": true, "LimitExceeded": true, "FailedOperation": true, "OperationDenied": true,
}

// undocumented are the codes Sesame answers that the SDK's comment for the
// action does not list, each with why: the comment is incomplete (or, for
// the address unsubscribe actions, copied from a neighbour), and the code
// is the SDK's own name for exactly that problem.
var undocumented = map[string]string{
	"SendEmail InvalidParameterValue.NoSuchSender":                        "the SDK's code for an unknown sender, as GetSendEmailStatus and DeleteEmailAddress use it",
	"SendEmail InvalidParameterValue.TemplateNotExist":                    "the SDK's code for an unknown template",
	"SendEmail InvalidParameterValue.TemplateDataError":                   "as BatchSendEmail documents it",
	"SendEmail InvalidParameterValue.TemplateNotMatchData":                "as BatchSendEmail documents it",
	"SendEmail InvalidParameterValue.TemplateDataLenLimit":                "as CreateReceiverDetailWithData documents it",
	"SendEmail InvalidParameterValue.SubjectLengthError":                  "as BatchSendEmail documents it",
	"SendEmail InvalidParameterValue.IllegalSenderName":                   "as CreateEmailAddress documents it",
	"SendEmail InvalidParameterValue.IllegalEmailAddress":                 "a malformed ReplyToAddresses",
	"CreateAddressUnsubscribeConfig InvalidParameterValue.NoSuchSender":   "the SDK copied BatchSendEmail's list here",
	"CreateAddressUnsubscribeConfig InvalidParameterValue.RepeatCreation": "the SDK copied BatchSendEmail's list here",
	"UpdateAddressUnsubscribeConfig InvalidParameterValue.NoSuchSender":   "the SDK copied SendEmail's list here",
	"DeleteAddressUnsubscribeConfig InvalidParameterValue.NoSuchSender":   "the SDK copied CreateReceiverDetailWithData's list here",
	"CreateEmailTemplate InvalidParameterValue.TemplateNameIsNULL":        "as UpdateEmailTemplate documents it",
	"DeleteEmailTemplate InvalidParameterValue.TemplateNotExist":          "as GetEmailTemplate and UpdateEmailTemplate document it",
	"DeleteEmailIdentity InvalidParameterValue.NotExistDomain":            "as GetEmailIdentity and UpdateEmailIdentity document it",
	"GetStatisticsReport FailedOperation.NotSupportDate":                  "as GetSendEmailStatus documents it: a range too long",
	"GetStatisticsReport InvalidParameterValue.NotExistDomain":            "as GetEmailIdentity documents it",
	"ListEmailIdentities FailedOperation.InvalidLimit":                    "as the other List actions document it",
}

// Every code Sesame answers, action by action, through the SDK: each is a
// code of the SDK's errors.go (or a public one), and one the SDK documents
// for that action unless undocumented says why not.
func TestErrorCodesAsTheSDKDocumentsThem(t *testing.T) {
	all, byAction := sdkCodes(t)
	e := newEnv(t)
	e.verifiedSender("news@example.com", "News")
	e.verifiedSender("info@example.com", "Info")
	tplID := e.template(t, "Welcome", "<p>Hi {{name}}</p>")
	groupID := e.receiver(t, "Readers")
	_, err := e.Store.Audience.UploadRecipients(ctx, groupID, []audience.RecipientInput{{Email: "ann@dest.example.net"}}, "test", nil)
	must(t, err)
	pending := ses.NewCreateEmailIdentityRequest()
	pending.EmailIdentity = common.StringPtr("pending.example.org")
	_, err = e.admin().CreateEmailIdentity(pending)
	must(t, err)
	m, a := e.marketer(), e.admin()
	send := func(edit func(*ses.SendEmailRequest)) func() error {
		return func() error {
			r := sendRequest(tplID)
			r.FromEmailAddress = common.StringPtr("news@example.com")
			edit(r)
			_, err := m.SendEmail(r)
			return err
		}
	}
	batch := func(edit func(*ses.BatchSendEmailRequest)) func() error {
		return func() error {
			r := ses.NewBatchSendEmailRequest()
			r.FromEmailAddress, r.ReceiverId, r.Subject, r.TaskType = common.StringPtr("news@example.com"), common.Uint64Ptr(groupID), common.StringPtr("Hi"), common.Uint64Ptr(1)
			r.Template = &ses.Template{TemplateID: common.Uint64Ptr(tplID), TemplateData: common.StringPtr(`{"name":"you"}`)}
			edit(r)
			_, err := m.BatchSendEmail(r)
			return err
		}
	}
	s, u64, ss := common.StringPtr, common.Uint64Ptr, common.StringPtrs
	used := map[string]bool{}

	for _, tc := range []struct {
		action string
		call   func() error
		code   string
	}{
		{"CreateEmailIdentity", func() error { _, err := m.CreateEmailIdentity(pending); return err }, ses.AUTHFAILURE_UNAUTHORIZEDOPERATION},
		{"CreateEmailIdentity", func() error { _, err := a.CreateEmailIdentity(pending); return err }, ses.INVALIDPARAMETERVALUE_REPEATCREATION},
		{"CreateEmailIdentity", func() error {
			_, err := a.CreateEmailIdentity(&ses.CreateEmailIdentityRequest{EmailIdentity: s("not a domain")})
			return err
		}, ses.INVALIDPARAMETERVALUE_INVALIDEMAILIDENTITY},
		{"CreateEmailIdentity", func() error { _, err := a.CreateEmailIdentity(ses.NewCreateEmailIdentityRequest()); return err }, ses.MISSINGPARAMETER},
		{"GetEmailIdentity", func() error {
			_, err := m.GetEmailIdentity(&ses.GetEmailIdentityRequest{EmailIdentity: s("nowhere.example")})
			return err
		}, ses.INVALIDPARAMETERVALUE_NOTEXISTDOMAIN},
		{"UpdateEmailIdentity", func() error {
			_, err := a.UpdateEmailIdentity(&ses.UpdateEmailIdentityRequest{EmailIdentity: s("nowhere.example")})
			return err
		}, ses.INVALIDPARAMETERVALUE_NOTEXISTDOMAIN},
		{"DeleteEmailIdentity", func() error {
			_, err := a.DeleteEmailIdentity(&ses.DeleteEmailIdentityRequest{EmailIdentity: s("nowhere.example")})
			return err
		}, ses.INVALIDPARAMETERVALUE_NOTEXISTDOMAIN},
		{"ListEmailIdentities", func() error {
			_, err := m.ListEmailIdentities(&ses.ListEmailIdentitiesRequest{Limit: u64(100000)})
			return err
		}, "FailedOperation.InvalidLimit"},

		{"CreateEmailAddress", func() error {
			_, err := m.CreateEmailAddress(&ses.CreateEmailAddressRequest{EmailAddress: s("x@pending.example.org")})
			return err
		}, ses.OPERATIONDENIED_DOMAINNOTVERIFIED},
		{"CreateEmailAddress", func() error {
			_, err := m.CreateEmailAddress(&ses.CreateEmailAddressRequest{EmailAddress: s("news@example.com")})
			return err
		}, ses.INVALIDPARAMETERVALUE_REPEATEMAILADDRESS},
		{"CreateEmailAddress", func() error {
			_, err := m.CreateEmailAddress(&ses.CreateEmailAddressRequest{EmailAddress: s("not an address")})
			return err
		}, ses.INVALIDPARAMETERVALUE_ILLEGALEMAILADDRESS},
		{"CreateEmailAddress", func() error {
			_, err := m.CreateEmailAddress(&ses.CreateEmailAddressRequest{EmailAddress: s("b@example.com"), EmailSenderName: s("a <x@y.z>")})
			return err
		}, ses.INVALIDPARAMETERVALUE_ILLEGALSENDERNAME},
		{"DeleteEmailAddress", func() error {
			_, err := m.DeleteEmailAddress(&ses.DeleteEmailAddressRequest{EmailAddress: s("ghost@example.com")})
			return err
		}, ses.INVALIDPARAMETERVALUE_NOSUCHSENDER},
		{"UpdateEmailSmtpPassWord", func() error {
			_, err := m.UpdateEmailSmtpPassWord(&ses.UpdateEmailSmtpPassWordRequest{EmailAddress: s("ghost@example.com"), Password: s("long enough 1")})
			return err
		}, ses.INVALIDPARAMETERVALUE_NOSUCHSENDER},
		{"UpdateEmailSmtpPassWord", func() error {
			_, err := m.UpdateEmailSmtpPassWord(&ses.UpdateEmailSmtpPassWordRequest{EmailAddress: s("news@example.com"), Password: s("short")})
			return err
		}, ses.INVALIDPARAMETERVALUE_INVALIDSMTPPASSWORD},
		{"UpdateEmailSmtpPassWord", func() error {
			_, err := m.UpdateEmailSmtpPassWord(&ses.UpdateEmailSmtpPassWordRequest{EmailAddress: s("news@example.com"), Password: s(strings.Repeat("p", 65))})
			return err
		}, ses.INVALIDPARAMETERVALUE_INVALIDSMTPPASSWORD},
		{"UpdateEmailSmtpPassWord", func() error {
			r := &ses.UpdateEmailSmtpPassWordRequest{EmailAddress: s("news@example.com"), Password: s("a passphrase of 64 characters at most, spaces & all: fine!")}
			if _, err := m.UpdateEmailSmtpPassWord(r); err != nil {
				return err
			}
			_, err := m.UpdateEmailSmtpPassWord(r)
			return err
		}, ses.OPERATIONDENIED_REPEATPASSWORD},
		{"CreateAddressUnsubscribeConfig", func() error {
			_, err := m.CreateAddressUnsubscribeConfig(&ses.CreateAddressUnsubscribeConfigRequest{Address: s("ghost@example.com"), UnsubscribeConfig: s("2"), Status: u64(1)})
			return err
		}, ses.INVALIDPARAMETERVALUE_NOSUCHSENDER},
		{"CreateAddressUnsubscribeConfig", func() error {
			_, err := m.CreateAddressUnsubscribeConfig(&ses.CreateAddressUnsubscribeConfigRequest{Address: s("news@example.com"), UnsubscribeConfig: s("12"), Status: u64(1)})
			return err
		}, ses.INVALIDPARAMETERVALUE},
		{"CreateAddressUnsubscribeConfig", func() error {
			r := &ses.CreateAddressUnsubscribeConfigRequest{Address: s("news@example.com"), UnsubscribeConfig: s("2"), Status: u64(1)}
			if _, err := m.CreateAddressUnsubscribeConfig(r); err != nil {
				return err
			}
			_, err := m.CreateAddressUnsubscribeConfig(r)
			return err
		}, ses.INVALIDPARAMETERVALUE_REPEATCREATION},
		{"UpdateAddressUnsubscribeConfig", func() error {
			_, err := m.UpdateAddressUnsubscribeConfig(&ses.UpdateAddressUnsubscribeConfigRequest{Address: s("ghost@example.com"), UnsubscribeConfig: s("2"), Status: u64(1)})
			return err
		}, ses.INVALIDPARAMETERVALUE_NOSUCHSENDER},
		{"DeleteAddressUnsubscribeConfig", func() error {
			_, err := m.DeleteAddressUnsubscribeConfig(&ses.DeleteAddressUnsubscribeConfigRequest{Address: s("ghost@example.com")})
			return err
		}, ses.INVALIDPARAMETERVALUE_NOSUCHSENDER},
		{"UpdateAddressUnsubscribeConfig", func() error {
			_, err := m.UpdateAddressUnsubscribeConfig(&ses.UpdateAddressUnsubscribeConfigRequest{Address: s("info@example.com"), UnsubscribeConfig: s("2"), Status: u64(1)})
			return err
		}, ses.RESOURCENOTFOUND},
		{"DeleteAddressUnsubscribeConfig", func() error {
			_, err := m.DeleteAddressUnsubscribeConfig(&ses.DeleteAddressUnsubscribeConfigRequest{Address: s("info@example.com")})
			return err
		}, ses.RESOURCENOTFOUND},
		{"ListAddressUnsubscribeConfig", func() error {
			_, err := m.ListAddressUnsubscribeConfig(&ses.ListAddressUnsubscribeConfigRequest{Limit: s("many")})
			return err
		}, ses.INVALIDPARAMETERVALUE},

		{"CreateEmailTemplate", func() error {
			_, err := m.CreateEmailTemplate(&ses.CreateEmailTemplateRequest{TemplateName: s("Empty"), TemplateContent: &ses.TemplateContent{}})
			return err
		}, ses.INVALIDPARAMETERVALUE_TEMPLATECONTENTISNULL},
		{"CreateEmailTemplate", func() error {
			_, err := m.CreateEmailTemplate(&ses.CreateEmailTemplateRequest{TemplateName: s("Welcome"), TemplateContent: &ses.TemplateContent{Html: b64("<p>x</p>")}})
			return err
		}, ses.INVALIDPARAMETERVALUE_TEMPLATENAMEILLEGAL},
		{"CreateEmailTemplate", func() error {
			_, err := m.CreateEmailTemplate(&ses.CreateEmailTemplateRequest{TemplateName: s("Broken"), TemplateContent: &ses.TemplateContent{Html: s("%%%")}})
			return err
		}, ses.INVALIDPARAMETERVALUE_TEMPLATECONTENTISWRONG},
		{"CreateEmailTemplate", func() error {
			_, err := m.CreateEmailTemplate(&ses.CreateEmailTemplateRequest{TemplateContent: &ses.TemplateContent{Html: b64("<p>x</p>")}})
			return err
		}, ses.INVALIDPARAMETERVALUE_TEMPLATENAMEISNULL},
		{"GetEmailTemplate", func() error {
			_, err := m.GetEmailTemplate(&ses.GetEmailTemplateRequest{TemplateID: u64(tplID + 99)})
			return err
		}, ses.INVALIDPARAMETERVALUE_TEMPLATENOTEXIST},
		{"UpdateEmailTemplate", func() error {
			_, err := m.UpdateEmailTemplate(&ses.UpdateEmailTemplateRequest{TemplateID: u64(tplID + 99), TemplateName: s("X"), TemplateContent: &ses.TemplateContent{Html: b64("<p>x</p>")}})
			return err
		}, ses.INVALIDPARAMETERVALUE_TEMPLATENOTEXIST},
		{"UpdateEmailTemplate", func() error {
			_, err := m.UpdateEmailTemplate(&ses.UpdateEmailTemplateRequest{TemplateID: u64(tplID), TemplateName: s(" "), TemplateContent: &ses.TemplateContent{Html: b64("<p>x</p>")}})
			return err
		}, ses.INVALIDPARAMETERVALUE_TEMPLATENAMEISNULL},
		{"DeleteEmailTemplate", func() error {
			_, err := m.DeleteEmailTemplate(&ses.DeleteEmailTemplateRequest{TemplateID: u64(tplID + 99)})
			return err
		}, ses.INVALIDPARAMETERVALUE_TEMPLATENOTEXIST},

		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.Destination = nil }), ses.INVALIDPARAMETERVALUE_EMAILADDRESSISNULL},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.Destination = ss([]string{"bob at example"}) }), ses.FAILEDOPERATION_INCORRECTEMAIL},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.FromEmailAddress = s("News <news@") }), ses.FAILEDOPERATION_INCORRECTSENDER},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.FromEmailAddress = s("ghost@example.com") }), ses.INVALIDPARAMETERVALUE_NOSUCHSENDER},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.Template = nil }), ses.FAILEDOPERATION_MISSINGEMAILCONTENT},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.Template = nil; r.Simple = &ses.Simple{Html: s("%%%")} }), ses.INVALIDPARAMETERVALUE_EMAILCONTENTISWRONG},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.Template.TemplateID = u64(tplID + 99) }), ses.INVALIDPARAMETERVALUE_TEMPLATENOTEXIST},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.Template.TemplateData = s("x") }), ses.INVALIDPARAMETERVALUE_TEMPLATEDATAERROR},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.Template.TemplateData = s(`{"x":"1"}`) }), ses.INVALIDPARAMETERVALUE_TEMPLATENOTMATCHDATA},
		{"SendEmail", send(func(r *ses.SendEmailRequest) {
			r.Template.TemplateData = s(`{"name":"` + strings.Repeat("n", 11<<10) + `"}`)
		}), ses.INVALIDPARAMETERVALUE_TEMPLATEDATALENLIMIT},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.Subject = nil }), ses.INVALIDPARAMETERVALUE_SUBJECTLENGTHERROR},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.FromEmailAddress = s(`"A: B" <news@example.com>`) }), ses.INVALIDPARAMETERVALUE_ILLEGALSENDERNAME},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.ReplyToAddresses = s("help at example") }), ses.INVALIDPARAMETERVALUE_ILLEGALEMAILADDRESS},
		{"SendEmail", send(func(r *ses.SendEmailRequest) {
			r.Destination = ss(strings.Split(strings.Repeat("a@b.example,", 51), ",")[:51])
		}), ses.FAILEDOPERATION_TOOMANYRECIPIENTS},
		{"SendEmail", send(func(r *ses.SendEmailRequest) {
			r.Attachments = []*ses.Attachment{{FileName: s("a.txt"), Content: s("%%%")}}
		}), ses.INVALIDPARAMETERVALUE_ATTACHCONTENTISWRONG},
		{"SendEmail", send(func(r *ses.SendEmailRequest) {
			r.Attachments = []*ses.Attachment{{FileName: s("../a.txt"), Content: s("YQ==")}}
		}), ses.FAILEDOPERATION_INVALIDATTACHNAME},
		{"SendEmail", send(func(r *ses.SendEmailRequest) {
			for range 11 {
				r.Attachments = append(r.Attachments, &ses.Attachment{FileName: s("a.txt"), Content: s("YQ==")})
			}
		}), ses.FAILEDOPERATION_TOOMANYATTACHMENTS},
		{"SendEmail", send(func(r *ses.SendEmailRequest) {
			r.Attachments = []*ses.Attachment{{FileName: s("a.txt"), FileURL: s("https://example.com/a.txt")}}
		}), ses.UNSUPPORTEDOPERATION},
		{"SendEmail", send(func(r *ses.SendEmailRequest) { r.TriggerType = u64(7) }), ses.INVALIDPARAMETERVALUE},
		{"SendEmail", func() error {
			_, _, err := e.Store.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: "gone@dest.example.net", Reason: audience.ReasonHardBounce})
			must(t, err)
			return send(func(r *ses.SendEmailRequest) { r.Destination = ss([]string{"gone@dest.example.net"}) })()
		}, ses.FAILEDOPERATION_EMAILADDRINBLACKLIST},

		{"BatchSendEmail", batch(func(r *ses.BatchSendEmailRequest) { r.FromEmailAddress = s("ghost@example.com") }), ses.OPERATIONDENIED_SENDADDRESSSTATUSERROR},
		{"BatchSendEmail", batch(func(r *ses.BatchSendEmailRequest) { r.Template.TemplateID = u64(tplID + 99) }), ses.OPERATIONDENIED_TEMPLATESTATUSERROR},
		{"BatchSendEmail", batch(func(r *ses.BatchSendEmailRequest) { r.ReceiverId = u64(groupID + 99) }), ses.OPERATIONDENIED_RECEIVERNOTEXIST},
		{"BatchSendEmail", batch(func(r *ses.BatchSendEmailRequest) { r.ReceiverId = nil }), ses.MISSINGPARAMETER_SENDPARAMNECESSARY},
		{"BatchSendEmail", batch(func(r *ses.BatchSendEmailRequest) { r.TaskType = u64(2) }), ses.MISSINGPARAMETER_TIMEDPARAMNECESSARY},
		{"BatchSendEmail", batch(func(r *ses.BatchSendEmailRequest) { r.TaskType = u64(3) }), ses.MISSINGPARAMETER_CYCLEPARAMNECESSARY},
		{"BatchSendEmail", batch(func(r *ses.BatchSendEmailRequest) {
			r.TaskType, r.TimedParam = u64(2), &ses.TimedEmailParam{BeginTime: s("2001-01-01 00:00:00")}
		}), ses.INVALIDPARAMETERVALUE_BEGINTIMEBEFORENOW},
		{"BatchSendEmail", batch(func(r *ses.BatchSendEmailRequest) { r.Template.TemplateData = s("x") }), ses.INVALIDPARAMETERVALUE_TEMPLATEDATAERROR},
		{"GetSendEmailStatus", func() error {
			_, err := m.GetSendEmailStatus(&ses.GetSendEmailStatusRequest{RequestDate: s("yesterday"), Limit: u64(10)})
			return err
		}, ses.INVALIDPARAMETERVALUE_WRONGDATE},
		{"GetStatisticsReport", func() error {
			_, err := m.GetStatisticsReport(&ses.GetStatisticsReportRequest{StartDate: s("2026-13-01"), EndDate: s("2026-12-01")})
			return err
		}, ses.INVALIDPARAMETERVALUE_WRONGDATE},
		{"GetStatisticsReport", func() error {
			_, err := m.GetStatisticsReport(&ses.GetStatisticsReportRequest{StartDate: s("2020-01-01"), EndDate: s("2026-12-01")})
			return err
		}, ses.FAILEDOPERATION_NOTSUPPORTDATE},
		{"GetStatisticsReport", func() error {
			_, err := m.GetStatisticsReport(&ses.GetStatisticsReportRequest{StartDate: s("2026-12-01"), EndDate: s("2026-12-02"), Domain: s("nowhere.example")})
			return err
		}, ses.INVALIDPARAMETERVALUE_NOTEXISTDOMAIN},
		{"ListSendTasks", func() error {
			_, err := m.ListSendTasks(&ses.ListSendTasksRequest{Limit: u64(100000), Offset: u64(0)})
			return err
		}, ses.FAILEDOPERATION_INVALIDLIMIT},

		{"CreateReceiver", func() error {
			_, err := m.CreateReceiver(&ses.CreateReceiverRequest{ReceiversName: s("Readers"), Desc: s("again")})
			return err
		}, ses.INVALIDPARAMETERVALUE_REPEATRECEIVERNAME},
		{"CreateReceiver", func() error { _, err := m.CreateReceiver(&ses.CreateReceiverRequest{Desc: s("no name")}); return err }, ses.INVALIDPARAMETERVALUE_RECEIVERNAMEILLEGAL},
		{"DeleteReceiver", func() error {
			_, err := m.DeleteReceiver(&ses.DeleteReceiverRequest{ReceiverId: u64(groupID + 99)})
			return err
		}, ses.OPERATIONDENIED_RECEIVERNOTEXIST},
		{"CreateReceiverDetail", func() error {
			_, err := m.CreateReceiverDetail(&ses.CreateReceiverDetailRequest{ReceiverId: u64(groupID)})
			return err
		}, ses.MISSINGPARAMETER_EMAILSNECESSARY},
		{"CreateReceiverDetail", func() error {
			_, err := m.CreateReceiverDetail(&ses.CreateReceiverDetailRequest{ReceiverId: u64(groupID + 99), Emails: ss([]string{"x@example.org"})})
			return err
		}, ses.OPERATIONDENIED_RECEIVERNOTEXIST},
		{"CreateReceiverDetailWithData", func() error {
			_, err := m.CreateReceiverDetailWithData(&ses.CreateReceiverDetailWithDataRequest{ReceiverId: u64(groupID),
				Datas: []*ses.ReceiverInputData{{Email: s("x@example.org"), TemplateData: s("{not json")}}})
			return err
		}, ses.INVALIDPARAMETERVALUE_TEMPLATEDATAERROR},
		{"ListReceiverDetails", func() error {
			_, err := m.ListReceiverDetails(&ses.ListReceiverDetailsRequest{ReceiverId: u64(groupID + 99), Limit: u64(10), Offset: u64(0)})
			return err
		}, ses.OPERATIONDENIED_RECEIVERNOTEXIST},
		{"ListReceivers", func() error {
			_, err := m.ListReceivers(&ses.ListReceiversRequest{Limit: u64(100000), Offset: u64(0)})
			return err
		}, ses.FAILEDOPERATION_INVALIDLIMIT},

		{"CreateCustomBlacklist", func() error { _, err := m.CreateCustomBlacklist(ses.NewCreateCustomBlacklistRequest()); return err }, ses.MISSINGPARAMETER_EMAILSNECESSARY},
		{"CreateCustomBlacklist", func() error {
			_, err := m.CreateCustomBlacklist(&ses.CreateCustomBlacklistRequest{Emails: ss([]string{"x@example.org"}), ExpireDate: s("2001-01-01")})
			return err
		}, ses.INVALIDPARAMETERVALUE_WRONGDATE},
		{"UpdateCustomBlackList", func() error {
			_, err := m.UpdateCustomBlackList(&ses.UpdateCustomBlackListRequest{Id: u64(1), Email: s("not an address")})
			return err
		}, ses.INVALIDPARAMETERVALUE_ILLEGALEMAILADDRESS},
		{"DeleteCustomBlackList", func() error { _, err := m.DeleteCustomBlackList(ses.NewDeleteCustomBlackListRequest()); return err }, ses.MISSINGPARAMETER},
		{"ListCustomBlacklist", func() error {
			_, err := m.ListCustomBlacklist(&ses.ListCustomBlacklistRequest{Limit: u64(100000), Offset: u64(0)})
			return err
		}, ses.FAILEDOPERATION_INVALIDLIMIT},
		{"ListBlackEmailAddress", func() error {
			_, err := m.ListBlackEmailAddress(&ses.ListBlackEmailAddressRequest{StartDate: s("then"), EndDate: s("2026-12-01"), Limit: u64(10), Offset: u64(0)})
			return err
		}, ses.INVALIDPARAMETERVALUE_WRONGDATE},
		{"DeleteBlackList", func() error { _, err := m.DeleteBlackList(ses.NewDeleteBlackListRequest()); return err }, ses.MISSINGPARAMETER},
		{"ListEmailTemplates", func() error {
			_, err := m.ListEmailTemplates(&ses.ListEmailTemplatesRequest{Limit: u64(100000), Offset: u64(0)})
			return err
		}, ses.FAILEDOPERATION_INVALIDLIMIT},
		{"ListEmailAddress", func() error {
			_, err := e.client(tc3Wrong(e)).ListEmailAddress(ses.NewListEmailAddressRequest())
			return err
		}, "AuthFailure.SignatureFailure"},
	} {
		t.Run(tc.action+" "+tc.code, func(t *testing.T) {
			wantCode(t, tc.call(), tc.code)
			if !all[tc.code] && !commonCodes[tc.code] {
				t.Errorf("%s is not a code of the SDK's errors.go", tc.code)
			}
			used[tc.action+" "+tc.code] = true
			if _, ok := undocumented[tc.action+" "+tc.code]; !ok && !byAction[tc.action][tc.code] && !commonCodes[tc.code] {
				t.Errorf("the SDK does not document %s for %s", tc.code, tc.action)
			}
		})
	}
	for k := range undocumented {
		if !used[k] {
			t.Errorf("undocumented lists %q, which no case answers", k)
		}
	}
}

func tc3Wrong(e *env) tc3.Credential {
	c := e.MarketerKey
	c.SecretKey = strings.Repeat("x", 40)
	return c
}
