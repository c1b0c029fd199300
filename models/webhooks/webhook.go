// Package webhooks is the event webhooks aggregate: endpoints (account-wide
// or for one sender address) with their sealed secrets, the events each
// one wants, the forward-reading feed of events Sesame already records,
// the delivery log of what was posted, and the retry schedule.
//
// Nothing here is written while mail is sent: an endpoint's cursor reads
// forward through message_events (feed.go), and only what was posted is
// recorded (deliveries.go). The HTTP side is mailer/webhook's.
package webhooks

import (
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
)

// Event is a callback's event name, Tencent's.
type Event string

const (
	EventDelivered   Event = "delivered"
	EventDeferred    Event = "deferred"
	EventDropped     Event = "dropped"
	EventBounce      Event = "bounce"
	EventOpen        Event = "open"
	EventClick       Event = "click"
	EventSpamReport  Event = "spamreport"
	EventUnsubscribe Event = "unsubscribe"
	// EventProcessed is Tencent's intermediate state, which it says it may
	// not call back; Sesame records nothing at that point and never posts
	// it, so an endpoint cannot ask for it.
	EventProcessed Event = "processed"
)

// Events are the events an endpoint can ask for, in Tencent's order of
// eventid.
var Events = []Event{EventDelivered, EventDropped, EventBounce, EventOpen, EventClick, EventSpamReport, EventUnsubscribe, EventDeferred}

// ID is Tencent's eventid: 1 delivered, 2 dropped, 3 bounce, 4 open, 5
// click, 6 spamreport, 7 unsubscribe, 8 deferred.
func (e Event) ID() int { return slices.Index(Events, e) + 1 }

// recordedAs are the message_events types each event is read from. A
// bounce is hard (bounced: a 5xx at delivery or a DSN) or soft (a DSN
// saying the receiver still tries); dropped is a message given up on
// (failed) or refused at delivery because its recipient is suppressed.
var recordedAs = map[Event][]string{
	EventDelivered:   {"delivered"},
	EventDeferred:    {"deferred"},
	EventDropped:     {"failed", "suppressed"},
	EventBounce:      {"bounced", "soft_bounced"},
	EventOpen:        {"opened"},
	EventClick:       {"clicked"},
	EventSpamReport:  {"complained"},
	EventUnsubscribe: {"unsubscribed"},
}

// EventOf is the event a message_events type is posted as, if any.
func EventOf(recorded string) (Event, bool) {
	for e, types := range recordedAs {
		if slices.Contains(types, recorded) {
			return e, true
		}
	}
	return "", false
}

// BounceType is Tencent's bounceType of a bounce event recorded as typ.
func BounceType(recorded string) string {
	switch recorded {
	case "bounced":
		return "hard_bounce"
	case "soft_bounced":
		return "soft_bounce"
	}
	return ""
}

