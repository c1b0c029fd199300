package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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

// StandardQuota is the standard plan's volume on a (1-based) day.
func StandardQuota(day int) int {
	switch {
	case day < 1:
		return StandardWarmupPlan[0]
	case day > len(StandardWarmupPlan):
		return StandardWarmupPlan[len(StandardWarmupPlan)-1]
	default:
		return StandardWarmupPlan[day-1]
	}
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

// CreateWarmupPlan stores a custom plan.
func (s *Store) CreateWarmupPlan(ctx context.Context, name string, quotas []int) (*WarmupPlan, error) {
	name = strings.TrimSpace(name)
	verr := &ValidationError{}
	switch {
	case name == "" || len(name) > 64:
		verr.Add("name", "Enter a name of at most 64 characters.")
	case name == WarmupStandard || name == WarmupNone:
		verr.Add("name", `"standard" and "none" are built in; choose another name.`)
	}
	if len(quotas) == 0 || len(quotas) > 365 {
		verr.Add("quotas", "Give between 1 and 365 daily quotas.")
	}
	for _, q := range quotas {
		if q < 1 || q > 100_000_000 {
			verr.Add("quotas", "Each daily quota is a whole number from 1 to 100,000,000.")
			break
		}
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(quotas)
	p := &WarmupPlan{Name: name, Quotas: string(raw), CreatedAt: s.now()}
	if err := s.db.WithContext(ctx).Create(p).Error; err != nil {
		if isUniqueViolation(err) {
			return nil, Invalid("name", "A plan named "+name+" exists already.")
		}
		return nil, err
	}
	return p, nil
}

// ListWarmupPlans returns the custom plans by name.
func (s *Store) ListWarmupPlans(ctx context.Context) ([]WarmupPlan, error) {
	var out []WarmupPlan
	err := s.db.WithContext(ctx).Order("name").Find(&out).Error
	return out, err
}

// planQuota is a plan's volume on a day; unlimited for "none". An unknown
// plan name falls back to the standard plan: never send more than that.
func planQuota(tx *gorm.DB, plan string, day int) (quota int, unlimited bool, err error) {
	switch plan {
	case WarmupNone:
		return 0, true, nil
	case WarmupStandard:
		return StandardQuota(day), false, nil
	}
	var p WarmupPlan
	if err := tx.Where("name = ?", plan).Take(&p).Error; err != nil {
		if notFound(err) == ErrNotFound {
			return StandardQuota(day), false, nil
		}
		return 0, false, err
	}
	days := p.Days()
	if len(days) == 0 {
		return StandardQuota(day), false, nil
	}
	return days[min(max(day, 1), len(days))-1], false, nil
}

// Warm-up gates: the day advances only while the previous sending day's
// hard-bounce rate stays under 5% and its complaint rate under 0.1%.
const (
	warmupMaxHardBouncePermille = 50
	warmupMaxComplaintPermille  = 1
)

type warmupUsage struct {
	Subject     string
	SubjectID   uint64
	Day         string
	Quota       int
	Sent        int
	HardBounced int
	Complained  int
}

func (warmupUsage) TableName() string { return "warmup_usage" }

// warmupHold explains why a subject's plan holds its day, or "".
func warmupHold(u warmupUsage, dayNumber int) string {
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
