package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
)

// Blacklists are Sesame's suppression list. Tencent's blacklist (addresses
// mail systems refused: ListBlackEmailAddress, DeleteBlackList) is its
// hard-bounce and complaint entries; the custom blacklist
// (Create/List/Update/DeleteCustomBlacklist) is its entries added by hand,
// which the console's Suppression list shows as "Added by hand".

var bounceReasons = []audience.SuppressionReason{audience.ReasonHardBounce, audience.ReasonComplaint}

// maxListChange caps the addresses one call adds or removes.
const maxListChange = 1000

func (h *blacklistActions) listBlackEmailAddress(ctx context.Context, _ *Caller, req *wire.ListBlackEmailAddressRequest) (*wire.ListBlackEmailAddressResponse, error) {
	limit, err := pageLimit(req.Limit, 100)
	if err != nil {
		return nil, err
	}
	q := audience.SuppressionQuery{Prefix: req.EmailAddress, Reasons: bounceReasons, Offset: int(min(req.Offset, 1<<31)), Limit: int(limit)}
	if s := strings.TrimSpace(req.StartDate); s != "" {
		d, ok := h.parseDate(s)
		if !ok {
			return nil, errf(wire.CodeWrongDate, "StartDate must be a date, YYYY-MM-DD.")
		}
		q.Since = d
	}
	if s := strings.TrimSpace(req.EndDate); s != "" {
		d, ok := h.parseDate(s)
		if !ok {
			return nil, errf(wire.CodeWrongDate, "EndDate must be a date, YYYY-MM-DD.")
		}
		q.Until = d.AddDate(0, 0, 1)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return nil, errf(wire.CodeWrongDate, "EndDate is before StartDate.")
	}
	entries, total, err := h.suppressions.ListSuppressions(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &wire.ListBlackEmailAddressResponse{BlackList: []wire.BlackEmailAddress{}, TotalCount: uint64(total)}
	for _, e := range entries {
		desc := e.Reason.Label()
		if e.Source != "" {
			desc += ": " + e.Source
		}
		out.BlackList = append(out.BlackList, wire.BlackEmailAddress{BounceTime: h.formatTime(e.CreatedAt), EmailAddress: e.Value, IspDesc: desc})
	}
	return out, nil
}

// checkedList refuses an empty list with missing, the action's code for
// it, and one longer than maxListChange.
func checkedList(field, missing string, in []string) error {
	switch {
	case len(in) == 0:
		return errf(missing, "%s is required: at least one address.", field)
	case len(in) > maxListChange:
		return errf(wire.CodeLimitExceeded, "%s has %d addresses; at most %d are allowed in one call.", field, len(in), maxListChange)
	}
	return nil
}

func (h *blacklistActions) deleteBlackList(ctx context.Context, _ *Caller, req *wire.DeleteBlackListRequest) (*wire.Empty, error) {
	if err := checkedList("EmailAddressList", wire.CodeMissingParameter, req.EmailAddressList); err != nil {
		return nil, err
	}
	if _, err := h.suppressions.RemoveSuppressionsOf(ctx, req.EmailAddressList, bounceReasons); err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

// expiry reads ExpireDate: empty is never; a date is midnight of that day
// in the configured zone, when the entry stops applying.
func (h *blacklistActions) expiry(raw string) (*time.Time, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	t, ok := h.parseTime(raw)
	if !ok {
		return nil, errf(wire.CodeWrongDate, "ExpireDate must be YYYY-MM-DD (or YYYY-MM-DD HH:MM:SS, or RFC 3339), or empty for never.")
	}
	if !t.After(h.clock.Now()) {
		return nil, errf(wire.CodeWrongDate, "ExpireDate %s is not in the future.", h.formatTime(t))
	}
	return &t, nil
}

func (h *blacklistActions) formatExpiry(t *time.Time) string {
	if t == nil {
		return ""
	}
	l := t.In(h.loc)
	if l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 {
		return l.Format(dateLayout)
	}
	return l.Format(timeLayout)
}

func (h *blacklistActions) createCustomBlacklist(ctx context.Context, c *Caller, req *wire.CreateCustomBlacklistRequest) (*wire.CreateCustomBlacklistResponse, error) {
	if err := checkedList("Emails", wire.CodeEmailsNecessary, req.Emails); err != nil {
		return nil, err
	}
	expires, err := h.expiry(req.ExpireDate)
	if err != nil {
		return nil, err
	}
	out := &wire.CreateCustomBlacklistResponse{TotalCount: uint64(len(req.Emails))}
	seen := map[string]bool{}
	for _, raw := range req.Emails {
		email, problem := audience.NormalizeRecipientEmail(raw)
		switch problem {
		case audience.ProblemNone:
		case audience.ProblemTooLong:
			out.TooLongCount++
			continue
		default:
			out.InvalidCount++
			continue
		}
		if seen[email] {
			out.RepeatCount++
			continue
		}
		seen[email] = true
		_, created, err := h.suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: email, Reason: audience.ReasonManual,
			Source: "API, key " + c.Key.SecretID, ExpiresAt: expires})
		if err != nil {
			return nil, err
		}
		if created {
			out.ValidCount++
		} else {
			out.RepeatCount++
		}
	}
	return out, nil
}

