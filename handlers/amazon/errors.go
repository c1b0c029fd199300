package amazon

import (
	"context"
	"errors"
	"net/http"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/sending"
)

// Error is an error in Amazon's words: the HTTP status, the code the SDKs
// read (X-Amzn-ErrorType, or the query protocol's <Code>), the message.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func badRequest(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: msg}
}

func notFound(msg string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NotFoundException", Message: msg}
}

func rejected(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "MessageRejected", Message: msg}
}

// refusalCodes word the sending rules' refusals as Amazon does: what
// Amazon refuses the message for is MessageRejected, a request it cannot
// read is BadRequestException.
var refusalCodes = map[sending.Rule]func(string) *Error{
	sending.SenderUnknown:       rejected,
	sending.SenderCannotSend:    rejected,
	sending.TemplateUnknown:     notFound,
	sending.TemplateNotApproved: rejected,
	sending.InlineReviewed:      rejected,
	sending.TooLarge:            rejected,
	sending.AllSuppressed:       rejected,
	sending.AllUnsubscribed:     rejected,
}

// toError is the one place where errors become Amazon's codes. Anything
// unforeseen is logged with the request id, which the message gives.
func (a *API) toError(ctx context.Context, action, requestID string, err error) *Error {
	var (
		e         *Error
		refusal   *sending.Refusal
		verr      *models.ValidationError
		throttled *models.ThrottledError
		conflict  *models.ConflictError
		notAppr   *content.TemplateNotApprovedError
	)
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &refusal):
		if f := refusalCodes[refusal.Rule]; f != nil {
			return f(refusal.Message)
		}
		return badRequest(refusal.Message)
	case errors.As(err, &verr):
		return badRequest(verr.Error())
	case errors.Is(err, models.ErrNotFound):
		return notFound("Not found.")
	case errors.As(err, &notAppr):
		return rejected(notAppr.Error())
	case errors.As(err, &conflict):
		return &Error{Status: http.StatusConflict, Code: "ConflictException", Message: conflict.Message}
	case errors.As(err, &throttled):
		return &Error{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Too many requests; retry after " + throttled.RetryAt.UTC().Format("15:04:05 UTC") + "."}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusInternalServerError, Code: "InternalServiceErrorException", Message: "The request took too long (reference " + requestID + "); try again."}
	}
	a.log.ErrorContext(ctx, "SES action failed", "action", action, "request_id", requestID, "err", err)
	return &Error{Status: http.StatusInternalServerError, Code: "InternalServiceErrorException", Message: "Something went wrong on our side. It has been logged with reference " + requestID + "."}
}
