package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"gorm.io/gorm"
)

// WarmupSubjectKind says what follows a warm-up plan: a sending domain or a
// sending IP. The values are those of warmup_usage.subject.
type WarmupSubjectKind string

const (
	WarmupDomain WarmupSubjectKind = "domain"
	WarmupIP     WarmupSubjectKind = "ip"
)

// WarmupHistoryDays is how many days of usage the console charts.
const WarmupHistoryDays = 30

// WarmupDayUsage is one calendar day of a subject's bulk sending.
type WarmupDayUsage struct {
	Date     time.Time // midnight in the configured zone
	Recorded bool      // false: nothing was sent that day, so no quota was set
	Quota    int
	Sent     int
}

// WarmupStatus is where a domain or IP stands in its warm-up today.
type WarmupStatus struct {
	Kind  WarmupSubjectKind
	ID    uint64
	Name  string // the domain's name (punycode) or the IP's address; "" for the default route
	Label string // the same for people: the domain in Unicode, "Default route"
	Plan  string
	// Unlimited is the plan "none": no quota, no day.
	Unlimited bool
	PlanDays  int // how many days the plan has
	// Day is today's plan day: the stored one, or, before the first send of
	// a new day, the one that send will move to.
	Day   int
	Quota int // today's quota
	Used  int // bulk messages sent today
	// HoldReason says why the plan stays on its day, after a day whose
	// bounce or complaint rate was too high; empty while it moves on.
	HoldReason string
	History    []WarmupDayUsage // the last WarmupHistoryDays days, oldest first
	// Forecast is when the unsent bulk messages go out: a domain's own, or
	// for an IP those of the domains that send through it (messages get a
	// source IP only when they are claimed). Those today's quota does not
	// let go are its WaitingForQuota.
	Forecast Forecast

	capacity []SendingCapacity // the limits the forecast walks
}

// ForecastBehind is when extra bulk messages queued now, behind those
// unsent already, would go out: what a task's pre-flight check tells of
// the run it would queue.
func (w *WarmupStatus) ForecastBehind(extra int) Forecast {
	all := ForecastSending(w.Forecast.Unsent+extra, w.Forecast.Start, w.capacity...)
	return all.Split(w.Forecast.Unsent, extra)[1]
}

// DayLabel is the plan day with the plan's length, "3 of 20"; "22, plan
// complete" once the plan's last quota holds; "—" without warm-up.
func (w *WarmupStatus) DayLabel() string {
	switch {
	case w.Unlimited:
		return "—"
	case w.Day > w.PlanDays:
		return strconv.Itoa(w.Day) + ", plan complete"
	}
	return strconv.Itoa(w.Day) + " of " + strconv.Itoa(w.PlanDays)
}

// customSchedules maps each custom plan's name to its daily quotas.
func customSchedules(plans []WarmupPlan) map[string][]int {
	out := make(map[string][]int, len(plans))
	for _, p := range plans {
		out[p.Name] = p.Days()
	}
	return out
}

type UsageKey struct {
	Kind WarmupSubjectKind
	Id   uint64
	Day  string
}

// warmupReads is what the overview reads once and then looks up.
type warmupReads struct {
	today     time.Time
	todayKey  string
	schedules map[string][]int
	usage     map[UsageKey]WarmupUsage
}

// readWarmup reads what the warm-up statuses of domains and ips need:
// today, the custom plans, the usage of the charted days, and that of the
// last day each one sent when it is older (which says whether its plan
// moves on), all in three queries.
func (s *Queue) readWarmup(db *gorm.DB, domains []identity.Domain, ips []identity.SendingIP) (*warmupReads, error) {
	now := s.Now().In(s.Location())
	y, m, d := now.Date()
	r := &warmupReads{today: time.Date(y, m, d, 0, 0, 0, 0, s.Location()), todayKey: s.Day(now), usage: map[UsageKey]WarmupUsage{}}
	from := r.today.AddDate(0, 0, 1-WarmupHistoryDays).Format(time.DateOnly)
	var (
		plans []WarmupPlan
		usage []WarmupUsage
	)
	if err := db.Order("name").Find(&plans).Error; err != nil {
		return nil, err
	}
	var older []string
	var args []any
	olderThanChart := func(kind WarmupSubjectKind, id uint64, lastSent string) {
		if lastSent != "" && lastSent < from {
			older = append(older, "(subject = ? AND subject_id = ? AND day = ?)")
			args = append(args, kind, id, lastSent)
		}
	}
	for _, d := range domains {
		olderThanChart(WarmupDomain, d.ID, d.WarmupLastSentOn)
	}
	for _, ip := range ips {
		olderThanChart(WarmupIP, ip.ID, ip.WarmupLastSentOn)
	}
	if err := db.Where(strings.Join(append([]string{"day >= ?"}, older...), " OR "), append([]any{from}, args...)...).Find(&usage).Error; err != nil {
		return nil, err
	}
	r.schedules = customSchedules(plans)
	for _, u := range usage {
		r.usage[UsageKey{WarmupSubjectKind(u.Subject), u.SubjectID, u.Day}] = u
	}
	return r, nil
}