func (h *blacklistActions) listCustomBlacklist(ctx context.Context, _ *Caller, req *wire.ListCustomBlacklistRequest) (*wire.ListCustomBlacklistResponse, error) {
	limit, err := pageLimit(req.Limit, 100)
	if err != nil {
		return nil, err
	}
	q := audience.SuppressionQuery{Prefix: req.Email, Reasons: []audience.SuppressionReason{audience.ReasonManual},
		Offset: int(min(req.Offset, 1<<31)), Limit: int(limit)}
	if req.Status != nil {
		switch *req.Status {
		case 0, 1:
			active := *req.Status == 1
			q.Active = &active
		case 2:
		default:
			return nil, errf(wire.CodeInvalidParameterValue, "Status is 0 (expired), 1 (active) or 2 (all).")
		}
	}
	entries, total, err := h.suppressions.ListSuppressions(ctx, q)
	if err != nil {
		return nil, err
	}
	now := h.clock.Now()
	out := &wire.ListCustomBlacklistResponse{TotalCount: uint64(total), Data: []wire.BlackAddressDetail{}}
	for _, e := range entries {
		d := wire.BlackAddressDetail{Id: e.ID, Email: e.Value, CreateTime: h.formatTime(e.CreatedAt), ExpireDate: h.formatExpiry(e.ExpiresAt)}
		if e.ActiveAt(now) {
			d.Status = 1
		}
		out.Data = append(out.Data, d)
	}
	return out, nil
}

func (h *blacklistActions) updateCustomBlackList(ctx context.Context, _ *Caller, req *wire.UpdateCustomBlackListRequest) (*wire.Empty, error) {
	if req.Id == 0 {
		return nil, errf(wire.CodeMissingParameter, "Id is required: the entry's Id from ListCustomBlacklist.")
	}
	if strings.TrimSpace(req.Email) == "" {
		return nil, errf(wire.CodeEmailAddressIsNULL, "Email is required.")
	}
	expires, err := h.expiry(req.ExpireDate)
	if err != nil {
		return nil, err
	}
	_, err = h.suppressions.UpdateManualSuppression(ctx, req.Id, req.Email, expires)
	if errors.Is(err, models.ErrNotFound) {
		return nil, errf(wire.CodeResourceNotFound, "There is no custom blacklist entry %d.", req.Id)
	}
	if err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

func (h *blacklistActions) deleteCustomBlackList(ctx context.Context, _ *Caller, req *wire.DeleteCustomBlackListRequest) (*wire.Empty, error) {
	if err := checkedList("Emails", wire.CodeMissingParameter, req.Emails); err != nil {
		return nil, err
	}
	if _, err := h.suppressions.RemoveSuppressionsOf(ctx, req.Emails, []audience.SuppressionReason{audience.ReasonManual}); err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

// blacklistActions serves its resource's actions.
type blacklistActions struct {
	dates
	suppressions blacklistSuppressions
}

// blacklistSuppressions is what blacklistActions need of the suppressions.
type blacklistSuppressions interface {
	AddSuppression(ctx context.Context, in audience.SuppressionInput) (*audience.Suppression, bool, error)
	ListSuppressions(ctx context.Context, q audience.SuppressionQuery) ([]audience.Suppression, int64, error)
	RemoveSuppressionsOf(ctx context.Context, values []string, reasons []audience.SuppressionReason) (int64, error)
	UpdateManualSuppression(ctx context.Context, id uint64, value string, expiresAt *time.Time) (*audience.Suppression, error)
}
