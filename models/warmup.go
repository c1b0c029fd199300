package models

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
