// Package wire is the JSON of Tencent Cloud SES API version 2020-10-02 as
// Sesame reads and writes it: a request and a response type per action,
// with the SDK's field names, so the actions only hold behaviour.
package wire

type CycleEmailParam struct {
	BeginTime    string `json:"BeginTime"`
	IntervalTime uint64 `json:"IntervalTime"`
	TermCycle    uint64 `json:"TermCycle"`
}

type TimedEmailParam struct {
	BeginTime string `json:"BeginTime"`
}

type BatchSendEmailRequest struct {
	FromEmailAddress string           `json:"FromEmailAddress"`
	ReceiverId       uint64           `json:"ReceiverId"`
	Subject          string           `json:"Subject"`
	TaskType         uint64           `json:"TaskType"`
	ReplyToAddresses string           `json:"ReplyToAddresses"`
	Template         *TemplateParam   `json:"Template"`
	Simple           *simpleContent   `json:"Simple"`
	Attachments      []Attachment     `json:"Attachments"`
	CycleParam       *CycleEmailParam `json:"CycleParam"`
	TimedParam       *TimedEmailParam `json:"TimedParam"`
	Unsubscribe      string           `json:"Unsubscribe"`
	ADLocation       uint64           `json:"ADLocation"`
}

type BatchSendEmailResponse struct {
	TaskId uint64 `json:"TaskId"`
}

type ListSendTasksRequest struct {
	Offset     uint64  `json:"Offset"`
	Limit      *uint64 `json:"Limit"`
	Status     uint64  `json:"Status"`
	ReceiverId uint64  `json:"ReceiverId"`
	TaskType   uint64  `json:"TaskType"`
}

type SendTaskData struct {
	TaskId           uint64           `json:"TaskId"`
	FromEmailAddress string           `json:"FromEmailAddress"`
	ReceiverId       uint64           `json:"ReceiverId"`
	TaskStatus       uint64           `json:"TaskStatus"`
	TaskType         uint64           `json:"TaskType"`
	RequestCount     uint64           `json:"RequestCount"`
	SendCount        uint64           `json:"SendCount"`
	CacheCount       uint64           `json:"CacheCount"`
	CreateTime       string           `json:"CreateTime"`
	UpdateTime       string           `json:"UpdateTime"`
	Subject          string           `json:"Subject"`
	Template         TemplateParam    `json:"Template"`
	CycleParam       *CycleEmailParam `json:"CycleParam,omitempty"`
	TimedParam       *TimedEmailParam `json:"TimedParam,omitempty"`
	ErrMsg           string           `json:"ErrMsg"`
	ReceiversName    string           `json:"ReceiversName"`
}

type ListSendTasksResponse struct {
	TotalCount uint64         `json:"TotalCount"`
	Data       []SendTaskData `json:"Data"`
}

type ListBlackEmailAddressRequest struct {
	StartDate    string  `json:"StartDate"`
	EndDate      string  `json:"EndDate"`
	Limit        *uint64 `json:"Limit"`
	Offset       uint64  `json:"Offset"`
	EmailAddress string  `json:"EmailAddress"`
	TaskID       string  `json:"TaskID"` // deprecated by Tencent; accepted and ignored
}

type BlackEmailAddress struct {
	BounceTime   string `json:"BounceTime"`
	EmailAddress string `json:"EmailAddress"`
	IspDesc      string `json:"IspDesc"`
}

type ListBlackEmailAddressResponse struct {
	BlackList  []BlackEmailAddress `json:"BlackList"`
	TotalCount uint64              `json:"TotalCount"`
}

type DeleteBlackListRequest struct {
	EmailAddressList []string `json:"EmailAddressList"`
}

type CreateCustomBlacklistRequest struct {
	Emails     []string `json:"Emails"`
	ExpireDate string   `json:"ExpireDate"`
}

type CreateCustomBlacklistResponse struct {
	TotalCount   uint64 `json:"TotalCount"`
	ValidCount   uint64 `json:"ValidCount"`
	TooLongCount uint64 `json:"TooLongCount"`
	RepeatCount  uint64 `json:"RepeatCount"`
	InvalidCount uint64 `json:"InvalidCount"`
}

