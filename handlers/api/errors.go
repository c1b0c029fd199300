package api

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/sending"
)

// Error is a Tencent error: a code from the SDK's errors.go (or Tencent's
// common codes) and a message for people.
type Error struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// The codes Sesame answers with.
const (
	CodeUnauthorizedOperation    = "AuthFailure.UnauthorizedOperation"
	CodeInvalidAuthorization     = "AuthFailure.InvalidAuthorization"
	CodeSecretIdNotFound         = "AuthFailure.SecretIdNotFound"
	CodeSignatureExpire          = "AuthFailure.SignatureExpire"
	CodeSignatureFailure         = "AuthFailure.SignatureFailure"
	CodeInvalidAction            = "InvalidAction"
	CodeInternalError            = "InternalError"
	CodeInvalidParameter         = "InvalidParameter"
	CodeInvalidParameterValue    = "InvalidParameterValue"
	CodeMissingParameter         = "MissingParameter"
	CodeUnknownParameter         = "UnknownParameter"
	CodeRequestLimitExceeded     = "RequestLimitExceeded"
	CodeRequestSizeLimitExceeded = "RequestSizeLimitExceeded"
	CodeResourceNotFound         = "ResourceNotFound"
	CodeUnsupportedOperation     = "UnsupportedOperation"
	CodeOperationDenied          = "OperationDenied"
	CodeFailedOperation          = "FailedOperation"
	CodeLimitExceeded            = "LimitExceeded"

	CodeAttachContentTooLarge   = "FailedOperation.AttachContentToolarge"
	CodeEmailAddrInBlacklist    = "FailedOperation.EmailAddrInBlacklist"
	CodeEmailContentTooLarge    = "FailedOperation.EmailContentToolarge"
	CodeIncorrectEmail          = "FailedOperation.IncorrectEmail"
	CodeIncorrectSender         = "FailedOperation.IncorrectSender"
	CodeInvalidAttachName       = "FailedOperation.InvalidAttachName"
	CodeInvalidLimit            = "FailedOperation.InvalidLimit"
	CodeInvalidTemplateID       = "FailedOperation.InvalidTemplateID"
	CodeMissingEmailContent     = "FailedOperation.MissingEmailContent"
	CodeNotSupportDate          = "FailedOperation.NotSupportDate"
	CodeReceiverHasUnsubscribed = "FailedOperation.ReceiverHasUnsubscribed"
	CodeTooManyAttachments      = "FailedOperation.TooManyAttachments"
	CodeTooManyRecipients       = "FailedOperation.TooManyRecipients"
	CodeWithOutPermission       = "FailedOperation.WithOutPermission"
	CodeWrongContentJSON        = "FailedOperation.WrongContentJson"

	CodeAttachContentIsWrong     = "InvalidParameterValue.AttachContentIsWrong"
	CodeBeginTimeBeforeNow       = "InvalidParameterValue.BeginTimeBeforeNow"
	CodeEmailAddressIsNULL       = "InvalidParameterValue.EmailAddressIsNULL"
	CodeEmailContentIsWrong      = "InvalidParameterValue.EmailContentIsWrong"
	CodeIllegalEmailAddress      = "InvalidParameterValue.IllegalEmailAddress"
	CodeIllegalSenderName        = "InvalidParameterValue.IllegalSenderName"
	CodeInvalidEmailIdentity     = "InvalidParameterValue.InvalidEmailIdentity"
	CodeInvalidSMTPPassword      = "InvalidParameterValue.InvalidSmtpPassWord"
	CodeNoSuchSender             = "InvalidParameterValue.NoSuchSender"
	CodeNotExistDomain           = "InvalidParameterValue.NotExistDomain"
	CodeReceiverDescIllegal      = "InvalidParameterValue.ReceiverDescIllegal"
	CodeReceiverEmailInvalid     = "InvalidParameterValue.ReceiverEmailInvalid"
	CodeReceiverNameIllegal      = "InvalidParameterValue.ReceiverNameIllegal"
	CodeRepeatCreation           = "InvalidParameterValue.RepeatCreation"
	CodeRepeatEmailAddress       = "InvalidParameterValue.RepeatEmailAddress"
	CodeRepeatReceiverName       = "InvalidParameterValue.RepeatReceiverName"
	CodeSubjectLengthError       = "InvalidParameterValue.SubjectLengthError"
	CodeTemplateContentIsNULL    = "InvalidParameterValue.TemplateContentIsNULL"
	CodeTemplateContentIsWrong   = "InvalidParameterValue.TemplateContentIsWrong"
	CodeTemplateDataError        = "InvalidParameterValue.TemplateDataError"
	CodeTemplateDataLenLimit     = "InvalidParameterValue.TemplateDataLenLimit"
	CodeTemplateNameIllegal      = "InvalidParameterValue.TemplateNameIllegal"
	CodeTemplateNameIsNULL       = "InvalidParameterValue.TemplateNameIsNULL"
	CodeTemplateNotExist         = "InvalidParameterValue.TemplateNotExist"
	CodeTemplateNotMatchData     = "InvalidParameterValue.TemplateNotMatchData"
	CodeWrongDate                = "InvalidParameterValue.WrongDate"
	CodeReceiverDetailRequestMax = "LimitExceeded.ReceiverDetailRequestLimit"

	CodeCycleParamNecessary  = "MissingParameter.CycleParamNecessary"
	CodeEmailsNecessary      = "MissingParameter.EmailsNecessary"
	CodeReceiverIDNecessary  = "MissingParameter.ReceiverIdNecessary"
	CodeSendParamNecessary   = "MissingParameter.SendParamNecessary"
	CodeTimedParamNecessary  = "MissingParameter.TimedParamNecessary"
	CodeDomainNotVerified    = "OperationDenied.DomainNotVerified"
	CodeReceiverIsOperating  = "OperationDenied.ReceiverIsOperating"
	CodeReceiverNotExist     = "OperationDenied.ReceiverNotExist"
	CodeReceiverStatusError  = "OperationDenied.ReceiverStatusError"
	CodeRepeatPassword       = "OperationDenied.RepeatPassWord"
	CodeTemplateStatusError  = "OperationDenied.TemplateStatusError"
	CodeSendAddressStatusErr = "OperationDenied.SendAddressStatusError"
)

