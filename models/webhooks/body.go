package webhooks

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
)

// Body is one callback, in Tencent's format: one JSON object per POST,
// every field present (empty where it does not apply).
type Body struct {
	Event   Event  `json:"event"`
	EventID int    `json:"eventid"`
	Email   string `json:"email"` // the recipient
	// BulkID is the MessageId SendEmail returned for the message's request.
	BulkID string `json:"bulkId"`
	// MessageID is the message's RFC 5322 Message-ID, without brackets.
	MessageID     string `json:"messageId"`
	Timestamp     int64  `json:"timestamp"`     // when the event happened
	SentTimestamp int64  `json:"sentTimestamp"` // when the message was queued
	Reason        string `json:"reason"`        // the SMTP reply, or why it failed
	BounceType    string `json:"bounceType"`    // bounce: soft_bounce or hard_bounce
	Link          string `json:"link"`          // click: the link
	UserAgent     string `json:"useragent"`     // open and click
	From          string `json:"from"`
	FromDomain    string `json:"fromDomain"`
	TemplateID    uint64 `json:"templateId"`
	TaskID        uint64 `json:"taskId"`
	Subject       string `json:"subject"` // as rendered for the recipient
	Custom        string `json:"X-Tencentcloudses-Cb-Custom"`
}

// Message is what a callback says about the message beside the event,
// from its content: the rendered subject, the Message-ID, the template,
// and the uid SendEmail answered for the message's request (the bulkId:
// the first recipient's, or a task message's own).
type Message struct {
	Subject    string
	MessageID  string
	TemplateID uint64
	RequestUID string
}

// NewBody is the callback of a feed event for an endpoint.
func NewBody(ep *Endpoint, e *FeedEvent, m Message) Body {
	ev, _ := EventOf(e.Type)
	b := Body{Event: ev, EventID: ev.ID(), Email: e.Message.Recipient, BulkID: m.RequestUID, MessageID: m.MessageID,
		Timestamp: e.At.Unix(), SentTimestamp: e.Message.CreatedAt.Unix(), From: e.Message.FromEmail,
		FromDomain: models.DomainOf(e.Message.FromEmail), TemplateID: m.TemplateID, Subject: m.Subject, Custom: ep.CustomValue}
	switch ev {
	case EventOpen, EventClick:
		b.Link, b.UserAgent = e.URL, e.UserAgent
	case EventUnsubscribe:
	default:
		b.Reason = e.Detail
	}
	b.BounceType = BounceType(e.Type)
	if e.Message.TaskID != nil {
		b.TaskID = *e.Message.TaskID
	}
	return b
}

// TestBody is the callback "send a test event" posts: a delivered event
// of a made-up message, marked as a test in its reason.
func TestBody(ep *Endpoint, now time.Time) Body {
	from := ep.SenderEmail
	if from == "" {
		from = "sender@example.com"
	}
	return Body{Event: EventDelivered, EventID: EventDelivered.ID(), Email: "recipient@example.com", BulkID: "test", MessageID: "test@" + models.DomainOf(from),
		Timestamp: now.Unix(), SentTimestamp: now.Unix(), Reason: "250 2.0.0 a test event from Sesame", From: from,
		FromDomain: models.DomainOf(from), Subject: "Test event", Custom: ep.CustomValue}
}

// JSON is the body as it is posted.
func (b Body) JSON() string {
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // replies quote <addresses>: keep them legible
	_ = enc.Encode(b)        // strings and numbers only: never fails
	return strings.TrimSuffix(out.String(), "\n")
}
