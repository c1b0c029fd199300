package api

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/sending"
)

// errf is an error the client can act on, with its Tencent code.
func errf(code, format string, args ...any) *wire.Error {
	return &wire.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// fieldCodes names the code of a models.ValidationError field in an
// action ("*" for any action); a field without an entry is
// InvalidParameterValue.
var fieldCodes = map[string]string{
	"CreateEmailIdentity name":              wire.CodeInvalidEmailIdentity,
	"CreateEmailIdentity tags":              wire.CodeInvalidParameterValue,
	"CreateEmailAddress email":              wire.CodeIllegalEmailAddress,
	"* display_name":                        wire.CodeIllegalSenderName,
	"UpdateEmailSmtpPassWord smtp_password": wire.CodeInvalidSMTPPassword,
	"* name":                                wire.CodeTemplateNameIllegal,
	"* html":                                wire.CodeTemplateContentIsWrong,
	"* text":                                wire.CodeTemplateContentIsWrong,
	"* subject":                             wire.CodeSubjectLengthError,
	"* sample_data":                         wire.CodeTemplateDataError,
	"* template_data":                       wire.CodeTemplateDataError,
	"CreateReceiver name":                   wire.CodeReceiverNameIllegal,
	"CreateReceiver description":            wire.CodeReceiverDescIllegal,
	"BatchSendEmail start_at":               wire.CodeBeginTimeBeforeNow,
	"BatchSendEmail sender_id":              wire.CodeSendAddressStatusErr,
	"BatchSendEmail template_id":            wire.CodeTemplateStatusError,
	"BatchSendEmail group_id":               wire.CodeReceiverStatusError,
	"BatchSendEmail unsubscribe":            wire.CodeInvalidParameterValue,
	"BatchSendEmail variable_defaults":      wire.CodeTemplateDataError,
	"SendEmail to":                          wire.CodeIncorrectEmail,
	"* value":                               wire.CodeIllegalEmailAddress,
	"* expires_at":                          wire.CodeWrongDate,
	"* unsubscribe_config":                  wire.CodeInvalidParameterValue,
	"* reply_to":                            wire.CodeIllegalEmailAddress,
}

// notFoundCodes is the code of models.ErrNotFound in an action.
var notFoundCodes = map[string]string{
	"GetEmailIdentity":               wire.CodeNotExistDomain,
	"UpdateEmailIdentity":            wire.CodeNotExistDomain,
	"DeleteEmailIdentity":            wire.CodeNotExistDomain,
	"DeleteEmailAddress":             wire.CodeNoSuchSender,
	"UpdateEmailSmtpPassWord":        wire.CodeNoSuchSender,
	"GetEmailTemplate":               wire.CodeTemplateNotExist,
	"UpdateEmailTemplate":            wire.CodeTemplateNotExist,
	"DeleteEmailTemplate":            wire.CodeTemplateNotExist,
	"DeleteReceiver":                 wire.CodeReceiverNotExist,
	"CreateReceiverDetail":           wire.CodeReceiverNotExist,
	"CreateReceiverDetailWithData":   wire.CodeReceiverNotExist,
	"ListReceiverDetails":            wire.CodeReceiverNotExist,
	"CreateAddressUnsubscribeConfig": wire.CodeNoSuchSender,
	"UpdateAddressUnsubscribeConfig": wire.CodeResourceNotFound,
	"DeleteAddressUnsubscribeConfig": wire.CodeResourceNotFound,
}

// refusalCodes are the Tencent codes of the sending rules' refusals.
var refusalCodes = map[sending.Rule]string{
	sending.SenderUnknown:       wire.CodeNoSuchSender,
	sending.SenderCannotSend:    wire.CodeDomainNotVerified,
	sending.TemplateUnknown:     wire.CodeTemplateNotExist,
	sending.TemplateNotApproved: wire.CodeTemplateStatusError,
	sending.InlineReviewed:      wire.CodeWithOutPermission,
	sending.NoContent:           wire.CodeMissingEmailContent,
	sending.NoSubject:           wire.CodeSubjectLengthError,
	sending.BrokenVariables:     wire.CodeEmailContentIsWrong,
	sending.MissingVariables:    wire.CodeTemplateNotMatchData,
	sending.TooLarge:            wire.CodeEmailContentTooLarge,
	sending.NoRecipients:        wire.CodeEmailAddressIsNULL,
	sending.AllSuppressed:       wire.CodeEmailAddrInBlacklist,
	sending.AllUnsubscribed:     wire.CodeReceiverHasUnsubscribed,
	sending.GroupUnknown:        wire.CodeReceiverNotExist,
	sending.GroupEmpty:          wire.CodeReceiverStatusError,
	sending.GroupImporting:      wire.CodeReceiverIsOperating,
	sending.BccVisible:          wire.CodeInvalidParameterValue,
	sending.BadHeader:           wire.CodeInvalidParameterValue,
	sending.BadAttachment:       wire.CodeInvalidAttachName,
}

// actionCodes are the codes an action documents in place of the general
// ones: BatchSendEmail lists no "no such sender" or "no such template",
// only that the sender's or the template's status is wrong.
var actionCodes = map[string]map[string]string{
	"BatchSendEmail": {
		wire.CodeNoSuchSender:     wire.CodeSendAddressStatusErr,
		wire.CodeIncorrectSender:  wire.CodeSendAddressStatusErr,
		wire.CodeTemplateNotExist: wire.CodeTemplateStatusError,
	},
}

// toAPIError is the one place where errors become Tencent codes, in the
// action's own words (actionCodes).
func (a *API) toAPIError(ctx context.Context, action, requestID string, err error) *wire.Error {
	e := a.generalError(ctx, action, requestID, err)
	if code, ok := actionCodes[action][e.Code]; ok {
		return &wire.Error{Code: code, Message: e.Message}
	}
	return e
}

// generalError is the one place where errors become Tencent codes. Errors
// the actions raise themselves are already *wire.Error; domain errors are
// mapped by kind, validation errors by action and field. Anything else is
// an internal error: logged with the request id, which the message gives.
func (a *API) generalError(ctx context.Context, action, requestID string, err error) *wire.Error {
	var (
		apiErr      *wire.Error
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
		return errf(wire.CodeRepeatPassword, "The new SMTP password must differ from the current one.")
	case errors.As(err, &verr):
		return validationError(action, verr)
	case errors.Is(err, models.ErrNotFound):
		code := notFoundCodes[action]
		if code == "" {
			code = wire.CodeResourceNotFound
		}
		return errf(code, "Not found.")
	case errors.Is(err, queue.ErrDomainNotVerified):
		return errf(wire.CodeDomainNotVerified, "The sender's domain is not verified: publish its DNS records and verify it first.")
	case errors.As(err, &notApproved):
		return errf(wire.CodeTemplateStatusError, "%s.", upperFirst(notApproved.Error()))
	case errors.As(err, &conflict):
		return errf(wire.CodeOperationDenied, "%s", conflict.Message)
	case errors.Is(err, models.ErrConflict):
		return errf(wire.CodeOperationDenied, "That conflicts with the current state; try again.")
	case errors.As(err, &throttled):
		return errf(wire.CodeRequestLimitExceeded, "Too many requests; retry after %s.", throttled.RetryAt.UTC().Format("15:04:05 UTC"))
	case errors.Is(err, context.DeadlineExceeded):
		return errf(wire.CodeInternalError, "The request took too long (reference %s); try again.", requestID)
	}
	a.log.ErrorContext(ctx, "API action failed", "action", action, "request_id", requestID, "err", err)
	return errf(wire.CodeInternalError, "Something went wrong on our side. It has been logged with reference %s.", requestID)
}

func validationError(action string, verr *models.ValidationError) *wire.Error {
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
		code = wire.CodeInvalidParameterValue
	}
	return &wire.Error{Code: code, Message: strings.Join(msgs, " ")}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