type ListCustomBlacklistRequest struct {
	Offset uint64  `json:"Offset"`
	Limit  *uint64 `json:"Limit"`
	Status *uint64 `json:"Status"`
	Email  string  `json:"Email"`
}

type BlackAddressDetail struct {
	Id         uint64 `json:"Id"`
	Email      string `json:"Email"`
	CreateTime string `json:"CreateTime"`
	ExpireDate string `json:"ExpireDate"`
	Status     uint64 `json:"Status"`
}

type ListCustomBlacklistResponse struct {
	TotalCount uint64               `json:"TotalCount"`
	Data       []BlackAddressDetail `json:"Data"`
}

type UpdateCustomBlackListRequest struct {
	Id         uint64 `json:"Id"`
	Email      string `json:"Email"`
	ExpireDate string `json:"ExpireDate"`
}

type DeleteCustomBlackListRequest struct {
	Emails []string `json:"Emails"`
}

type TagList struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

type DnsAttributes struct {
	Type          string `json:"Type"`
	SendDomain    string `json:"SendDomain"`
	ExpectedValue string `json:"ExpectedValue"`
	CurrentValue  string `json:"CurrentValue"`
	Status        bool   `json:"Status"`
}

type IdentityResponse struct {
	IdentityType             string          `json:"IdentityType"`
	VerifiedForSendingStatus bool            `json:"VerifiedForSendingStatus"`
	Attributes               []DnsAttributes `json:"Attributes"`
}

type CreateEmailIdentityRequest struct {
	EmailIdentity string    `json:"EmailIdentity"`
	DKIMOption    *uint64   `json:"DKIMOption"`
	TagList       []TagList `json:"TagList"`
}

type EmailIdentityRequest struct {
	EmailIdentity string `json:"EmailIdentity"`
}

type ListEmailIdentitiesRequest struct {
	TagList []TagList `json:"TagList"`
	Limit   *uint64   `json:"Limit"`
	Offset  uint64    `json:"Offset"`
}

type EmailIdentity struct {
	IdentityName           string    `json:"IdentityName"`
	IdentityType           string    `json:"IdentityType"`
	SendingEnabled         bool      `json:"SendingEnabled"`
	CurrentReputationLevel uint64    `json:"CurrentReputationLevel"`
	DailyQuota             uint64    `json:"DailyQuota"`
	SendIp                 []string  `json:"SendIp"`
	TagList                []TagList `json:"TagList"`
}

type ListEmailIdentitiesResponse struct {
	EmailIdentities    []EmailIdentity `json:"EmailIdentities"`
	MaxReputationLevel uint64          `json:"MaxReputationLevel"`
	MaxDailyQuota      uint64          `json:"MaxDailyQuota"`
	Total              uint64          `json:"Total"`
}

type CreateReceiverRequest struct {
	ReceiversName string `json:"ReceiversName"`
	Desc          string `json:"Desc"`
}

type CreateReceiverResponse struct {
	ReceiverId uint64 `json:"ReceiverId"`
}

type ListReceiversRequest struct {
	Offset  uint64  `json:"Offset"`
	Limit   *uint64 `json:"Limit"`
	Status  uint64  `json:"Status"`
	KeyWord string  `json:"KeyWord"`
}

type ReceiverData struct {
	ReceiverId      uint64 `json:"ReceiverId"`
	ReceiversName   string `json:"ReceiversName"`
	Count           uint64 `json:"Count"`
	Desc            string `json:"Desc"`
	ReceiversStatus uint64 `json:"ReceiversStatus"`
	CreateTime      string `json:"CreateTime"`
	InvalidCount    uint64 `json:"InvalidCount"`
}

type ListReceiversResponse struct {
	TotalCount uint64         `json:"TotalCount"`
	Data       []ReceiverData `json:"Data"`
}

type ReceiverIDRequest struct {
	ReceiverId uint64 `json:"ReceiverId"`
}

type CreateReceiverDetailRequest struct {
	ReceiverId uint64   `json:"ReceiverId"`
	Emails     []string `json:"Emails"`
}

type receiverInputData struct {
	Email        string `json:"Email"`
	TemplateData string `json:"TemplateData"`
}

type CreateReceiverDetailWithDataRequest struct {
	ReceiverId uint64              `json:"ReceiverId"`
	Datas      []receiverInputData `json:"Datas"`
}

