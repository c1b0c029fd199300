package components

import (
	"testing"
	"time"

	"github.com/sesame-email/sesame/models/queue"
)

func TestForecastWording(t *testing.T) {
	wednesday := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	day := func(offset, n int) queue.ForecastDay {
		return queue.ForecastDay{Date: wednesday.AddDate(0, 0, offset), Count: n}
	}
	for _, c := range []struct {
		f         queue.Forecast
		say, done string
	}{
		{queue.Forecast{Start: wednesday}, "Nothing to send.", "—"},
		{queue.Forecast{Unsent: 42_000, Start: wednesday, Days: []queue.ForecastDay{day(0, 17_000), day(1, 20_000), day(2, 5_000)}},
			"42,000 to send: 17,000 today, 20,000 tomorrow, 5,000 on Friday.", "Friday"},
		{queue.Forecast{Unsent: 900, Start: wednesday, Days: []queue.ForecastDay{day(1, 200), day(2, 200), day(3, 200), day(4, 200), day(12, 100)}},
			"900 to send: 200 tomorrow, 200 on Friday, the rest over 3 more days, the last 100 on Mon 16 Mar.", "Mon 16 Mar"},
		{queue.Forecast{Unsent: 10, Start: wednesday, Days: []queue.ForecastDay{day(300, 10)}}, "10 to send: 10 on Tue 29 Dec.", "Tue 29 Dec"},
		{queue.Forecast{Unsent: 10, Start: wednesday, Days: []queue.ForecastDay{day(310, 10)}}, "10 to send: 10 on Fri 8 Jan 2027.", "Fri 8 Jan 2027"},
		{queue.Forecast{Unsent: 500, Start: wednesday, Days: []queue.ForecastDay{day(0, 1)}, Later: 499}, "500 to send: 1 today; 499 would still wait a year from now.", "not within a year"},
		{queue.Forecast{Unsent: 500, Start: wednesday, Later: 500}, "500 to send, and no quota to send them within a year.", "not within a year"},
	} {
		if got := ForecastSummary(c.f); got != c.say {
			t.Errorf("summary %q, want %q", got, c.say)
		}
		if got := ForecastDone(c.f); got != c.done {
			t.Errorf("done %q, want %q", got, c.done)
		}
	}
	for _, c := range []struct {
		f    queue.Forecast
		want string
	}{
		{queue.Forecast{Start: wednesday}, "Nothing left to send."},
		{queue.Forecast{Unsent: 10, Start: wednesday, Days: []queue.ForecastDay{day(0, 10)}}, "The last message is expected today."},
		{queue.Forecast{Unsent: 10, Start: wednesday, Days: []queue.ForecastDay{day(0, 5), day(1, 5)}}, "The last message is expected tomorrow."},
		{queue.Forecast{Unsent: 10, Start: wednesday, Days: []queue.ForecastDay{day(0, 5), day(12, 5)}}, "The last message is expected on Mon 16 Mar."},
		{queue.Forecast{Unsent: 10, Start: wednesday, Days: []queue.ForecastDay{day(0, 5)}, Later: 5}, "The quota leaves some unsent a year from now."},
	} {
		if got := LastMessageExpected(c.f); got != c.want {
			t.Errorf("last message %q, want %q", got, c.want)
		}
	}
}

func TestWarmupChart(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c := WarmupChart("x", "example.test", []queue.WarmupDayUsage{
		{Date: start}, {Date: start.AddDate(0, 0, 1), Recorded: true, Quota: 500, Sent: 480},
	})
	if c.Labels[1] != "2 Mar" || c.LongLabels[0] != "Sun 1 Mar" || c.Bars[0].Values[1] != 480 || c.Lines[0].Values[0] != NoValue || c.Lines[0].Values[1] != 500 ||
		c.Empty != "Nothing sent in the last 2 days" {
		t.Errorf("%+v", c)
	}
}
