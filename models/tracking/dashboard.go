package tracking

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tasks"
)

// StatsPeriod is a range of whole calendar days in a time zone.
type StatsPeriod struct {
	From time.Time // midnight starting the first day
	To   time.Time // midnight ending the last day
	// Preset is N when the period is the last N days up to today, one of
	// PeriodPresets; 0 for other dates.
	Preset int
}

// LastDay is midnight starting the period's last day.
func (p StatsPeriod) LastDay() time.Time { return p.To.AddDate(0, 0, -1) }

// Days counts the period's calendar days.
func (p StatsPeriod) Days() int {
	return len(queue.CalendarDays(p.From, p.LastDay(), p.From.Location())) - 1
}

// PeriodPresets are the ready-made ranges, in days ending today.
var PeriodPresets = []int{7, 30, 90}

const (
	// DefaultPeriodDays is the range shown when none is asked for.
	DefaultPeriodDays = 30
	// MaxPeriodDays bounds a chosen range: a year, with its leap day.
	MaxPeriodDays = 366
)

// ParsePeriod reads a range as typed: the dates from and to (YYYY-MM-DD,
// both given) when either is, else a preset number of days ending today,
// else the default. Days are those of loc; now says which is today.
func ParsePeriod(days, from, to string, now time.Time, loc *time.Location) (StatsPeriod, error) {
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if from == "" && to == "" {
		n := DefaultPeriodDays
		if days = strings.TrimSpace(days); days != "" {
			var err error
			if n, err = strconv.Atoi(days); err != nil || !slices.Contains(PeriodPresets, n) {
				return StatsPeriod{}, models.Invalid("days", "Choose the last 7, 30 or 90 days, or give dates.")
			}
		}
		return StatsPeriod{From: today.AddDate(0, 0, 1-n), To: today.AddDate(0, 0, 1), Preset: n}, nil
	}
	verr := &models.ValidationError{}
	date := func(field, raw, what string) time.Time {
		if raw == "" {
			verr.Add(field, "Give the "+what+" day as well.")
			return time.Time{}
		}
		t, err := time.ParseInLocation(time.DateOnly, raw, loc)
		if err != nil {
			verr.Add(field, "Give the "+what+" day as a date, such as "+today.Format(time.DateOnly)+".")
		}
		return t
	}
	first, last := date("from", from, "first"), date("to", to, "last")
	if err := verr.OrNil(); err != nil {
		return StatsPeriod{}, err
	}
	p := StatsPeriod{From: first, To: last.AddDate(0, 0, 1)}
	switch n := p.Days(); {
	case last.Before(first):
		verr.Add("to", "The last day comes before the first: swap them.")
	case last.After(today):
		verr.Add("to", "The last day is in the future: choose today ("+today.Format(time.DateOnly)+") or earlier.")
	case n > MaxPeriodDays:
		verr.Add("from", "Choose at most "+strconv.Itoa(MaxPeriodDays)+" days; this range has "+strconv.Itoa(n)+".")
	case last.Equal(today) && slices.Contains(PeriodPresets, n):
		p.Preset = n
	}
	return p, verr.OrNil()
}

// DashboardInput is the dashboard's query as typed.
type DashboardInput struct {
	Days     string // a preset: 7, 30 or 90; ignored when From or To is given
	From, To string // YYYY-MM-DD in the user's zone
	Domain   string // a domain id
	Provider string // one of Providers
	Task     string // a task id
}

// ProviderVolume is one mailbox provider's share of a period.
type ProviderVolume struct {
	Provider string
	queue.StatsRow
}

// LinkCount is how often people clicked a link.
type LinkCount struct {
	URL    string `gorm:"column:url"`
	Clicks int64
}

// DashboardReport is the dashboard's reading of the rollups.
type DashboardReport struct {
	Period    StatsPeriod
	Filter    queue.StatsFilter
	Days      []queue.Volume // one per day of the period
	Totals    queue.StatsRow
	Providers []ProviderVolume // those with mail in the period, in the order of Providers
	Links     []LinkCount      // the most clicked, most first
	Warnings  []queue.ReputationWarning
	// Warmups are the warm-up charts worth showing: the filtered domain's,
	// or those of the domains in warm-up that sent lately, busiest first.
	Warmups []queue.WarmupStatus
	// MoreWarmups counts the domains in warm-up that sent lately but were
	// left out for room.
	MoreWarmups int
}

const (
	dashboardLinks   = 10
	dashboardWarmups = 2
)