// domainWarmups works out each domain's status.
func (s *Queue) domainWarmups(r *warmupReads, domains []identity.Domain) []WarmupStatus {
	out := make([]WarmupStatus, 0, len(domains))
	for _, d := range domains {
		st := s.warmupStatus(r, WarmupDomain, d.ID, d.WarmupPlan, d.WarmupDay, d.WarmupLastSentOn, d.WarmupHoldReason)
		st.Name, st.Label = d.Name, d.DisplayName()
		out = append(out, st)
	}
	return out
}

// DomainWarmups returns every domain (by name) with today's plan day,
// quota, use and the last 30 days of usage, read from the domains and the
// usage table alone: WarmupOverview without the forecast, which would
// count the queue.
func (s *Queue) DomainWarmups(ctx context.Context) ([]WarmupStatus, error) {
	db := s.Gorm.WithContext(ctx)
	var domains []identity.Domain
	if err := db.Order("name").Find(&domains).Error; err != nil {
		return nil, err
	}
	r, err := s.readWarmup(db, domains, nil)
	if err != nil {
		return nil, err
	}
	return s.domainWarmups(r, domains), nil
}

// WarmupOverview returns every domain (by name) and then every IP (by
// address) with today's plan day, quota, use, hold reason, the last 30
// days of usage and a forecast for its unsent bulk messages.
func (s *Queue) WarmupOverview(ctx context.Context) ([]WarmupStatus, error) {
	o, err := s.WarmupOutlook(ctx)
	if err != nil {
		return nil, err
	}
	return o.Subjects, nil
}

// WarmupOutlook is the warm-up overview with each task run's part of its
// domain's forecast.
type WarmupOutlook struct {
	Subjects []WarmupStatus // as WarmupOverview returns them
	// Runs holds, by run id, the forecast of each task run with unsent bulk
	// messages: its domain's, split among the runs (and the mail of no run)
	// in the order claims take them, first due first.
	Runs map[uint64]Forecast
}

// unsentBulkCondition selects the messages a warm-up forecast spreads over
// the days: bulk ones not sent yet, queued or waiting for quota. It names
// the conditions of the partial indexes that hold every column their count
// reads (migration 0014), messages_due's on PostgreSQL, on SQLite
// messages_unsent_bulk's, as each database must see them to use the index.
var unsentBulkCondition = models.DueCondition + " AND status IN ('queued', 'quota_wait') AND NOT transactional"

// unsentGroup is how many unsent bulk messages a domain has of one task run
// (or of no run).
type unsentGroup struct {
	DomainID uint64
	RunID    *uint64
	N        int
}

