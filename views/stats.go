package views

import (
	"math"
	"strconv"

	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tracking"
	"github.com/sesame-email/sesame/views/components"
)

// percent writes a rate for people: "12.3%", "0.05%" (small rates keep two
// decimals, so a complaint rate is not rounded away), "—" when there is
// nothing to take a share of.
func percent(r queue.Rate) string {
	if !r.Known() {
		return "—"
	}
	v := 100 * r.Fraction()
	decimals := 1
	if v > 0 && v < 1 {
		decimals = 2
	}
	return strconv.FormatFloat(v, 'f', decimals, 64) + "%"
}

// limitPercent writes a configured limit: "5%", "0.1%" (rounded, so the
// float's last bits do not show).
func limitPercent(fraction float64) string {
	return strconv.FormatFloat(math.Round(fraction*1e8)/1e6, 'f', -1, 64) + "%"
}

// count writes a rollup count with thousands separators.
func count(n int64) string { return components.FormatCount(n) }

// ints turns rollup counts into chart values.
func ints(vols []queue.Volume, field func(queue.StatsRow) int64) []int {
	out := make([]int, len(vols))
	for i, v := range vols {
		out[i] = int(field(v.StatsRow))
	}
	return out
}

// periodLabels names the columns of a timeline: days ("3 Mar", "Tue 3 Mar")
// or hours ("14:00", "Tue 3 Mar 14:00").
func periodLabels(vols []queue.Volume, hourly bool) (short, long []string) {
	for _, v := range vols {
		if hourly {
			short = append(short, v.Start.Format("15:04"))
			long = append(long, v.Start.Format("Mon 2 Jan 15:04"))
		} else {
			short = append(short, v.Start.Format("2 Jan"))
			long = append(long, v.Start.Format("Mon 2 Jan"))
		}
	}
	return short, long
}

func deliveredOf(r queue.StatsRow) int64 { return r.Delivered }
func deferredOf(r queue.StatsRow) int64  { return r.Deferred }
func bouncedOf(r queue.StatsRow) int64   { return r.Bounced }
func openedOf(r queue.StatsRow) int64    { return r.Opened }
func clickedOf(r queue.StatsRow) int64   { return r.Clicked }

// outcomeBars are delivery outcomes stacked: delivered at the bottom,
// then deferred attempts, then bounces.
func outcomeBars(vols []queue.Volume) []components.ChartSeries {
	return []components.ChartSeries{
		{Name: "Delivered", Tone: components.TonePrimary, Values: ints(vols, deliveredOf)},
		{Name: "Deferred", Tone: components.ToneAccent, Values: ints(vols, deferredOf)},
		{Name: "Bounced", Tone: components.ToneBad, Values: ints(vols, bouncedOf)},
	}
}

// engagementLines are messages first opened and first clicked by people.
func engagementLines(vols []queue.Volume) []components.ChartSeries {
	return []components.ChartSeries{
		{Name: "Opened", Tone: components.ToneInfo, Values: ints(vols, openedOf)},
		{Name: "Clicked", Tone: components.ToneAccent, Values: ints(vols, clickedOf)},
	}
}

// volumeChart is the dashboard's daily outcomes.
func volumeChart(days []queue.Volume) components.Chart {
	c := components.Chart{ID: "volume", Title: "Delivery outcomes per day", XLabel: "Day", YLabel: "Messages",
		Bars: outcomeBars(days), Empty: "Nothing sent in this range"}
	c.Labels, c.LongLabels = periodLabels(days, false)
	return c
}

// engagementChart is the dashboard's daily opens and clicks.
func engagementChart(days []queue.Volume) components.Chart {
	c := components.Chart{ID: "engagement", Title: "Messages opened and clicked per day (by people, first time)", XLabel: "Day", YLabel: "Messages",
		Lines: engagementLines(days), Trend: true, Empty: "No opens or clicks in this range"}
	c.Labels, c.LongLabels = periodLabels(days, false)
	return c
}

// timelineChart is a task's outcomes with its opens and clicks over them.
func timelineChart(r *tracking.TaskReport) components.Chart {
	unit := "Day"
	if r.Hourly {
		unit = "Hour"
	}
	c := components.Chart{ID: "timeline", Title: "Delivery outcomes, opens and clicks per " + unit, XLabel: unit, YLabel: "Messages",
		Bars: outcomeBars(r.Timeline), Lines: engagementLines(r.Timeline), Trend: true, Wide: true, Empty: "Nothing sent yet"}
	c.Labels, c.LongLabels = periodLabels(r.Timeline, r.Hourly)
	return c
}

// warningText explains a reputation warning and what to do.
func warningText(w queue.ReputationWarning) string {
	if w.Kind == queue.ReputationBounces {
		return "Bounce rate " + percent(w.Rate) + " (" + count(w.Rate.Part) + " of " + count(w.Rate.Whole) + " accepted) is at or above " +
			limitPercent(w.Limit) + ". Mailbox providers distrust senders who mail addresses that do not exist: remove bounced addresses and stop mailing old lists."
	}
	return "Complaint rate " + percent(w.Rate) + " (" + count(w.Rate.Part) + " of " + count(w.Rate.Whole) + " delivered) is at or above " +
		limitPercent(w.Limit) + ". Recipients are marking this mail as spam: send only to people who asked for it, and make unsubscribing easy."
}

// deliveredShare is a provider's share of what was delivered, as a value
// for a progress bar out of 1000.
func deliveredShare(part, whole int64) int {
	if whole == 0 {
		return 0
	}
	return int(1000 * part / whole)
}

// plural picks the word for n of something.
func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