type CreateReceiverDetailResponse struct {
	TotalCount      uint64 `json:"TotalCount"`
	ValidCount      uint64 `json:"ValidCount"`
	TooLongCount    uint64 `json:"TooLongCount"`
	EmptyEmailCount uint64 `json:"EmptyEmailCount"`
	RepeatCount     uint64 `json:"RepeatCount"`
}

type ListReceiverDetailsRequest struct {
	ReceiverId      uint64  `json:"ReceiverId"`
	Offset          uint64  `json:"Offset"`
	Limit           *uint64 `json:"Limit"`
	Email           string  `json:"Email"`
	CreateTimeBegin string  `json:"CreateTimeBegin"`
	CreateTimeEnd   string  `json:"CreateTimeEnd"`
	Status          uint64  `json:"Status"`
}

type ReceiverDetail struct {
	Email        string `json:"Email"`
	CreateTime   string `json:"CreateTime"`
	TemplateData string `json:"TemplateData"`
	Reason       string `json:"Reason"`
	Status       uint64 `json:"Status"`
	EmailId      uint64 `json:"EmailId"`
}

type ListReceiverDetailsResponse struct {
	TotalCount   uint64           `json:"TotalCount"`
	Data         []ReceiverDetail `json:"Data"`
	ValidCount   uint64           `json:"ValidCount"`
	InvalidCount uint64           `json:"InvalidCount"`
}

type TemplateParam struct {
	TemplateID   uint64 `json:"TemplateID"`
	TemplateData string `json:"TemplateData"`
}

type simpleContent struct {
	Html string `json:"Html"`
	Text string `json:"Text"`
}

type Attachment struct {
	FileName string `json:"FileName"`
	Content  string `json:"Content"`
	FileURL  string `json:"FileURL"`
}

type SendEmailRequest struct {
	FromEmailAddress string         `json:"FromEmailAddress"`
	Destination      []string       `json:"Destination"`
	Subject          string         `json:"Subject"`
	ReplyToAddresses string         `json:"ReplyToAddresses"`
	Cc               []string       `json:"Cc"`
	Bcc              []string       `json:"Bcc"`
	Template         *TemplateParam `json:"Template"`
	Simple           *simpleContent `json:"Simple"`
	Attachments      []Attachment   `json:"Attachments"`
	Unsubscribe      string         `json:"Unsubscribe"`
	TriggerType      *uint64        `json:"TriggerType"`
	SmtpMessageId    string         `json:"SmtpMessageId"`
	SmtpHeaders      string         `json:"SmtpHeaders"`
	HeaderFrom       string         `json:"HeaderFrom"`
}

type SendEmailResponse struct {
	MessageId string `json:"MessageId"`
}

type CreateEmailAddressRequest struct {
	EmailAddress    string `json:"EmailAddress"`
	EmailSenderName string `json:"EmailSenderName"`
}

type EmailSender struct {
	EmailAddress     string `json:"EmailAddress"`
	EmailSenderName  string `json:"EmailSenderName"`
	CreatedTimestamp uint64 `json:"CreatedTimestamp"`
	SmtpPwdType      uint64 `json:"SmtpPwdType"`
}

type ListEmailAddressResponse struct {
	EmailSenders []EmailSender `json:"EmailSenders"`
}

type EmailAddressRequest struct {
	EmailAddress string `json:"EmailAddress"`
}

type UpdateEmailSmtpPasswordRequest struct {
	Password     string `json:"Password"`
	EmailAddress string `json:"EmailAddress"`
}

type AddressUnsubscribeConfigRequest struct {
	Address           string  `json:"Address"`
	UnsubscribeConfig string  `json:"UnsubscribeConfig"`
	Status            *uint64 `json:"Status"`
}

type DeleteAddressUnsubscribeConfigRequest struct {
	Address string `json:"Address"`
}

type ListAddressUnsubscribeConfigRequest struct {
	Offset uint64 `json:"Offset"`
	Limit  string `json:"Limit"` // a string in this action, as the SDK has it
}

type AddressUnsubscribeConfigData struct {
	Address           string `json:"Address"`
	UnsubscribeConfig string `json:"UnsubscribeConfig"`
	Status            uint64 `json:"Status"`
}

