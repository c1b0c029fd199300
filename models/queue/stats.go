package queue

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Mailbox providers the statistics break down by.
var Providers = []string{"gmail.com", "outlook.com", "yahoo.com", "qq.com", "163.com", "icloud.com", "other"}

// providerDomains maps a recipient's domain to its mailbox provider; yahoo.*
// country domains are matched by prefix.
var providerDomains = map[string]string{
	"gmail.com": "gmail.com", "googlemail.com": "gmail.com",
	"outlook.com": "outlook.com", "hotmail.com": "outlook.com", "live.com": "outlook.com", "msn.com": "outlook.com",
	"yahoo.com": "yahoo.com", "ymail.com": "yahoo.com", "rocketmail.com": "yahoo.com",
	"qq.com": "qq.com", "foxmail.com": "qq.com",
	"163.com": "163.com", "126.com": "163.com", "yeah.net": "163.com",
	"icloud.com": "icloud.com", "me.com": "icloud.com", "mac.com": "icloud.com",
}

// Provider is the mailbox provider of a recipient domain.
func Provider(domain string) string {
	if p, ok := providerDomains[domain]; ok {
		return p
	}
	if strings.HasPrefix(domain, "yahoo.") {
		return "yahoo.com"
	}
	return "other"
}

// providerSQL classifies column like Provider does, for statements that
// insert messages in bulk.
func ProviderSQL(column string) string {
	domains := make([]string, 0, len(providerDomains))
	for d := range providerDomains {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	var b strings.Builder
	b.WriteString("CASE")
	for _, d := range domains {
		b.WriteString(" WHEN " + column + " = '" + d + "' THEN '" + providerDomains[d] + "'")
	}
	b.WriteString(" WHEN " + column + " LIKE 'yahoo.%' THEN 'yahoo.com' ELSE 'other' END")
	return b.String()
}

// StatsRow is one row of the hourly rollup.
type StatsRow struct {
	Hour         time.Time
	DomainID     uint64
	Provider     string
	TaskID       uint64
	Requested    int64
	Accepted     int64
	Delivered    int64
	Deferred     int64
	Bounced      int64
	Opened       int64
	Clicked      int64
	Unsubscribed int64
	Complained   int64
}

func (StatsRow) TableName() string { return "stats_hourly" }

// statsKey names a rollup row.
type StatsKey struct {
	Hour     time.Time
	DomainID uint64
	Provider string
	TaskID   uint64
}

// statsBatch gathers counts to add to the rollup in one statement.
type StatsBatch map[StatsKey]*StatsRow

// add counts one message's event at t in column (a StatsRow field name).
func (b StatsBatch) Add(t time.Time, m *Message, field func(*StatsRow) *int64) {
	var task uint64
	if m.TaskID != nil {
		task = *m.TaskID
	}
	provider := m.Provider
	if provider == "" {
		provider = "other"
	}
	k := StatsKey{Hour: t.UTC().Truncate(time.Hour), DomainID: m.DomainID, Provider: provider, TaskID: task}
	row := b[k]
	if row == nil {
		row = &StatsRow{Hour: k.Hour, DomainID: k.DomainID, Provider: k.Provider, TaskID: k.TaskID}
		b[k] = row
	}
	*field(row)++
}

var statsColumns = []string{"requested", "accepted", "delivered", "deferred", "bounced", "opened", "clicked", "unsubscribed", "complained"}

// statsTable is a rollup table and the columns that key its rows.
type statsTable struct {
	Name string
	Keys []string
}

var (
	// hourlyStats counts per hour, sender domain, provider and task.
	HourlyStats = statsTable{"stats_hourly", []string{"hour", "domain_id", "provider", "task_id"}}
	// providerStats holds the same counts summed over domains and tasks:
	// far fewer rows, which is what the dashboard reads unless it is
	// filtered by domain or task.
	providerStats = statsTable{"stats_hourly_providers", []string{"hour", "provider"}}
	StatsTables   = []statsTable{HourlyStats, providerStats}
)

// upsertSet is the upsert's conflict clause: each count added to the
// stored one.
func (t statsTable) upsertSet() string {
	set := make([]string, len(statsColumns))
	for i, c := range statsColumns {
		set[i] = c + " = " + t.Name + "." + c + " + excluded." + c
	}
	return "ON CONFLICT (" + strings.Join(t.Keys, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
}

// upsertSQL adds, set-based, the counts of a SELECT over from (the rest of
// the statement: FROM and WHERE) grouped by group to the table: key gives
// the expression of each key column, count that of each count column
// (those missing add 0).
func (t statsTable) UpsertSQL(key, count map[string]string, from, group string) string {
	exprs := make([]string, 0, len(t.Keys)+len(statsColumns))
	for _, k := range t.Keys {
		exprs = append(exprs, key[k])
	}
	for _, c := range statsColumns {
		e, ok := count[c]
		if !ok {
			e = "0"
		}
		exprs = append(exprs, e)
	}
	return "INSERT INTO " + t.Name + " (" + strings.Join(t.Keys, ", ") + ", " + strings.Join(statsColumns, ", ") + ") SELECT " +
		strings.Join(exprs, ", ") + " " + from + " GROUP BY " + group + " " + t.upsertSet()
}

// write adds the batch to the rollups: an upsert per table that sums into
// the rows.
func (b StatsBatch) Write(tx *gorm.DB) error {
	if len(b) == 0 {
		return nil
	}
	rows := make([]StatsRow, 0, len(b))
	summed := map[StatsKey]*StatsRow{}
	for _, r := range b {
		rows = append(rows, *r)
		k := StatsKey{Hour: r.Hour, Provider: r.Provider}
		if summed[k] == nil {
			summed[k] = &StatsRow{Hour: r.Hour, Provider: r.Provider}
		}
		summed[k].plus(*r)
	}
	byProvider := make([]StatsRow, 0, len(summed))
	for _, r := range summed {
		byProvider = append(byProvider, *r)
	}
	for _, w := range []struct {
		t    statsTable
		rows []StatsRow
	}{{HourlyStats, rows}, {providerStats, byProvider}} {
		conflict := make([]clause.Column, len(w.t.Keys))
		for i, k := range w.t.Keys {
			conflict[i] = clause.Column{Name: k}
		}
		set := map[string]any{}
		for _, c := range statsColumns {
			set[c] = gorm.Expr(w.t.Name + "." + c + " + excluded." + c)
		}
		if err := tx.Table(w.t.Name).Select(append(slices.Clone(w.t.Keys), statsColumns...)).
			Clauses(clause.OnConflict{Columns: conflict, DoUpdates: clause.Assignments(set)}).Create(&w.rows).Error; err != nil {
			return err
		}
	}
	return nil
}

// Field selectors for statsBatch.add.
func statRequested(r *StatsRow) *int64    { return &r.Requested }
func statAccepted(r *StatsRow) *int64     { return &r.Accepted }
func statDelivered(r *StatsRow) *int64    { return &r.Delivered }
func statDeferred(r *StatsRow) *int64     { return &r.Deferred }
func statBounced(r *StatsRow) *int64      { return &r.Bounced }
func StatOpened(r *StatsRow) *int64       { return &r.Opened }
func StatClicked(r *StatsRow) *int64      { return &r.Clicked }
func StatUnsubscribed(r *StatsRow) *int64 { return &r.Unsubscribed }
func statComplained(r *StatsRow) *int64   { return &r.Complained }

// StatsFilter narrows statistics.
type StatsFilter struct {
	DomainID uint64 // 0: every domain
	Provider string // "": every provider
	TaskID   uint64 // 0: every task and none
}

// Volume is the rollup summed over one period: a calendar day, or an hour.
type Volume struct {
	Start time.Time // the period's first instant, in the zone asked for
	StatsRow
}

// Day names a daily period: YYYY-MM-DD.
func (v Volume) Day() string { return v.Start.Format(time.DateOnly) }

// plus adds o's counts to r.
func (r *StatsRow) plus(o StatsRow) {
	r.Requested += o.Requested
	r.Accepted += o.Accepted
	r.Delivered += o.Delivered
	r.Deferred += o.Deferred
	r.Bounced += o.Bounced
	r.Opened += o.Opened
	r.Clicked += o.Clicked
	r.Unsubscribed += o.Unsubscribed
	r.Complained += o.Complained
}

// calendarDays are the midnights in loc from the day of from to the day of
// to, and the midnight after: the bounds of each day, whatever DST does.
func CalendarDays(from, to time.Time, loc *time.Location) []time.Time {
	day := func(t time.Time) time.Time {
		y, m, d := t.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	end := day(to).AddDate(0, 0, 1)
	var out []time.Time
	for d := day(from); d.Before(end); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return append(out, end)
}

// sumStats reads the rollup from from to before to, filtered, summed per
// group: "hour" (oldest first) or "provider". Without a domain or task to
// filter by, it reads the rollup summed over them.
func (s *Queue) SumStats(ctx context.Context, from, to time.Time, f StatsFilter, group string) ([]StatsRow, error) {
	table := providerStats.Name
	if f.DomainID != 0 || f.TaskID != 0 {
		table = HourlyStats.Name
	}
	q := s.Gorm.WithContext(ctx).Table(table).Where("hour >= ? AND hour < ?", from.UTC(), to.UTC())
	if f.DomainID != 0 {
		q = q.Where("domain_id = ?", f.DomainID)
	}
	switch {
	case f.Provider != "":
		q = q.Where("provider = ?", f.Provider)
	case group == "provider":
		// Provider by provider, through stats_hourly_providers_totals: a
		// range of hours for each instead of a sort of them all.
		q = q.Where("provider IN ?", Providers)
	}
	if f.TaskID != 0 {
		q = q.Where("task_id = ?", f.TaskID)
	}
	sums := group
	for _, c := range statsColumns {
		sums += ", SUM(" + c + ") AS " + c
	}
	var rows []StatsRow
	err := q.Select(sums).Group(group).Order(group).Scan(&rows).Error
	return rows, err
}

// periods sums hourly rows (oldest first) into the periods that start at
// bounds, the last bound closing the last period.
func Periods(hours []StatsRow, bounds []time.Time) []Volume {
	out := make([]Volume, 0, len(bounds))
	for _, b := range bounds[:len(bounds)-1] {
		out = append(out, Volume{Start: b})
	}
	i := 0
	for _, h := range hours {
		for i+1 < len(out) && !h.Hour.Before(bounds[i+1]) {
			i++
		}
		if len(out) > 0 && !h.Hour.Before(bounds[i]) && h.Hour.Before(bounds[i+1]) {
			out[i].plus(h)
		}
	}
	return out
}

// DailyVolumes sums the rollup per calendar day in loc, from the day of
// from to the day of to, every day present even when empty.
func (s *Queue) DailyVolumes(ctx context.Context, from, to time.Time, loc *time.Location, f StatsFilter) ([]Volume, error) {
	days := CalendarDays(from, to, loc)
	hours, err := s.SumStats(ctx, days[0], days[len(days)-1], f, "hour")
	if err != nil {
		return nil, err
	}
	return Periods(hours, days), nil
}

// Totals sums periods.
func Totals(vs []Volume) StatsRow {
	var t StatsRow
	for _, v := range vs {
		t.plus(v.StatsRow)
	}
	return t
}
