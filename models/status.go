package models

import (
	"slices"
	"strings"
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

// FinalStatuses are the statuses Final reports, for queries: retention
// removes only messages in them.
func FinalStatuses() []MessageStatus {
	var out []MessageStatus
	for s := range messageTransitions {
		if s.Final() {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
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

var dueStatuses = []MessageStatus{StatusQueued, StatusDeferred, StatusQuotaWait}

// dueCondition is written out with literal statuses (constants of this
// package, never input), because a planner can only use the partial index
// messages_due when the query's condition visibly implies the index's.
var DueCondition = "status IN " + SqlStatusList(dueStatuses)

func SqlStatusList(statuses []MessageStatus) string {
	parts := make([]string, len(statuses))
	for i, st := range statuses {
		parts[i] = "'" + string(st) + "'"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// pendingStatuses are the messages the pipeline still owes an attempt.
var pendingStatuses = []MessageStatus{StatusQueued, StatusSending, StatusDeferred, StatusQuotaWait}

// PendingStatuses lists them.
func PendingStatuses() []MessageStatus { return slices.Clone(pendingStatuses) }

// PendingCondition selects them in SQL.
var PendingCondition = "status IN " + SqlStatusList(pendingStatuses)