// ParseEvents reads a comma-separated list of event names; empty means
// every event.
func ParseEvents(s string) ([]Event, error) {
	if strings.TrimSpace(s) == "" {
		return slices.Clone(Events), nil
	}
	var out []Event
	for _, part := range strings.Split(s, ",") {
		e := Event(strings.ToLower(strings.TrimSpace(part)))
		switch {
		case e == "":
			continue
		case e == EventProcessed:
			return nil, models.Invalid("events", "processed is an intermediate state that Sesame does not post (Tencent may skip it too); ask for delivered, deferred or dropped instead.")
		case !slices.Contains(Events, e):
			return nil, models.Invalid("events", "Unknown event "+string(e)+": choose among "+joinEvents(Events)+".")
		case !slices.Contains(out, e):
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, models.Invalid("events", "Choose at least one event.")
	}
	slices.SortFunc(out, func(a, b Event) int { return a.ID() - b.ID() })
	return out, nil
}

func joinEvents(events []Event) string {
	parts := make([]string, len(events))
	for i, e := range events {
		parts[i] = string(e)
	}
	return strings.Join(parts, ",")
}

// Endpoint is where events are posted.
type Endpoint struct {
	ID uint64
	// SenderEmail is the sender address whose mail the endpoint hears;
	// empty: the account's, for every address without endpoints of its own.
	SenderEmail string
	URL         string `gorm:"column:url"`
	EventList   string `gorm:"column:events"` // comma-separated
	// CustomValue is sent as X-Tencentcloudses-Cb-Custom in each body.
	CustomValue         string
	Enabled             bool
	Secret              []byte // sealed
	PreviousSecret      []byte // sealed; signs too until PreviousSecretUntil
	PreviousSecretUntil *time.Time
	CursorTxid          int64
	CursorID            int64
	LeaseOwner          string
	LeaseUntil          *time.Time
	// FailingSince is the first failed attempt since the last success;
	// while it is set, no new events are read, only retries are tried.
	FailingSince   *time.Time
	LastSuccessAt  *time.Time
	DisabledReason string // why Sesame switched the endpoint off
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (Endpoint) TableName() string { return "webhook_endpoints" }

// Events are the events the endpoint wants.
func (e *Endpoint) Events() []Event {
	out, _ := ParseEvents(e.EventList)
	return out
}

// AllEvents reports whether the endpoint wants every event.
func (e *Endpoint) AllEvents() bool { return len(e.Events()) == len(Events) }

// Scope says whose mail the endpoint hears, for people.
func (e *Endpoint) Scope() string {
	if e.SenderEmail == "" {
		return "All sender addresses"
	}
	return e.SenderEmail
}

// SwitchedOff reports an endpoint Sesame turned off after a day of
// failures.
func (e *Endpoint) SwitchedOff() bool { return !e.Enabled && e.DisabledReason != "" }

// EndpointState is what an endpoint is doing, as the console and the
// command line show it.
type EndpointState int

const (
	StateOn          EndpointState = iota
	StateFailing                   // enabled, with no success since FailingSince
	StateOff                       // disabled by an admin
	StateSwitchedOff               // disabled by Sesame after a day of failures
)

// State is the endpoint's state.
func (e *Endpoint) State() EndpointState {
	switch {
	case e.SwitchedOff():
		return StateSwitchedOff
	case !e.Enabled:
		return StateOff
	case e.FailingSince != nil:
		return StateFailing
	}
	return StateOn
}

// EndpointInput is what an admin gives for an endpoint.
type EndpointInput struct {
	URL         string
	SenderEmail string // empty: account-wide
	Events      string // comma-separated; empty: every event
	CustomValue string
	// Secret is the signing secret; empty: one is generated.
	Secret string
}

// Limits of an endpoint's fields.
const (
	maxURLLength    = 2000
	maxCustomLength = 500
	minSecretLength = 16
	maxSecretLength = 200
)

// normalize checks an endpoint's input and returns its URL and events. The
// address is checked again, after DNS, at every connection
// (mailer/webhook): a name can point anywhere later.
func (in *EndpointInput) normalize() (*url.URL, []Event, error) {
	verr := &models.ValidationError{}
	u, err := url.Parse(strings.TrimSpace(in.URL))
	switch {
	case in.URL == "":
		verr.Add("url", "Give the URL events are posted to.")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "":
		verr.Add("url", "Use an absolute http:// or https:// URL.")
	case u.User != nil:
		verr.Add("url", "Leave credentials out of the URL; check the X-Sesame-Signature header instead.")
	case len(in.URL) > maxURLLength:
		verr.Add("url", "Use at most 2,000 characters.")
	}
	events, err := ParseEvents(in.Events)
	if ferr, ok := err.(*models.ValidationError); ok {
		verr.Add("events", ferr.Field("events"))
	}
	if len(in.CustomValue) > maxCustomLength || strings.ContainsAny(in.CustomValue, "\r\n") {
		verr.Add("custom_value", "Use one line of at most 500 characters.")
	}
	if in.Secret != "" && (len(in.Secret) < minSecretLength || len(in.Secret) > maxSecretLength) {
		verr.Add("secret", "Use 16 to 200 characters, or leave it empty for a generated one.")
	}
	if err := verr.OrNil(); err != nil {
		return nil, nil, err
	}
	u.Fragment = ""
	return u, events, nil
}

// NewSecret is a generated signing secret: 32 random bytes, readable.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// RotationGrace is how long a rotated-out secret still signs, so receivers
// can switch to the new one without refusing anything.
const RotationGrace = 24 * time.Hour

// The retry schedule: a failed post is tried again after these delays (the
// last one repeating) until GiveUpAfter since its first attempt, then the
// event is failed. An endpoint without a success for as long is switched
// off.
var (
	RetryDelays = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour}
	GiveUpAfter = 24 * time.Hour
)

// NextAttempt is when an event that has failed attempts times is tried
// again.
func NextAttempt(attempts int, last time.Time) time.Time {
	return last.Add(RetryDelays[min(max(attempts, 1), len(RetryDelays))-1])
}

// DeliveryStatus is where an event stands with an endpoint.
type DeliveryStatus string

const (
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryRetrying  DeliveryStatus = "retrying"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Delivery is an event posted to an endpoint, with its body and state.
type Delivery struct {
	ID         uint64
	EndpointID uint64
	// EventID is X-Sesame-Event-Id: the same on every attempt and replay.
	EventID       string
	Event         Event
	MessageUID    string `gorm:"column:message_uid"`
	Body          string
	Status        DeliveryStatus
	Attempts      int
	NextAttemptAt *time.Time
	GiveUpAt      time.Time
	OccurredAt    time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// The first attempt, kept in the row (most events are posted once);
	// the later ones are Attempts of their own.
	FirstAt         time.Time
	FirstStatusCode int
	FirstLatencyMS  int `gorm:"column:first_latency_ms"`
	FirstResponse   string
	FirstError      string
}

func (Delivery) TableName() string { return "webhook_deliveries" }

// setFirst keeps a's outcome as the delivery's first attempt.
func (d *Delivery) setFirst(a Attempt) {
	d.FirstAt, d.FirstStatusCode, d.FirstLatencyMS = a.At, a.StatusCode, a.LatencyMS
	d.FirstResponse, d.FirstError = models.Truncate(a.Response, MaxResponse), models.Truncate(a.Error, maxAttemptError)
}

// first is the delivery's first attempt.
func (d *Delivery) first() Attempt {
	return Attempt{DeliveryID: d.ID, At: d.FirstAt, StatusCode: d.FirstStatusCode, LatencyMS: d.FirstLatencyMS,
		Response: d.FirstResponse, Error: d.FirstError}
}

// Attempt is one POST of a delivery and what came back.
type Attempt struct {
	ID         uint64
	DeliveryID uint64
	At         time.Time
	StatusCode int
	LatencyMS  int    `gorm:"column:latency_ms"`
	Response   string // the first 1 KB of the answer
	Error      string // no answer: why (a refused address, a timeout)
}

func (Attempt) TableName() string { return "webhook_attempts" }

// OK reports a 2xx answer.
func (a *Attempt) OK() bool { return a.StatusCode >= 200 && a.StatusCode < 300 }

// MaxResponse is how much of an answer the log keeps, and
// maxAttemptError of why there was none.
const (
	MaxResponse     = 1024
	maxAttemptError = 500
)