type ListAddressUnsubscribeConfigResponse struct {
	AddressUnsubscribeConfigList []AddressUnsubscribeConfigData `json:"AddressUnsubscribeConfigList"`
	Total                        uint64                         `json:"Total"`
}

type GetStatisticsReportRequest struct {
	StartDate            string `json:"StartDate"`
	EndDate              string `json:"EndDate"`
	Domain               string `json:"Domain"`
	ReceivingMailboxType string `json:"ReceivingMailboxType"`
}

type Volume struct {
	SendDate         string `json:"SendDate"`
	RequestCount     uint64 `json:"RequestCount"`
	AcceptedCount    uint64 `json:"AcceptedCount"`
	DeliveredCount   uint64 `json:"DeliveredCount"`
	OpenedCount      uint64 `json:"OpenedCount"`
	ClickedCount     uint64 `json:"ClickedCount"`
	BounceCount      uint64 `json:"BounceCount"`
	UnsubscribeCount uint64 `json:"UnsubscribeCount"`
}

type GetStatisticsReportResponse struct {
	DailyVolumes  []Volume `json:"DailyVolumes"`
	OverallVolume Volume   `json:"OverallVolume"`
}

type GetSendEmailStatusRequest struct {
	RequestDate    string  `json:"RequestDate"`
	Offset         uint64  `json:"Offset"`
	Limit          *uint64 `json:"Limit"`
	MessageId      string  `json:"MessageId"`
	ToEmailAddress string  `json:"ToEmailAddress"`
}

type SendEmailStatus struct {
	MessageId        string `json:"MessageId"`
	ToEmailAddress   string `json:"ToEmailAddress"`
	FromEmailAddress string `json:"FromEmailAddress"`
	SendStatus       int64  `json:"SendStatus"`
	DeliverStatus    int64  `json:"DeliverStatus"`
	DeliverMessage   string `json:"DeliverMessage"`
	RequestTime      int64  `json:"RequestTime"`
	DeliverTime      int64  `json:"DeliverTime"`
	UserOpened       bool   `json:"UserOpened"`
	UserClicked      bool   `json:"UserClicked"`
	UserUnsubscribed bool   `json:"UserUnsubscribed"`
	UserComplainted  bool   `json:"UserComplainted"`
	UserComplained   bool   `json:"UserComplained"`
}

type GetSendEmailStatusResponse struct {
	EmailStatusList []SendEmailStatus `json:"EmailStatusList"`
}

type TemplateContent struct {
	Html *string `json:"Html,omitempty"`
	Text *string `json:"Text,omitempty"`
}

type CreateEmailTemplateRequest struct {
	TemplateName    string           `json:"TemplateName"`
	TemplateContent *TemplateContent `json:"TemplateContent"`
}

type CreateEmailTemplateResponse struct {
	TemplateID uint64 `json:"TemplateID"`
}

type TemplateIDRequest struct {
	TemplateID uint64 `json:"TemplateID"`
}

type GetEmailTemplateResponse struct {
	TemplateContent TemplateContent `json:"TemplateContent"`
	TemplateStatus  uint64          `json:"TemplateStatus"`
	TemplateName    string          `json:"TemplateName"`
}

type UpdateEmailTemplateRequest struct {
	TemplateContent *TemplateContent `json:"TemplateContent"`
	TemplateID      uint64           `json:"TemplateID"`
	TemplateName    *string          `json:"TemplateName"`
}

type ListEmailTemplatesRequest struct {
	Limit  *uint64 `json:"Limit"`
	Offset uint64  `json:"Offset"`
}

type TemplatesMetadata struct {
	CreatedTimestamp uint64 `json:"CreatedTimestamp"`
	TemplateName     string `json:"TemplateName"`
	TemplateStatus   int64  `json:"TemplateStatus"`
	TemplateID       uint64 `json:"TemplateID"`
	ReviewReason     string `json:"ReviewReason"`
}

type ListEmailTemplatesResponse struct {
	TemplatesMetadata []TemplatesMetadata `json:"TemplatesMetadata"`
	TotalCount        uint64              `json:"TotalCount"`
}

// empty is the answer of actions that return nothing but the RequestId.
type Empty struct{}
