package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// StandardWarmupPlan is the 20-day standard plan: messages a day on each
// day of warm-up. From day 21 on, the last day's volume holds.
var StandardWarmupPlan = []int{
	500, 1_000, 2_000, 5_000, 10_000, 20_000, 40_000, 60_000, 80_000, 100_000,
	150_000, 200_000, 300_000, 400_000, 500_000, 600_000, 700_000, 800_000, 900_000, 1_000_000,
}

// Warm-up plan names stored on domains and IPs; any other name is an admin's
// custom plan.
const (
	WarmupStandard = "standard"
	WarmupNone     = "none"
)

// quotaOnDay is a plan's volume on a (1-based) day: before day 1 the first
// day's, after the plan ends its last day's.
func quotaOnDay(plan []int, day int) int {
	return plan[min(max(day, 1), len(plan))-1]
}

// WarmupPlan is an admin's own plan: a list of daily quotas.
type WarmupPlan struct {
	ID        uint64
	Name      string
	Quotas    string // JSON array of daily quotas
	CreatedAt time.Time
}

// Days returns the plan's daily quotas.
func (p *WarmupPlan) Days() []int {
	var q []int
	_ = json.Unmarshal([]byte(p.Quotas), &q)
	return q
}

// NewWarmupPlan is an admin's definition of a custom plan.
type NewWarmupPlan struct {
	Name string
	// Quotas lists the daily quotas as people write them: "100, 200, 400, 800".
	Quotas string
}

// Limits of a custom plan.
const (
	maxPlanDays  = 365
	maxPlanQuota = 100_000_000
)

// parseQuotas reads a list of daily quotas separated by commas, semicolons
// or white space. Thousands separators cannot be told from list commas, so
// "1,000" reads as two days; the message suggests writing 1000 or 1_000.
func parseQuotas(list string, verr *models.ValidationError) []int {
	fields := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
	if len(fields) == 0 || len(fields) > maxPlanDays {
		verr.Add("quotas", fmt.Sprintf("Give between 1 and %d daily quotas, such as 100, 200, 400, 800.", maxPlanDays))
		return nil
	}
	quotas := make([]int, 0, len(fields))
	for _, f := range fields {
		q, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || q < 1 || q > maxPlanQuota {
			verr.Add("quotas", fmt.Sprintf("%q is not a daily quota: each is a whole number from 1 to 100000000 (write 1000 or 1_000, not 1,000), separated by commas.", f))
			return nil
		}
		quotas = append(quotas, q)
	}
	return quotas
}

// CreateWarmupPlan stores a custom plan.
func (s *Queue) CreateWarmupPlan(ctx context.Context, in NewWarmupPlan) (*WarmupPlan, error) {
	name := strings.TrimSpace(in.Name)
	verr := &models.ValidationError{}
	switch {
	case name == "" || utf8.RuneCountInString(name) > 64:
		verr.Add("name", "Enter a name of at most 64 characters.")
	case strings.EqualFold(name, WarmupStandard) || strings.EqualFold(name, WarmupNone):
		verr.Add("name", `"standard" and "none" are built in; choose another name.`)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 || !utf8.ValidString(name):
		verr.Add("name", "Use letters, digits, spaces and punctuation only.")
	}
	quotas := parseQuotas(in.Quotas, verr)
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(quotas)
	p := &WarmupPlan{Name: name, Quotas: string(raw), CreatedAt: s.Now()}
	if err := s.Gorm.WithContext(ctx).Create(p).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return nil, models.Invalid("name", "A plan named "+name+" exists already.")
		}
		return nil, err
	}
	return p, nil
}

// ListWarmupPlans returns the custom plans by name.
func (s *Queue) ListWarmupPlans(ctx context.Context) ([]WarmupPlan, error) {
	var out []WarmupPlan
	err := s.Gorm.WithContext(ctx).Order("name").Find(&out).Error
	return out, err
}

// planSchedule is the daily quotas of a plan given the custom plans by name;
// nil means no limit ("none"). An unknown name falls back to the standard
// plan: never send more than that.
func planSchedule(plan string, custom map[string][]int) []int {
	switch plan {
	case WarmupNone:
		return nil
	case WarmupStandard:
		return StandardWarmupPlan
	}
	if days := custom[plan]; len(days) > 0 {
		return days
	}
	return StandardWarmupPlan
}

// planQuota is a plan's volume on a day; unlimited for "none".
func planQuota(tx *gorm.DB, plan string, day int) (quota int, unlimited bool, err error) {
	custom := map[string][]int{}
	if plan != WarmupNone && plan != WarmupStandard {
		var p WarmupPlan
		err := tx.Where("name = ?", plan).Take(&p).Error
		switch {
		case err == nil:
			custom[plan] = p.Days()
		case db.NotFound(err) != models.ErrNotFound:
			return 0, false, err
		}
	}
	schedule := planSchedule(plan, custom)
	if schedule == nil {
		return 0, true, nil
	}
	return quotaOnDay(schedule, day), false, nil
}

// Warm-up gates: the day advances only while the previous sending day's
// hard-bounce rate stays under 5% and its complaint rate under 0.1%.
const (
	warmupMaxHardBouncePermille = 50
	warmupMaxComplaintPermille  = 1
)

type WarmupUsage struct {
	Subject     string
	SubjectID   uint64
	Day         string
	Quota       int
	Sent        int
	HardBounced int
	Complained  int
}

func (WarmupUsage) TableName() string { return "warmup_usage" }

// warmupHold explains why a subject's plan holds its day, or "".
func warmupHold(u WarmupUsage, dayNumber int) string {
	if u.Sent == 0 {
		return ""
	}
	if u.HardBounced*1000 >= u.Sent*warmupMaxHardBouncePermille {
		return fmt.Sprintf("Holding day %d: %s had a hard-bounce rate of %.1f%% (limit 5%%).", dayNumber, u.Day, 100*float64(u.HardBounced)/float64(u.Sent))
	}
	if u.Complained*1000 >= u.Sent*warmupMaxComplaintPermille {
		return fmt.Sprintf("Holding day %d: %s had a complaint rate of %.2f%% (limit 0.1%%).", dayNumber, u.Day, 100*float64(u.Complained)/float64(u.Sent))
	}
	return ""
}

// nextSendingDay is the plan day of a first send on a new calendar day,
// given the usage of the last day the subject was on: one day on, unless that
// day sent nothing (the plan moves only on days that send) or its bounce or
// complaint rate holds the day, which the returned reason explains.
func nextSendingDay(day int, last WarmupUsage) (int, string) {
	if last.Sent == 0 {
		return day, ""
	}
	if hold := warmupHold(last, day); hold != "" {
		return day, hold
	}
	return day + 1, ""
}
