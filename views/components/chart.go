package components

import (
	"iter"
	"math"
	"strconv"
	"strings"
)

// Chart is counts per column (usually days), drawn on the server as SVG:
// bar series stacked from the bottom, and lines over them: step lines that
// hold a level across each column (a daily quota, a threshold), or, in a
// Trend chart, lines joining a point in the middle of each column. The
// legend and a table of the numbers come with it, so nothing depends on
// reading pixels.
type Chart struct {
	ID     string   // unique on the page: names the figure and its parts
	Title  string   // what it shows; the accessible name and the table caption
	XLabel string   // the columns, e.g. "Day"
	YLabel string   // the counts, e.g. "Messages"
	Labels []string // one per column, short: "3 Mar"
	// LongLabels name the columns in the table and tooltips ("Tue 3 Mar");
	// Labels serve when empty.
	LongLabels []string
	Bars       []ChartSeries
	Lines      []ChartSeries
	// Trend draws the lines from column to column, with a dot on each
	// value, instead of as steps.
	Trend bool
	// Wide is for a chart across a whole page: its drawing is twice as
	// wide, so its text keeps the size of a half-page chart's, and it names
	// twice as many columns.
	Wide bool
	// Empty is said across the plot when no series has a value above 0.
	Empty string
}

// ChartSeries is one named series with a value per column. NoValue leaves
// a column out: no bar there, a break in a line.
type ChartSeries struct {
	Name   string
	Tone   ChartTone
	Values []int
}

// NoValue marks a column without a value.
const NoValue = -1

// ChartTone is a series colour, a class in app.css.
type ChartTone string

const (
	TonePrimary ChartTone = "primary" // teal: the main measure
	ToneAccent  ChartTone = "accent"  // amber: a limit or target, or a delay
	ToneBad     ChartTone = "bad"     // red: a failure
	ToneInfo    ChartTone = "info"    // blue: a second measure beside the main one
)

// The drawing's coordinate system (the SVG viewBox); text sizes in app.css
// are in the same units, so the chart scales as a whole.
const (
	chartWidth       = 480
	chartHeight      = 220
	chartLeft        = 58 // room for the y tick labels and the y axis label
	chartRight       = 12
	chartTop         = 14
	chartBottom      = 46 // room for the x tick labels and the x axis label
	chartXLabelsMost = 8
	chartYTicks      = 4
)

type chartTick struct {
	Pos   string // x or y in the viewBox
	Label string
}

type chartRect struct {
	X, Y, W, H string
	Tone       ChartTone
}

type chartColumn struct {
	X, W  string // the column's whole slot, for the hover target
	Title string // every series' value in this column
	Bars  []chartRect
}

type chartPath struct {
	D    string
	Tone ChartTone
	Dots []chartPoint // a Trend's values
}

type chartPoint struct{ X, Y string }

// chartLayout is a Chart worked out in viewBox coordinates.
type chartLayout struct {
	ViewBox                                  string
	PlotLeft, PlotRight, PlotTop, PlotBottom string
	PlotHeight                               string
	YTicks                                   []chartTick
	YTickX                                   string // where the y tick labels end
	XTicks                                   []chartTick
	XTickY                                   string // the baseline of the x tick labels
	Columns                                  []chartColumn
	Lines                                    []chartPath
	Empty                                    bool // nothing above 0 to draw
	YLabelX, YLabelY, XLabelX, XLabelY       string
	CenterX, CenterY                         string
}

func coord(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// niceScale picks the top of the y axis and its step: a round step (1, 2,
// 2.5 or 5 times a power of ten) giving about chartYTicks intervals.
func niceScale(most int) (top, step int) {
	if most <= 0 {
		return chartYTicks, 1
	}
	rough := float64(most) / chartYTicks
	pow := math.Pow(10, math.Floor(math.Log10(rough)))
	s := 10 * pow
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*pow >= rough {
			s = m * pow
			break
		}
	}
	step = max(1, int(math.Ceil(s)))
	return step * int(math.Ceil(float64(most)/float64(step))), step
}

// compactCount writes a count for an axis: 950, 2.5k, 40k, 1.2M.
func compactCount(n int) string {
	switch {
	case n >= 1_000_000:
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "M"
	case n >= 1_000:
		return strconv.FormatFloat(float64(n)/1e3, 'f', -1, 64) + "k"
	default:
		return strconv.Itoa(n)
	}
}

func (c Chart) longLabel(i int) string {
	if i < len(c.LongLabels) {
		return c.LongLabels[i]
	}
	return c.Labels[i]
}

// valueAt is a series' value in a column, NoValue when it has none.
func (s ChartSeries) valueAt(i int) int {
	if i < len(s.Values) && s.Values[i] >= 0 {
		return s.Values[i]
	}
	return NoValue
}

// tableValue is a series' value in a column as the table writes it.
func (s ChartSeries) tableValue(i int) string {
	if v := s.valueAt(i); v != NoValue {
		return FormatCount(v)
	}
	return "—"
}

// newestFirst yields the column indexes from the last to the first.
func (c Chart) newestFirst() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := len(c.Labels) - 1; i >= 0; i-- {
			if !yield(i) {
				return
			}
		}
	}
}

