package components

import (
	"strconv"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models/queue"
)

// WarmupChart is a domain's or IP's daily quota against what it sent, one
// column a day. Days it did not send have no quota on record: the quota
// line breaks there.
func WarmupChart(id, subject string, history []queue.WarmupDayUsage) Chart {
	c := Chart{
		ID: id, Title: "Daily quota against messages sent, " + subject, XLabel: "Day", YLabel: "Messages",
		Empty: "Nothing sent in the last " + strconv.Itoa(len(history)) + " days",
	}
	sent := ChartSeries{Name: "Sent", Tone: TonePrimary}
	quota := ChartSeries{Name: "Daily quota", Tone: ToneAccent}
	for _, h := range history {
		c.Labels = append(c.Labels, h.Date.Format("2 Jan"))
		c.LongLabels = append(c.LongLabels, h.Date.Format("Mon 2 Jan"))
		sent.Values = append(sent.Values, h.Sent)
		if h.Recorded {
			quota.Values = append(quota.Values, h.Quota)
		} else {
			quota.Values = append(quota.Values, NoValue)
		}
	}
	c.Bars, c.Lines = []ChartSeries{sent}, []ChartSeries{quota}
	return c
}

// forecastShownDays is how many days a forecast names one by one; a longer
// one names the first two and the last.
const forecastShownDays = 4

// ForecastSummary says when unsent messages go out, e.g. "42,000 to send:
// 17,000 today, 20,000 tomorrow, 5,000 on Friday".
func ForecastSummary(f queue.Forecast) string {
	if f.Unsent == 0 {
		return "Nothing to send."
	}
	say := func(d queue.ForecastDay) string { return FormatCount(d.Count) + " " + onDay(d.Date, f.Start) }
	var parts []string
	if len(f.Days) <= forecastShownDays {
		for _, d := range f.Days {
			parts = append(parts, say(d))
		}
	} else {
		last := f.Days[len(f.Days)-1]
		parts = append(parts, say(f.Days[0]), say(f.Days[1]),
			"the rest over "+strconv.Itoa(len(f.Days)-2)+" more days, the last "+say(last))
	}
	s := FormatCount(f.Unsent) + " to send: " + strings.Join(parts, ", ")
	if f.Later > 0 {
		if len(parts) == 0 {
			return FormatCount(f.Unsent) + " to send, and no quota to send them within a year."
		}
		s += "; " + FormatCount(f.Later) + " would still wait a year from now"
	}
	return s + "."
}

// ForecastDone says when the last unsent message goes out: "today",
// "tomorrow", "Friday", "Mon 16 Mar"; "—" when nothing is unsent.
func ForecastDone(f queue.Forecast) string {
	switch {
	case f.Unsent == 0:
		return "—"
	case f.Later > 0:
		return "not within a year"
	}
	return dayName(f.Last(), f.Start)
}

// LastMessageExpected says in a sentence when the last unsent message
// goes out: "The last message is expected on Fri 18 Dec."
func LastMessageExpected(f queue.Forecast) string {
	switch {
	case f.Unsent == 0:
		return "Nothing left to send."
	case f.Later > 0:
		return "The quota leaves some unsent a year from now."
	}
	return "The last message is expected " + onDay(f.Last(), f.Start) + "."
}

// onDay is a forecast day in a sentence: "today", "tomorrow", "on Friday",
// "on Mon 16 Mar".
func onDay(d, today time.Time) string {
	name := dayName(d, today)
	if name == "today" || name == "tomorrow" {
		return name
	}
	return "on " + name
}

// dayName names a calendar day relative to today: within the coming week
// by its weekday, later by its date (and year, when another).
func dayName(d, today time.Time) string {
	days := daysBetween(today, d)
	switch {
	case days == 0:
		return "today"
	case days == 1:
		return "tomorrow"
	case days > 1 && days < 7:
		return d.Format("Monday")
	case d.Year() != today.Year():
		return d.Format("Mon 2 Jan 2006")
	}
	return d.Format("Mon 2 Jan")
}

// daysBetween counts calendar days, whatever the clock changes between.
func daysBetween(from, to time.Time) int {
	civil := func(t time.Time) time.Time {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return int(civil(to).Sub(civil(from)).Hours() / 24)
}
