package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tracking"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// report loads the task report the path names, its days in the user's zone.
func (h *Tasks) report(c echo.Context) (*tracking.TaskReport, error) {
	id, err := web.IDParam(c, "id")
	if err != nil {
		return nil, err
	}
	return h.reports.TaskReport(c.Request().Context(), id, web.CurrentUser(c).Location())
}

// Report shows what a task achieved: funnel, timeline, links, bounces.
func (h *Tasks) Report(c echo.Context) error {
	r, err := h.report(c)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.TaskReport(r))
}

// ReportCSV downloads the report as one table: a section column says what
// each row is (the total, a period of the timeline, a link, a bounce
// reason), the item column which one, and the counts follow.
func (h *Tasks) ReportCSV(c echo.Context) error {
	r, err := h.report(c)
	if err != nil {
		return err
	}
	w := web.CSVDownload(c, "task-"+strconv.FormatUint(r.Task.ID, 10)+"-report.csv")
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	counts := func(s queue.StatsRow) []string {
		return []string{n(s.Requested), n(s.Accepted), n(s.Delivered), n(s.Deferred), n(s.Bounced), n(s.Opened), n(s.Clicked), n(s.Unsubscribed), n(s.Complained)}
	}
	_ = w.Write([]string{"section", "item", "requested", "accepted", "delivered", "deferred", "bounced", "opened", "clicked", "unsubscribed", "complained"})
	_ = w.Write(append([]string{"total", web.CSVSafe(r.Task.Name)}, counts(r.Totals)...))
	section, layout := "day", time.DateOnly
	if r.Hourly {
		section, layout = "hour", "2006-01-02 15:04 MST"
	}
	for _, v := range r.Timeline {
		_ = w.Write(append([]string{section, v.Start.Format(layout)}, counts(v.StatsRow)...))
	}
	for _, l := range r.Links {
		_ = w.Write([]string{"link", web.CSVSafe(l.URL), "", "", "", "", "", "", n(l.Clicks), "", ""})
	}
	for _, b := range r.Bounces {
		_ = w.Write([]string{"bounce", web.CSVSafe(b.Reason), "", "", "", "", n(b.Count), "", "", "", ""})
	}
	w.Flush()
	return w.Error()
}
