package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// GetStatisticsReport: daily volumes from the hourly rollup, by calendar
// day in the configured zone, for one sending domain and one mailbox
// provider or all.

// maxReportDays caps one report.
const maxReportDays = 366

func toVolume(day string, r queue.StatsRow) wire.Volume {
	u := func(n int64) uint64 { return uint64(max(n, 0)) }
	return wire.Volume{SendDate: day, RequestCount: u(r.Requested), AcceptedCount: u(r.Accepted), DeliveredCount: u(r.Delivered),
		OpenedCount: u(r.Opened), ClickedCount: u(r.Clicked), BounceCount: u(r.Bounced), UnsubscribeCount: u(r.Unsubscribed)}
}

// mailboxProvider reads ReceivingMailboxType: a provider Sesame counts
// (gmail.com, outlook.com, …), one of its domains (hotmail.com), or other.
func mailboxProvider(raw string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(raw))
	if v == "" {
		return "", nil
	}
	for _, p := range queue.Providers {
		if v == p {
			return p, nil
		}
	}
	if p := queue.Provider(v); p != "other" {
		return p, nil
	}
	return "", errf(wire.CodeInvalidParameterValue, "ReceivingMailboxType %q is not a mailbox provider Sesame counts: use one of %s.",
		truncate(raw, 64), strings.Join(queue.Providers, ", "))
}

func (h *statsActions) getStatisticsReport(ctx context.Context, _ *Caller, req *wire.GetStatisticsReportRequest) (*wire.GetStatisticsReportResponse, error) {
	if strings.TrimSpace(req.StartDate) == "" || strings.TrimSpace(req.EndDate) == "" {
		return nil, errf(wire.CodeMissingParameter, "StartDate and EndDate are required (YYYY-MM-DD).")
	}
	from, ok1 := h.parseDate(req.StartDate)
	to, ok2 := h.parseDate(req.EndDate)
	switch {
	case !ok1 || !ok2:
		return nil, errf(wire.CodeWrongDate, "StartDate and EndDate must be dates, YYYY-MM-DD.")
	case to.Before(from):
		return nil, errf(wire.CodeWrongDate, "EndDate is before StartDate.")
	case to.Sub(from).Hours()/24 >= maxReportDays:
		return nil, errf(wire.CodeNotSupportDate, "A report covers at most %d days.", maxReportDays)
	}
	var f queue.StatsFilter
	if name := strings.TrimSpace(req.Domain); name != "" {
		d, err := h.domains.GetDomainByName(ctx, name)
		if errors.Is(err, models.ErrNotFound) {
			return nil, errf(wire.CodeNotExistDomain, "%s is not a sending domain here.", truncate(name, 253))
		}
		if err != nil {
			return nil, err
		}
		f.DomainID = d.ID
	}
	provider, err := mailboxProvider(req.ReceivingMailboxType)
	if err != nil {
		return nil, err
	}
	f.Provider = provider
	days, err := h.queue.DailyVolumes(ctx, from, to, h.loc, f)
	if err != nil {
		return nil, err
	}
	out := &wire.GetStatisticsReportResponse{DailyVolumes: []wire.Volume{}, OverallVolume: toVolume("", queue.Totals(days))}
	for _, d := range days {
		out.DailyVolumes = append(out.DailyVolumes, toVolume(d.Day(), d.StatsRow))
	}
	return out, nil
}

// statsActions serves its resource's actions.
type statsActions struct {
	dates
	domains statsDomains
	queue   statsQueue
}

// statsDomains is what statsActions need of the domains.
type statsDomains interface {
	GetDomainByName(ctx context.Context, name string) (*identity.Domain, error)
}

// statsQueue is what statsActions need of the queue.
type statsQueue interface {
	DailyVolumes(ctx context.Context, from, to time.Time, loc *time.Location, f queue.StatsFilter) ([]queue.Volume, error)
}