// Dashboard reads the period and filters in asks for (days in loc) from
// the rollups alone, never from messages or events, so it costs the same
// over ten thousand messages as over ten million. Bad input is a
// ValidationError naming the field.
func (s *Tracking) Dashboard(ctx context.Context, in DashboardInput, loc *time.Location, limits queue.ReputationLimits) (*DashboardReport, error) {
	period, perr := ParsePeriod(in.Days, in.From, in.To, s.Now(), loc)
	filter, ferr := s.parseStatsFilter(ctx, in)
	if err := joinValidation(perr, ferr); err != nil {
		return nil, err
	}
	rep := &DashboardReport{Period: period, Filter: filter}
	hours, err := s.queue.SumStats(ctx, period.From, period.To, filter, "hour")
	if err != nil {
		return nil, err
	}
	rep.Days = queue.Periods(hours, queue.CalendarDays(period.From, period.LastDay(), loc))
	rep.Totals = queue.Totals(rep.Days)
	providers, err := s.queue.SumStats(ctx, period.From, period.To, filter, "provider")
	if err != nil {
		return nil, err
	}
	byProvider := map[string]queue.StatsRow{}
	for _, p := range providers {
		byProvider[p.Provider] = p
	}
	for _, p := range queue.Providers {
		if row, ok := byProvider[p]; ok {
			rep.Providers = append(rep.Providers, ProviderVolume{Provider: p, StatsRow: row})
		}
	}
	rep.Warnings = limits.Check(rep.Totals)
	if rep.Links, err = s.topLinks(ctx, period, filter, dashboardLinks); err != nil {
		return nil, err
	}
	rep.Warmups, rep.MoreWarmups, err = s.dashboardWarmups(ctx, filter.DomainID)
	return rep, err
}

// parseStatsFilter reads the filters, each naming something that exists.
func (s *Tracking) parseStatsFilter(ctx context.Context, in DashboardInput) (queue.StatsFilter, error) {
	var f queue.StatsFilter
	verr := &models.ValidationError{}
	for _, c := range []struct {
		field, raw string
		model      any
		into       *uint64
		msg        string
	}{
		{"domain", in.Domain, &identity.Domain{}, &f.DomainID, "Choose a domain from the list."},
		{"task", in.Task, &tasks.Task{}, &f.TaskID, "Choose a task from the list."},
	} {
		raw := strings.TrimSpace(c.raw)
		if raw == "" {
			continue
		}
		id, err := strconv.ParseUint(raw, 10, 64)
		if err != nil || id == 0 {
			verr.Add(c.field, c.msg)
			continue
		}
		var found []uint64
		if err := s.Gorm.WithContext(ctx).Model(c.model).Where("id = ?", id).Limit(1).Pluck("id", &found).Error; err != nil {
			return f, err
		}
		if len(found) == 0 {
			verr.Add(c.field, c.msg)
			continue
		}
		*c.into = id
	}
	if p := strings.TrimSpace(in.Provider); p != "" {
		if !slices.Contains(queue.Providers, p) {
			verr.Add("provider", "Choose a mailbox provider from the list.")
		}
		f.Provider = p
	}
	return f, verr.OrNil()
}

// joinValidation merges the field errors of several checks.
func joinValidation(errs ...error) error {
	out := &models.ValidationError{}
	for _, err := range errs {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			for k, v := range verr.Fields {
				out.Add(k, v)
			}
		} else if err != nil {
			return err
		}
	}
	return out.OrNil()
}

// topLinks are the links clicked most in the period. Link clicks are kept
// per day of the installation's zone, per domain and task: the period is
// read in those days, and the provider filter does not apply.
func (s *Tracking) topLinks(ctx context.Context, p StatsPeriod, f queue.StatsFilter, limit int) ([]LinkCount, error) {
	q := s.Gorm.WithContext(ctx).Model(&linkClicks{}).
		Where("day >= ? AND day <= ?", s.Day(p.From), s.Day(p.To.Add(-time.Nanosecond)))
	if f.DomainID != 0 {
		q = q.Where("domain_id = ?", f.DomainID)
	}
	if f.TaskID != 0 {
		q = q.Where("task_id = ?", f.TaskID)
	}
	var out []LinkCount
	err := q.Select("url, SUM(clicks) AS clicks").Group("url").Order("clicks DESC, url").Limit(limit).Scan(&out).Error
	return out, err
}

// dashboardWarmups picks the warm-up charts for the dashboard: the
// domain's when one is chosen (unless it has no warm-up), else those of
// the domains in warm-up that sent in the charted days, busiest first, at
// most dashboardWarmups; it also says how many more there are.
func (s *Tracking) dashboardWarmups(ctx context.Context, domainID uint64) ([]queue.WarmupStatus, int, error) {
	all, err := s.queue.DomainWarmups(ctx)
	if err != nil {
		return nil, 0, err
	}
	sent := func(st queue.WarmupStatus) int {
		n := 0
		for _, h := range st.History {
			n += h.Sent
		}
		return n
	}
	var out []queue.WarmupStatus
	for _, st := range all {
		switch {
		case st.Unlimited:
		case domainID != 0 && st.ID == domainID:
			return []queue.WarmupStatus{st}, 0, nil
		case domainID == 0 && sent(st) > 0:
			out = append(out, st)
		}
	}
	slices.SortStableFunc(out, func(a, b queue.WarmupStatus) int { return sent(b) - sent(a) })
	if len(out) > dashboardWarmups {
		return out[:dashboardWarmups], len(out) - dashboardWarmups, nil
	}
	return out, 0, nil
}

// HasSent reports whether anything was ever accepted for delivery.
func (s *Tracking) HasSent(ctx context.Context) (bool, error) {
	var found []time.Time
	err := s.Gorm.WithContext(ctx).Model(&queue.StatsRow{}).Where("accepted > 0").Limit(1).Pluck("hour", &found).Error
	return len(found) > 0, err
}
