package models

import (
	"encoding/base32"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// MessageStatus is where one recipient's message is in the pipeline.
type MessageStatus string

const (
	StatusQueued     MessageStatus = "queued"
	StatusSending    MessageStatus = "sending"
	StatusDelivered  MessageStatus = "delivered"
	StatusDeferred   MessageStatus = "deferred"
	StatusQuotaWait  MessageStatus = "quota_wait"
	StatusBounced    MessageStatus = "bounced"
	StatusFailed     MessageStatus = "failed"
	StatusSuppressed MessageStatus = "suppressed"
	StatusCancelled  MessageStatus = "cancelled"
)

// messageTransitions is the one table of allowed status changes.
var messageTransitions = map[MessageStatus][]MessageStatus{
	StatusQueued:     {StatusSending, StatusSuppressed, StatusCancelled},
	StatusDeferred:   {StatusSending, StatusBounced, StatusFailed, StatusCancelled}, // an accepted attempt whose reply was lost bounces later
	StatusQuotaWait:  {StatusSending, StatusCancelled},
	StatusSending:    {StatusDelivered, StatusDeferred, StatusQuotaWait, StatusBounced, StatusFailed, StatusSuppressed, StatusQueued},
	StatusDelivered:  {StatusBounced}, // an asynchronous bounce after acceptance
	StatusBounced:    {},
	StatusFailed:     {StatusQueued}, // "resend to failed only"
	StatusSuppressed: {},
	StatusCancelled:  {},
}

// CanTransitionTo reports whether a message may move from s to next.
func (s MessageStatus) CanTransitionTo(next MessageStatus) bool {
	for _, t := range messageTransitions[s] {
		if t == next {
			return true
		}
	}
	return false
}

// Final reports a status the pipeline will not change by itself.
func (s MessageStatus) Final() bool {
	switch s {
	case StatusDelivered, StatusBounced, StatusFailed, StatusSuppressed, StatusCancelled:
		return true
	}
	return false
}

// Label is the status for people.
func (s MessageStatus) Label() string {
	switch s {
	case StatusQuotaWait:
		return "Waiting for quota"
	case StatusSending:
		return "Sending"
	default:
		return strings.ToUpper(string(s[:1])) + string(s[1:])
	}
}

// MessageContent is what a send request says, shared by all its messages:
// a snapshot of the template (subject, HTML and text with {{variables}}),
// or the raw message an SMTP client submitted.
type MessageContent struct {
	ID           uint64
	Subject      string
	HTML         string `gorm:"column:html"`
	Text         string `gorm:"column:text_part"`
	Raw          []byte
	HeaderTo     string // the To header shown to every recipient; empty: the recipient
	HeaderCc     string
	ReplyTo      string
	ExtraHeaders string // JSON object of additional headers
	Attachments  string // JSON array of attachments
	Unsubscribe  string // "" or "0": no footer link; else Tencent's language code
	TrackOpens   bool
	TrackClicks  bool
	// VariableDefaults (JSON) fill in template variables a recipient lacks.
	VariableDefaults string
	TemplateID       *uint64
	CreatedAt        time.Time
}

// PlainText is s as a text column keeps it on both databases: valid UTF-8,
// which PostgreSQL insists on, with control characters (NUL, which its text
// cannot hold, among them) as spaces. For text from outside, such as the
// headers of a message an SMTP client submitted.
func PlainText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// Message is one recipient's copy of a send request: the queue row.
type Message struct {
	ID              uint64
	UID             string `gorm:"column:uid"`
	ContentID       uint64
	Variables       string
	DomainID        uint64
	FromEmail       string
	FromName        string
	Recipient       string
	RecipientDomain string
	Provider        string // the recipient's mailbox provider, for statistics
	TaskID          *uint64
	RunID           *uint64
	Transactional   bool
	Status          MessageStatus
	Attempts        int
	NextAttemptAt   time.Time
	LeaseOwner      string
	LeaseUntil      *time.Time
	LastReply       string
	SourceIP        string `gorm:"column:source_ip"`
	SentOn          string // the warm-up day its quota was taken from
	CreatedAt       time.Time
	UpdatedAt       time.Time
	DeliveredAt     *time.Time
	// The first human open and click, and the unsubscribe, if any.
	OpenedAt       *time.Time
	ClickedAt      *time.Time
	UnsubscribedAt *time.Time
}

// MessageEvent is one step of a message's life: queued, attempt outcomes,
// bounces and, later, engagement.
type MessageEvent struct {
	ID        uint64
	MessageID uint64
	Type      string
	At        time.Time
	Detail    string
	SourceIP  string `gorm:"column:source_ip"`
	// Engagement events: the link, and who asked.
	URL       string `gorm:"column:url"`
	UserAgent string
	ClientIP  string `gorm:"column:client_ip"`
	Machine   bool   // a privacy proxy or link scanner, not a person
}

// SandboxMessage is a message the sandbox transport kept instead of sending.
type SandboxMessage struct {
	ID           uint64
	MessageID    *uint64
	EnvelopeFrom string
	Recipient    string
	Subject      string
	Raw          []byte
	ReceivedAt   time.Time
}

var uidEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// messageUIDLength is the length of every uid NewMessageUID makes.
const messageUIDLength = 26

// NewMessageUID is a message's public id: a UUIDv7 (milliseconds since the
// epoch, then random bits) in 26 lowercase characters, safe as the local
// part of a Message-ID and a VERP address. Time first makes new uids sort
// after old ones, so each insert lands at the end of the uid index instead
// of at a random page of it; the 74 random bits keep a uid unguessable.
func NewMessageUID() string {
	id := uuid.Must(uuid.NewV7())
	return uidEncoding.EncodeToString(id[:])
}

// ValidMessageUID reports whether s has the form of a uid NewMessageUID
// makes, so text from a bounce or a header is checked before it is looked up.
func ValidMessageUID(s string) bool {
	if len(s) != messageUIDLength {
		return false
	}
	_, err := uidEncoding.DecodeString(s)
	return err == nil
}