// fieldCodes names the code of a models.ValidationError field in an
// action ("*" for any action); a field without an entry is
// InvalidParameterValue.
var fieldCodes = map[string]string{
	"CreateEmailIdentity name":              CodeInvalidEmailIdentity,
	"CreateEmailIdentity tags":              CodeInvalidParameterValue,
	"CreateEmailAddress email":              CodeIllegalEmailAddress,
	"* display_name":                        CodeIllegalSenderName,
	"UpdateEmailSmtpPassWord smtp_password": CodeInvalidSMTPPassword,
	"* name":                                CodeTemplateNameIllegal,
	"* html":                                CodeTemplateContentIsWrong,
	"* text":                                CodeTemplateContentIsWrong,
	"* subject":                             CodeSubjectLengthError,
	"* sample_data":                         CodeTemplateDataError,
	"* template_data":                       CodeTemplateDataError,
	"CreateReceiver name":                   CodeReceiverNameIllegal,
	"CreateReceiver description":            CodeReceiverDescIllegal,
	"BatchSendEmail start_at":               CodeBeginTimeBeforeNow,
	"BatchSendEmail sender_id":              CodeSendAddressStatusErr,
	"BatchSendEmail template_id":            CodeTemplateStatusError,
	"BatchSendEmail group_id":               CodeReceiverStatusError,
	"BatchSendEmail unsubscribe":            CodeInvalidParameterValue,
	"BatchSendEmail variable_defaults":      CodeTemplateDataError,
	"SendEmail to":                          CodeIncorrectEmail,
	"* value":                               CodeIllegalEmailAddress,
	"* expires_at":                          CodeWrongDate,
	"* unsubscribe_config":                  CodeInvalidParameterValue,
}

// notFoundCodes is the code of models.ErrNotFound in an action.
var notFoundCodes = map[string]string{
	"GetEmailIdentity":               CodeNotExistDomain,
	"UpdateEmailIdentity":            CodeNotExistDomain,
	"DeleteEmailIdentity":            CodeNotExistDomain,
	"DeleteEmailAddress":             CodeNoSuchSender,
	"UpdateEmailSmtpPassWord":        CodeNoSuchSender,
	"GetEmailTemplate":               CodeTemplateNotExist,
	"UpdateEmailTemplate":            CodeTemplateNotExist,
	"DeleteEmailTemplate":            CodeTemplateNotExist,
	"DeleteReceiver":                 CodeReceiverNotExist,
	"CreateReceiverDetail":           CodeReceiverNotExist,
	"CreateReceiverDetailWithData":   CodeReceiverNotExist,
	"ListReceiverDetails":            CodeReceiverNotExist,
	"CreateAddressUnsubscribeConfig": CodeNoSuchSender,
	"UpdateAddressUnsubscribeConfig": CodeResourceNotFound,
	"DeleteAddressUnsubscribeConfig": CodeResourceNotFound,
}

