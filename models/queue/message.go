package queue

import (
	"encoding/base32"
	"time"

	"github.com/google/uuid"
	"github.com/sesame-email/sesame/models"
	"gorm.io/gorm"
)

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
	Status          models.MessageStatus
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
	EnvelopeFrom string // the return path
	HeaderFrom   string // "Name <address>" as the From header says; empty on rows kept before it was recorded
	Recipient    string
	Subject      string
	Raw          []byte
	ReceivedAt   time.Time
}

// HeaderFrom writes a From header's value for people to read: the display
// name and the address, without the header's encoding.
func HeaderFrom(name, address string) string {
	if name == "" {
		return address
	}
	return name + " <" + address + ">"
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

var eventColumns = []string{"message_id", "type", "at", "detail", "source_ip", "url", "user_agent", "client_ip", "machine"}

// insertEvents writes message events in bulk.
func (s *Queue) InsertEvents(tx *gorm.DB, events []MessageEvent) error {
	rows := make([][]any, len(events))
	for i, e := range events {
		rows[i] = []any{e.MessageID, e.Type, e.At, e.Detail, e.SourceIP, e.URL, e.UserAgent, e.ClientIP, e.Machine}
	}
	return s.InsertRows(tx, "message_events", eventColumns, rows)
}
