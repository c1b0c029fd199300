package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/models/tracking"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// DashboardService reads the start page's statistics.
type DashboardService interface {
	HasSent(ctx context.Context) (bool, error)
	Dashboard(ctx context.Context, in tracking.DashboardInput, loc *time.Location, limits queue.ReputationLimits) (*tracking.DashboardReport, error)
}

// DomainLister lists sending domains, and those whose DNS drifted.
type DomainLister interface {
	ListDomains(ctx context.Context) ([]identity.Domain, error)
	DriftingDomains(ctx context.Context) ([]identity.Domain, error)
}

// TaskLister lists tasks.
type TaskLister interface {
	ListTasks(ctx context.Context, offset, limit int) ([]tasks.Task, int64, error)
	GetTask(ctx context.Context, id uint64) (*tasks.Task, error)
}

// Dashboard serves the console's start page.
type Dashboard struct {
	stats   DashboardService
	domains DomainLister
	tasks   TaskLister
	warn    queue.ReputationLimits
}

// NewDashboard builds the start page handler; warn are the rates at which
// it warns about the sender's reputation.
func NewDashboard(stats DashboardService, domains DomainLister, tasks TaskLister, warn queue.ReputationLimits) *Dashboard {
	return &Dashboard{stats: stats, domains: domains, tasks: tasks, warn: warn}
}

// dashboardTaskChoices is how many of the latest tasks the task filter
// offers (and the chosen one, when older).
const dashboardTaskChoices = 100

func (h *Dashboard) Show(c echo.Context) error {
	ctx := c.Request().Context()
	in := tracking.DashboardInput{Days: c.QueryParam("days"), From: c.QueryParam("from"), To: c.QueryParam("to"),
		Domain: c.QueryParam("domain"), Provider: c.QueryParam("provider"), Task: c.QueryParam("task")}
	p := views.DashboardPage{Input: in, Warn: h.warn}
	var err error
	if p.Drifting, err = h.domains.DriftingDomains(ctx); err != nil {
		return err
	}
	sent, err := h.stats.HasSent(ctx)
	if err != nil {
		return err
	}
	p.GettingStarted = !sent
	if p.Domains, err = h.domains.ListDomains(ctx); err != nil {
		return err
	}
	if p.Tasks, _, err = h.tasks.ListTasks(ctx, 0, dashboardTaskChoices); err != nil {
		return err
	}
	if id, perr := models.ParseID(in.Task); perr == nil && len(p.Tasks) == dashboardTaskChoices && p.Tasks[len(p.Tasks)-1].ID > id {
		t, err := h.tasks.GetTask(ctx, id)
		switch {
		case err == nil:
			p.Tasks = append(p.Tasks, *t)
		case !errors.Is(err, models.ErrNotFound):
			return err
		}
	}
	p.Report, err = h.stats.Dashboard(ctx, in, web.CurrentUser(c).Location(), h.warn)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		p.Errors = verr
		return web.Render(c, http.StatusUnprocessableEntity, views.Dashboard(p))
	}
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.Dashboard(p))
}

// placeholder serves an area whose page is not built yet.
func placeholder(title, text string) echo.HandlerFunc {
	return func(c echo.Context) error {
		return web.Render(c, http.StatusOK, views.Placeholder(title, text))
	}
}