// WarmupOutlook works out the overview and each task run's forecast. It
// reads the same few tables whatever their size; the unsent messages are
// counted from an index.
func (s *Queue) WarmupOutlook(ctx context.Context) (*WarmupOutlook, error) {
	db := s.Gorm.WithContext(ctx)
	var (
		domains []identity.Domain
		ips     []identity.SendingIP
		routes  []struct{ DomainID, IPID uint64 }
		unsent  []unsentGroup
	)
	for _, q := range []*gorm.DB{
		db.Order("name").Find(&domains),
		db.Order("address").Find(&ips),
		db.Table("domain_ips").Select("domain_id, ip_id").Scan(&routes),
		// Each domain's groups in the order claims take them: theirs is the
		// order of due time, and the group with the message due first goes
		// first (the mail of no run first among equals).
		db.Model(&Message{}).Select("domain_id, run_id, COUNT(*) AS n").Where(unsentBulkCondition).
			Group("domain_id, run_id").Order("domain_id, MIN(next_attempt_at), run_id IS NOT NULL, run_id").Scan(&unsent),
	} {
		if q.Error != nil {
			return nil, q.Error
		}
	}
	r, err := s.readWarmup(db, domains, ips)
	if err != nil {
		return nil, err
	}
	out := s.domainWarmups(r, domains)
	for _, ip := range ips {
		st := s.warmupStatus(r, WarmupIP, ip.ID, ip.WarmupPlan, ip.WarmupDay, ip.WarmupLastSentOn, ip.WarmupHoldReason)
		st.Name, st.Label = ip.Address, ip.Label()
		out = append(out, st)
	}
	ipStatus := map[uint64]*WarmupStatus{}
	for i := len(domains); i < len(out); i++ {
		ipStatus[out[i].ID] = &out[i]
	}

	// Which IPs each domain sends from: its dedicated ones, or the shared pool.
	dedicated := map[uint64][]uint64{}
	for _, rt := range routes {
		if ipStatus[rt.IPID] != nil {
			dedicated[rt.DomainID] = append(dedicated[rt.DomainID], rt.IPID)
		}
	}
	var shared []uint64
	for _, ip := range ips {
		if ip.Pool == identity.PoolShared {
			shared = append(shared, ip.ID)
		}
	}
	groups := map[uint64][]unsentGroup{} // by domain, in claim order
	for _, g := range unsent {
		groups[g.DomainID] = append(groups[g.DomainID], g)
	}
	unsentOf := func(groups []unsentGroup) int {
		n := 0
		for _, g := range groups {
			n += g.N
		}
		return n
	}
	// A domain's mail is held back by its own quota and by its IPs'
	// together; an IP's by its own and by its domains' together.
	ipUnsent := map[uint64]int{}
	ipDomains := map[uint64]PooledOutlook{}
	ipPools := make([]PooledOutlook, len(domains))
	for i := range domains {
		st := &out[i]
		route := dedicated[st.ID]
		if len(route) == 0 {
			route = shared
		}
		for _, id := range route {
			ipUnsent[id] += unsentOf(groups[st.ID])
			ipDomains[id] = append(ipDomains[id], r.outlook(st))
			ipPools[i] = append(ipPools[i], r.outlook(ipStatus[id]))
		}
	}
	o := &WarmupOutlook{Subjects: out, Runs: map[uint64]Forecast{}}
	for i := range domains {
		st := &out[i]
		st.capacity = []SendingCapacity{r.outlook(st), ipPools[i]}
		st.Forecast = ForecastSending(unsentOf(groups[st.ID]), r.today, st.capacity...)
		sizes := make([]int, len(groups[st.ID]))
		for j, g := range groups[st.ID] {
			sizes[j] = g.N
		}
		for j, f := range st.Forecast.Split(sizes...) {
			if run := groups[st.ID][j].RunID; run != nil {
				o.Runs[*run] = f
			}
		}
	}
	for id, st := range ipStatus {
		st.capacity = []SendingCapacity{r.outlook(st), ipDomains[id]}
		st.Forecast = ForecastSending(ipUnsent[id], r.today, st.capacity...)
	}
	return o, nil
}

// warmupStatus works out one subject's day today and its usage history.
func (s *Queue) warmupStatus(r *warmupReads, kind WarmupSubjectKind, id uint64, plan string, day int, lastSent, hold string) WarmupStatus {
	st := WarmupStatus{Kind: kind, ID: id, Plan: plan, Day: day, HoldReason: hold}
	schedule := planSchedule(plan, r.schedules)
	if schedule == nil {
		st.Unlimited, st.Day, st.HoldReason = true, 0, ""
		return st
	}
	if lastSent < r.todayKey {
		st.Day, st.HoldReason = nextSendingDay(day, r.usage[UsageKey{kind, id, lastSent}])
	}
	st.PlanDays = len(schedule)
	st.Quota = quotaOnDay(schedule, st.Day)
	st.Used = r.usage[UsageKey{kind, id, r.todayKey}].Sent
	for i := range WarmupHistoryDays {
		date := r.today.AddDate(0, 0, i+1-WarmupHistoryDays)
		u, ok := r.usage[UsageKey{kind, id, date.Format(time.DateOnly)}]
		st.History = append(st.History, WarmupDayUsage{Date: date, Recorded: ok, Quota: u.Quota, Sent: u.Sent})
	}
	return st
}

