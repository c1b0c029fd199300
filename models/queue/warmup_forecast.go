package queue

import "time"

// SendingCapacity is a daily limit on bulk mail: how many messages may go
// out a number of days from today (0: what is left of today).
type SendingCapacity interface {
	OnDay(offset int) (n int, unlimited bool)
}

// QuotaOutlook is what a domain or IP may still send under its warm-up
// plan: what is left of today's quota, then the plan's quota on each
// following day. It assumes the plan moves on every day, as it does while
// the day's mail goes out and passes the bounce and complaint gates.
type QuotaOutlook struct {
	Unlimited bool // the plan "none"
	LeftToday int
	Day       int   // today's plan day, from 1
	Plan      []int // the plan's daily quotas; after the last day its volume holds
}

// OnDay implements SendingCapacity.
func (o QuotaOutlook) OnDay(offset int) (int, bool) {
	switch {
	case o.Unlimited:
		return 0, true
	case offset == 0:
		return max(0, o.LeftToday), false
	case len(o.Plan) == 0:
		return 0, false
	}
	return quotaOnDay(o.Plan, o.Day+offset), false
}

// PooledOutlook is several IPs that share a domain's mail: their capacities
// add up, and one without a limit lifts the pool's.
type PooledOutlook []QuotaOutlook

// OnDay implements SendingCapacity.
func (p PooledOutlook) OnDay(offset int) (int, bool) {
	total := 0
	for _, o := range p {
		n, unlimited := o.OnDay(offset)
		if unlimited {
			return 0, true
		}
		total += n
	}
	return total, false
}

// ForecastHorizon is how many days a forecast walks: what would take longer
// is only counted.
const ForecastHorizon = 366

// ForecastDay is a calendar day on which some waiting messages go out.
type ForecastDay struct {
	Date  time.Time // midnight, in the zone of the forecast's start
	Count int
}

// Forecast says on which days waiting bulk messages will go out.
type Forecast struct {
	Waiting int
	Start   time.Time     // today
	Days    []ForecastDay // the days that send some of them, in order
	Later   int           // what would still wait after ForecastHorizon days
}

// ForecastSending walks the calendar forward from today, whose date (in its
// location) is the start: each day sends as many of the waiting messages as
// its tightest limit allows. Without limits, or when none of them limits,
// everything goes today. It is a pure function so the console and a task's
// pre-flight check tell the same story.
func ForecastSending(waiting int, today time.Time, limits ...SendingCapacity) Forecast {
	y, m, d := today.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, today.Location())
	f := Forecast{Waiting: max(0, waiting), Start: start}
	left := f.Waiting
	for offset := 0; left > 0 && offset < ForecastHorizon; offset++ {
		n := left
		for _, l := range limits {
			if c, unlimited := l.OnDay(offset); !unlimited {
				n = min(n, c)
			}
		}
		if n > 0 {
			f.Days = append(f.Days, ForecastDay{Date: start.AddDate(0, 0, offset), Count: n})
			left -= n
		}
	}
	f.Later = left
	return f
}

// Last is the day the last waiting message goes out; zero when nothing
// waits or some would wait beyond the horizon.
func (f Forecast) Last() time.Time {
	if len(f.Days) == 0 || f.Later > 0 {
		return time.Time{}
	}
	return f.Days[len(f.Days)-1].Date
}
