package wire

// Error is a Tencent error: a code from the SDK's errors.go (or Tencent's
// common codes) and a message for people.
type Error struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The codes Sesame answers with: Tencent's common codes and those the
// SDK's errors.go lists for ses.
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