// refusalCodes are the Tencent codes of the sending rules' refusals.
var refusalCodes = map[sending.Rule]string{
	sending.SenderUnknown:       CodeNoSuchSender,
	sending.SenderCannotSend:    CodeDomainNotVerified,
	sending.TemplateUnknown:     CodeTemplateNotExist,
	sending.TemplateNotApproved: CodeTemplateStatusError,
	sending.InlineReviewed:      CodeWithOutPermission,
	sending.NoContent:           CodeMissingEmailContent,
	sending.NoSubject:           CodeSubjectLengthError,
	sending.BrokenVariables:     CodeEmailContentIsWrong,
	sending.MissingVariables:    CodeTemplateNotMatchData,
	sending.TooLarge:            CodeEmailContentTooLarge,
	sending.NoRecipients:        CodeEmailAddressIsNULL,
	sending.AllSuppressed:       CodeEmailAddrInBlacklist,
	sending.AllUnsubscribed:     CodeReceiverHasUnsubscribed,
	sending.GroupUnknown:        CodeReceiverNotExist,
	sending.GroupEmpty:          CodeReceiverStatusError,
	sending.GroupImporting:      CodeReceiverIsOperating,
}

// toAPIError is the one place where errors become Tencent codes. Errors
// the actions raise themselves are already *Error; domain errors are
// mapped by kind, validation errors by action and field. Anything else is
// an internal error: logged with the request id, which the message gives.
func (a *API) toAPIError(ctx context.Context, action, requestID string, err error) *Error {
	var (
		apiErr      *Error
		verr        *models.ValidationError
		conflict    *models.ConflictError
		notApproved *content.TemplateNotApprovedError
		throttled   *models.ThrottledError
		refusal     *sending.Refusal
	)
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &refusal):
		return errf(refusalCodes[refusal.Rule], "%s", refusal.Message)
	case errors.Is(err, identity.ErrSamePassword):
		return errf(CodeRepeatPassword, "The new SMTP password must differ from the current one.")
	case errors.As(err, &verr):
		return validationError(action, verr)
	case errors.Is(err, models.ErrNotFound):
		code := notFoundCodes[action]
		if code == "" {
			code = CodeResourceNotFound
		}
		return errf(code, "Not found.")
	case errors.Is(err, queue.ErrDomainNotVerified):
		return errf(CodeDomainNotVerified, "The sender's domain is not verified: publish its DNS records and verify it first.")
	case errors.As(err, &notApproved):
		return errf(CodeTemplateStatusError, "%s.", upperFirst(notApproved.Error()))
	case errors.As(err, &conflict):
		return errf(CodeOperationDenied, "%s", conflict.Message)
	case errors.Is(err, models.ErrConflict):
		return errf(CodeOperationDenied, "That conflicts with the current state; try again.")
	case errors.As(err, &throttled):
		return errf(CodeRequestLimitExceeded, "Too many requests; retry after %s.", throttled.RetryAt.UTC().Format("15:04:05 UTC"))
	case errors.Is(err, context.DeadlineExceeded):
		return errf(CodeInternalError, "The request took too long (reference %s); try again.", requestID)
	}
	a.log.ErrorContext(ctx, "API action failed", "action", action, "request_id", requestID, "err", err)
	return errf(CodeInternalError, "Something went wrong on our side. It has been logged with reference %s.", requestID)
}

func validationError(action string, verr *models.ValidationError) *Error {
	fields := make([]string, 0, len(verr.Fields))
	for f := range verr.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	code := ""
	msgs := make([]string, 0, len(fields))
	for _, f := range fields {
		if code == "" {
			code = fieldCodes[action+" "+f]
		}
		if code == "" {
			code = fieldCodes["* "+f]
		}
		msgs = append(msgs, verr.Fields[f])
	}
	if code == "" {
		code = CodeInvalidParameterValue
	}
	return &Error{Code: code, Message: strings.Join(msgs, " ")}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