func (c Chart) series() []ChartSeries { return append(append([]ChartSeries{}, c.Bars...), c.Lines...) }

func (c Chart) layout() chartLayout {
	n := len(c.Labels)
	width, labelsMost := chartWidth, chartXLabelsMost
	if c.Wide {
		width, labelsMost = 2*chartWidth, 2*chartXLabelsMost
	}
	left, right := float64(chartLeft), float64(width-chartRight)
	top, bottom := float64(chartTop), float64(chartHeight-chartBottom)
	most := 0
	for i := range n {
		stack := 0
		for _, s := range c.Bars {
			stack += max(0, s.valueAt(i))
		}
		most = max(most, stack)
		for _, s := range c.Lines {
			most = max(most, s.valueAt(i))
		}
	}
	yTop, step := niceScale(most)
	y := func(v int) float64 { return bottom - (bottom-top)*float64(v)/float64(yTop) }
	l := chartLayout{
		ViewBox:  "0 0 " + coord(float64(width)) + " " + coord(chartHeight),
		PlotLeft: coord(left), PlotRight: coord(right), PlotTop: coord(top), PlotBottom: coord(bottom),
		PlotHeight: coord(bottom - top), YTickX: coord(left - 6), XTickY: coord(bottom + 16),
		Empty:   most == 0,
		YLabelX: coord(14), YLabelY: coord((top + bottom) / 2),
		XLabelX: coord((left + right) / 2), XLabelY: coord(chartHeight - 8),
		CenterX: coord((left + right) / 2), CenterY: coord((top + bottom) / 2),
	}
	for v := 0; v <= yTop; v += step {
		l.YTicks = append(l.YTicks, chartTick{Pos: coord(y(v)), Label: compactCount(v)})
	}
	if n == 0 {
		return l
	}
	slot := (right - left) / float64(n)
	// Label every k-th column, counted back from the last (today) so the
	// most recent column is always named.
	k := (n + labelsMost - 1) / labelsMost
	for i := range n {
		x0 := left + slot*float64(i)
		if (n-1-i)%k == 0 {
			l.XTicks = append(l.XTicks, chartTick{Pos: coord(x0 + slot/2), Label: c.Labels[i]})
		}
		col := chartColumn{X: coord(x0), W: coord(slot)}
		var parts []string
		base := 0
		for _, s := range c.Bars {
			v := s.valueAt(i)
			if v == NoValue {
				continue
			}
			parts = append(parts, s.Name+": "+FormatCount(v))
			if v > 0 {
				col.Bars = append(col.Bars, chartRect{X: coord(x0 + slot*0.15), W: coord(slot * 0.7), Y: coord(y(base + v)), H: coord(y(base) - y(base+v)), Tone: s.Tone})
			}
			base += v
		}
		for _, s := range c.Lines {
			if v := s.valueAt(i); v != NoValue {
				parts = append(parts, s.Name+": "+FormatCount(v))
			}
		}
		col.Title = c.longLabel(i)
		if len(parts) > 0 {
			col.Title += ": " + strings.Join(parts, ", ")
		}
		l.Columns = append(l.Columns, col)
	}
	for _, s := range c.Lines {
		var p chartPath
		if c.Trend {
			p = trendPath(s, n, func(i int) float64 { return left + slot*(float64(i)+0.5) }, y)
		} else {
			p = stepPath(s, n, func(i int) float64 { return left + slot*float64(i) }, y)
		}
		if p.D != "" {
			p.Tone = s.Tone
			l.Lines = append(l.Lines, p)
		}
	}
	return l
}

// stepPath holds each value level across its column, x(i) to x(i+1),
// stepping between neighbours and breaking where a column has no value.
func stepPath(s ChartSeries, n int, x func(int) float64, y func(int) float64) chartPath {
	var d strings.Builder
	drawing := false
	for i := range n {
		v := s.valueAt(i)
		if v == NoValue {
			drawing = false
			continue
		}
		yv := coord(y(v))
		if drawing {
			d.WriteString(" V" + yv) // the step from yesterday's level
		} else {
			d.WriteString(" M" + coord(x(i)) + " " + yv)
		}
		d.WriteString(" H" + coord(x(i+1)))
		drawing = true
	}
	return chartPath{D: strings.TrimSpace(d.String())}
}

// trendPath joins the values at x(i), a dot on each, breaking where a
// column has no value.
func trendPath(s ChartSeries, n int, x func(int) float64, y func(int) float64) chartPath {
	var (
		p       chartPath
		d       strings.Builder
		drawing bool
	)
	for i := range n {
		v := s.valueAt(i)
		if v == NoValue {
			drawing = false
			continue
		}
		pt := chartPoint{X: coord(x(i)), Y: coord(y(v))}
		if drawing {
			d.WriteString(" L")
		} else {
			d.WriteString(" M")
		}
		d.WriteString(pt.X + " " + pt.Y)
		p.Dots = append(p.Dots, pt)
		drawing = true
	}
	p.D = strings.TrimSpace(d.String())
	return p
}
