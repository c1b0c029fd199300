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

// ForecastDay is a calendar day on which some unsent messages go out.
type ForecastDay struct {
	Date  time.Time // midnight, in the zone of the forecast's start
	Count int
}

// Forecast says on which days unsent bulk messages will go out: those
// today's quota lets go today, the rest on the days whose quotas they wait
// for.
type Forecast struct {
	Unsent int           // the bulk messages not sent yet
	Start  time.Time     // today
	Days   []ForecastDay // the days that send some of them, in order
	Later  int           // what would still wait after ForecastHorizon days
}

// Today is how many of the unsent messages go out today.
func (f Forecast) Today() int {
	if len(f.Days) == 0 || !f.Days[0].Date.Equal(f.Start) {
		return 0
	}
	return f.Days[0].Count
}

// WaitingForQuota is how many of the unsent messages today's quota does not
// let go: they wait for a later day's.
func (f Forecast) WaitingForQuota() int { return f.Unsent - f.Today() }

// Split shares the forecast's days among groups of its messages, of the
// sizes given, in the order claims take them: the first group goes first.
// It is how one domain's forecast tells each task run's, and a pre-flight
// check the run it would queue behind what is unsent already.
func (f Forecast) Split(sizes ...int) []Forecast {
	out := make([]Forecast, len(sizes))
	day, left := 0, 0 // the day being shared, and what is left of it
	if len(f.Days) > 0 {
		left = f.Days[0].Count
	}
	for i, n := range sizes {
		g := Forecast{Unsent: n, Start: f.Start}
		for n > 0 && day < len(f.Days) {
			take := min(n, left)
			g.Days = append(g.Days, ForecastDay{Date: f.Days[day].Date, Count: take})
			n, left = n-take, left-take
			if left == 0 {
				if day++; day < len(f.Days) {
					left = f.Days[day].Count
				}
			}
		}
		g.Later = n
		out[i] = g
	}
	return out
}

// ForecastSending walks the calendar forward from today, whose date (in its
// location) is the start: each day sends as many of the unsent messages as
// its tightest limit allows. Without limits, or when none of them limits,
// everything goes today. It is a pure function so the console and a task's
// pre-flight check tell the same story.
func ForecastSending(unsent int, today time.Time, limits ...SendingCapacity) Forecast {
	y, m, d := today.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, today.Location())
	f := Forecast{Unsent: max(0, unsent), Start: start}
	left := f.Unsent
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

// Last is the day the last unsent message goes out; zero when nothing is
// unsent or some would wait beyond the horizon.
func (f Forecast) Last() time.Time {
	if len(f.Days) == 0 || f.Later > 0 {
		return time.Time{}
	}
	return f.Days[len(f.Days)-1].Date
}
