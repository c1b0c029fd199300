package api

import (
	"context"
	"strings"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/queue"
)

// GetSendEmailStatus: the messages of one day, optionally of one send
// (MessageId) or one recipient, with Tencent's SendStatus and
// DeliverStatus codes.

// Tencent's SendStatus (its own processing) and DeliverStatus (the
// recipient's side), as models.go of the SDK documents them.
const (
	sendOK           = 0
	sendBlacklisted  = 1007
	sendDailyLimit   = 1010
	sendUnsubscribed = 1013

	deliverAccepted  = 0
	deliverDelivered = 1
	deliverDropped   = 2
	deliverBounced   = 3
	deliverDeferred  = 8
)

// deliveryCodes maps a message's status to the two codes and a message.
func deliveryCodes(m *queue.Message, suppression *audience.Suppression) (send, deliver int64, msg string) {
	switch m.Status {
	case models.StatusQueued, models.StatusSending:
		return sendOK, deliverAccepted, ""
	case models.StatusQuotaWait:
		return sendDailyLimit, deliverAccepted, "Over today's warm-up quota: it goes out when the quota allows."
	case models.StatusDelivered:
		return sendOK, deliverDelivered, m.LastReply
	case models.StatusDeferred:
		return sendOK, deliverDeferred, m.LastReply
	case models.StatusBounced:
		return sendOK, deliverBounced, m.LastReply
	case models.StatusSuppressed:
		if suppression != nil && suppression.Reason == audience.ReasonUnsubscribe {
			return sendUnsubscribed, deliverDropped, m.LastReply
		}
		return sendBlacklisted, deliverDropped, m.LastReply
	case models.StatusCancelled:
		return sendOK, deliverDropped, "Cancelled before it was sent."
	default: // failed
		return sendOK, deliverDropped, m.LastReply
	}
}

func (h *statusActions) getSendEmailStatus(ctx context.Context, _ *Caller, req *wire.GetSendEmailStatusRequest) (*wire.GetSendEmailStatusResponse, error) {
	if strings.TrimSpace(req.RequestDate) == "" {
		return nil, errf(wire.CodeMissingParameter, "RequestDate is required: the day of the sends, YYYY-MM-DD.")
	}
	day, ok := h.parseDate(req.RequestDate)
	if !ok {
		return nil, errf(wire.CodeWrongDate, "RequestDate must be a date, YYYY-MM-DD.")
	}
	limit, err := pageLimit(req.Limit, 100)
	if err != nil {
		return nil, err
	}
	rows, _, err := h.queue.FindMessages(ctx, queue.MessageQuery{Day: day, Request: req.MessageId, Recipient: req.ToEmailAddress,
		Offset: int(min(req.Offset, 1<<31)), Limit: int(limit)})
	if err != nil {
		return nil, err
	}
	var suppressed []string
	for _, r := range rows {
		if r.Status == models.StatusSuppressed {
			suppressed = append(suppressed, r.Recipient)
		}
	}
	entries := map[string]audience.Suppression{}
	if len(suppressed) > 0 {
		if entries, err = h.suppressions.SuppressionsOf(ctx, suppressed); err != nil {
			return nil, err
		}
	}
	out := &wire.GetSendEmailStatusResponse{EmailStatusList: []wire.SendEmailStatus{}}
	for i := range rows {
		m := &rows[i]
		var entry *audience.Suppression
		if e, ok := entries[m.Recipient]; ok {
			entry = &e
		}
		send, deliver, msg := deliveryCodes(&m.Message, entry)
		out.EmailStatusList = append(out.EmailStatusList, wire.SendEmailStatus{
			MessageId: m.RequestUID, ToEmailAddress: m.Recipient, FromEmailAddress: m.FromEmail,
			SendStatus: send, DeliverStatus: deliver, DeliverMessage: msg,
			RequestTime: m.CreatedAt.Unix(), DeliverTime: unixSeconds(m.DeliveredAt),
			UserOpened: m.OpenedAt != nil, UserClicked: m.ClickedAt != nil, UserUnsubscribed: m.UnsubscribedAt != nil,
			UserComplainted: m.Complained, UserComplained: m.Complained,
		})
	}
	return out, nil
}

// statusActions serves its resource's actions.
type statusActions struct {
	dates
	queue        statusQueue
	suppressions statusSuppressions
}

// statusQueue is what statusActions need of the queue.
type statusQueue interface {
	FindMessages(ctx context.Context, q queue.MessageQuery) ([]queue.MessageRow, bool, error)
}

// statusSuppressions is what statusActions need of the suppressions.
type statusSuppressions interface {
	SuppressionsOf(ctx context.Context, emails []string) (map[string]audience.Suppression, error)
}