// outlook is a subject's capacity from today on.
func (r *warmupReads) outlook(st *WarmupStatus) QuotaOutlook {
	return QuotaOutlook{Unlimited: st.Unlimited, LeftToday: st.Quota - st.Used, Day: st.Day, Plan: planSchedule(st.Plan, r.schedules)}
}

// WarmupChange is an admin's choice of plan and, optionally, day, as typed.
type WarmupChange struct {
	Plan string // standard, none, or a custom plan's name
	Day  string // today's plan day; empty keeps the current one
}

// SetWarmup puts a domain or IP on a plan. With a day, today becomes that
// day of the plan: its quota applies at once, a held day is released, and
// the plan moves on from the next day the subject sends.
func (s *Queue) SetWarmup(ctx context.Context, kind WarmupSubjectKind, id uint64, ch WarmupChange) error {
	var table string
	switch kind {
	case WarmupDomain:
		table = "domains"
	case WarmupIP:
		table = "sending_ips"
	default:
		return models.ErrNotFound
	}
	plan := strings.TrimSpace(ch.Plan)
	today := s.Day(s.Now())
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var current struct{ WarmupDay int }
		if err := tx.Table(table).Select("warmup_day").Where("id = ?", id).Take(&current).Error; err != nil {
			return db.NotFound(err)
		}
		schedule, day, err := validateWarmupChange(tx, plan, ch.Day)
		if err != nil {
			return err
		}
		changes := map[string]any{"warmup_plan": plan, "updated_at": s.Now()}
		if day > 0 {
			changes["warmup_day"], changes["warmup_last_sent_on"], changes["warmup_hold_reason"] = day, today, ""
		} else {
			day = current.WarmupDay
		}
		if err := tx.Table(table).Where("id = ?", id).Updates(changes).Error; err != nil {
			return err
		}
		if schedule == nil {
			return nil
		}
		// Today's usage row, when there is one, takes the new quota at once,
		// so the chart and the next claim agree with the console.
		return tx.Model(&WarmupUsage{}).Where("subject = ? AND subject_id = ? AND day = ?", kind, id, today).
			Update("quota", quotaOnDay(schedule, day)).Error
	})
}

// validateWarmupChange checks a plan name and a typed day, and returns the
// plan's daily quotas (nil for none) and the day (0: keep the current one).
func validateWarmupChange(tx *gorm.DB, plan, rawDay string) ([]int, int, error) {
	var plans []WarmupPlan
	if err := tx.Order("name").Find(&plans).Error; err != nil {
		return nil, 0, err
	}
	verr := &models.ValidationError{}
	custom := customSchedules(plans)
	_, isCustom := custom[plan]
	switch {
	case plan == "":
		verr.Add("plan", "Choose a plan: standard, none, or a custom plan.")
	case !isCustom && plan != WarmupStandard && plan != WarmupNone:
		known := "there are no custom plans yet"
		if len(plans) > 0 {
			names := make([]string, len(plans))
			for i, p := range plans {
				names[i] = p.Name
			}
			known = "custom plans: " + strings.Join(names, ", ")
		}
		verr.Add("plan", fmt.Sprintf("There is no plan named %q. Choose standard, none, or a custom plan (%s).", plan, known))
	}
	schedule := planSchedule(plan, custom)
	day := 0
	if rawDay = strings.TrimSpace(rawDay); rawDay != "" {
		n, err := strconv.Atoi(rawDay)
		switch {
		case err != nil || n < 1:
			verr.Add("day", "Enter the day as a whole number from 1, or leave it empty to keep the current day.")
		case plan == WarmupNone:
			verr.Add("day", "Without warm-up there is no plan day: leave the day empty.")
		case verr.Field("plan") == "" && n > len(schedule):
			verr.Add("day", fmt.Sprintf("The %s plan has %d days: choose a day from 1 to %d.", plan, len(schedule), len(schedule)))
		}
		day = n
	}
	return schedule, day, verr.OrNil()
}
