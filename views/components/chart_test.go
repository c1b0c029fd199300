package components

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestNiceScale(t *testing.T) {
	for most, want := range map[int][2]int{
		0: {4, 1}, 1: {1, 1}, 3: {3, 1}, 7: {8, 2}, 210: {300, 100}, 500: {600, 200},
		999: {1000, 250}, 1_000: {1000, 250}, 40_000: {40_000, 10_000}, 200_000: {200_000, 50_000}, 1_000_001: {1_500_000, 500_000},
	} {
		top, step := niceScale(most)
		if top != want[0] || step != want[1] || top < most || top/step > 5 {
			t.Errorf("niceScale(%d) = %d, %d; want %v", most, top, step, want)
		}
	}
}

func TestCompactCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 950: "950", 1_000: "1k", 2_500: "2.5k", 40_000: "40k", 1_250_000: "1.25M"} {
		if got := compactCount(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

func TestChartLayout(t *testing.T) {
	labels := make([]string, 30)
	sent, quota := make([]int, 30), make([]int, 30)
	for i := range labels {
		labels[i] = "d" + strconv.Itoa(i)
		sent[i], quota[i] = 0, NoValue
	}
	sent[27], sent[28], sent[29] = 100, 200, 50
	quota[27], quota[28], quota[29] = 100, 200, 400
	quota[28] = NoValue // a day without a quota breaks the line
	c := Chart{ID: "c", Labels: labels, Bars: []ChartSeries{{Name: "Sent", Tone: TonePrimary, Values: sent}}, Lines: []ChartSeries{{Name: "Quota", Tone: ToneAccent, Values: quota}}}
	l := c.layout()

	// 0 to 400 in steps of 100; the plot runs from y=14 to y=174.
	var ticks []string
	for _, tk := range l.YTicks {
		ticks = append(ticks, tk.Label+"@"+tk.Pos)
	}
	if got := strings.Join(ticks, " "); got != "0@174 100@134 200@94 300@54 400@14" {
		t.Errorf("y ticks %s", got)
	}
	// 30 columns get a label every 4th, counted back from the last.
	var xl []string
	for _, tk := range l.XTicks {
		xl = append(xl, tk.Label)
	}
	if got := strings.Join(xl, ","); got != "d1,d5,d9,d13,d17,d21,d25,d29" {
		t.Errorf("x labels %s", got)
	}
	// Bars only where something was sent, as tall as their value.
	var heights []string
	for _, col := range l.Columns {
		for _, b := range col.Bars {
			heights = append(heights, b.H)
		}
	}
	if got := strings.Join(heights, ","); got != "40,80,20" {
		t.Errorf("bar heights %s", got)
	}
	// Two pieces of step line: day 27 alone, then day 29.
	if len(l.Lines) != 1 || strings.Count(l.Lines[0].D, "M") != 2 || strings.Contains(l.Lines[0].D, "V") {
		t.Errorf("quota line %q", l.Lines[0].D)
	}
	if l.Columns[28].Title != "d28: Sent: 200" || l.Columns[29].Title != "d29: Sent: 50, Quota: 400" || l.Empty {
		t.Errorf("titles %q, %q", l.Columns[28].Title, l.Columns[29].Title)
	}
}

func TestChartStacksBars(t *testing.T) {
	c := Chart{ID: "s", Labels: []string{"a", "b"}, Bars: []ChartSeries{
		{Name: "Delivered", Tone: TonePrimary, Values: []int{30, 0}},
		{Name: "Bounced", Tone: ToneAccent, Values: []int{10, NoValue}},
	}}
	l := c.layout()
	// The scale reaches the stack's 40; the second bar sits on the first.
	if top := l.YTicks[len(l.YTicks)-1].Label; top != "40" {
		t.Errorf("scale top %s", top)
	}
	bars := l.Columns[0].Bars
	if len(bars) != 2 || bars[0].H != "120" || bars[1].H != "40" || bars[1].Y != "14" || bars[0].Y != "54" {
		t.Errorf("stack %+v", bars)
	}
	if len(l.Columns[1].Bars) != 0 || l.Columns[1].Title != "b: Delivered: 0" {
		t.Errorf("a column with nothing to stack: %+v", l.Columns[1])
	}
}

func TestChartRendersAxesLegendAndNumbers(t *testing.T) {
	c := Chart{ID: "w", Title: "Quota against sent", XLabel: "Day", YLabel: "Messages", Labels: []string{"1 Mar", "2 Mar"}, LongLabels: []string{"Sun 1 Mar", "Mon 2 Mar"},
		Bars: []ChartSeries{{Name: "Sent", Tone: TonePrimary, Values: []int{500, 1000}}}, Lines: []ChartSeries{{Name: "Daily quota", Tone: ToneAccent, Values: []int{500, NoValue}}}, Empty: "Nothing sent"}
	var buf bytes.Buffer
	if err := BarChart(c).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		`<svg class="chart-svg" viewBox="0 0 480 220" role="img" aria-labelledby="w-title">`, `<title id="w-title">Quota against sent</title>`,
		">Day</text>", ">Messages</text>", ">1k</text>", `class="chart-bar tone-primary"`, `class="chart-line tone-accent"`,
		`swatch-bar tone-primary" aria-hidden="true"></span>Sent</span>`, `swatch-line tone-accent" aria-hidden="true"></span>Daily quota</span>`,
		"<th scope=\"row\">Mon 2 Mar</th><td class=\"num\">1,000</td><td class=\"num\">—</td>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("chart lacks %s", want)
		}
	}
	if strings.Contains(html, "Nothing sent") || regexp.MustCompile(`style=`).MatchString(html) {
		t.Error("an empty-chart note on a chart with data, or an inline style the CSP forbids")
	}
}

func TestTrendChartJoinsColumnMiddles(t *testing.T) {
	c := Chart{ID: "e", Trend: true, Labels: []string{"a", "b", "c", "d"}, Lines: []ChartSeries{
		{Name: "Opened", Tone: ToneInfo, Values: []int{40, 20, NoValue, 0}},
	}}
	l := c.layout()
	// Columns are 102.5 wide from x=58: middles at 109.3, 211.8, …, 416.8;
	// 40 is the top (y=14), 0 the axis (y=174). A column without a value
	// breaks the line.
	if len(l.Lines) != 1 || l.Lines[0].D != "M109.3 14 L211.8 94 M416.8 174" {
		t.Fatalf("trend %+v", l.Lines)
	}
	if dots := l.Lines[0].Dots; len(dots) != 3 || dots[2] != (chartPoint{X: "416.8", Y: "174"}) {
		t.Errorf("dots %+v", dots)
	}
}
