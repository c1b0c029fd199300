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

// DashboardService is what the start page needs.
type DashboardService interface {
	DriftingDomains(ctx context.Context) ([]identity.Domain, error)
	HasSent(ctx context.Context) (bool, error)
	Dashboard(ctx context.Context, in tracking.DashboardInput, loc *time.Location, limits queue.ReputationLimits) (*tracking.DashboardReport, error)
	ListDomains(ctx context.Context) ([]identity.Domain, error)
	ListTasks(ctx context.Context, offset, limit int) ([]tasks.Task, int64, error)
	GetTask(ctx context.Context, id uint64) (*tasks.Task, error)
}

// Dashboard serves the console's start page.
type Dashboard struct {
	svc  DashboardService
	warn queue.ReputationLimits
}

// NewDashboard builds the start page handler; warn are the rates at which
// it warns about the sender's reputation.
func NewDashboard(svc DashboardService, warn queue.ReputationLimits) *Dashboard {
	return &Dashboard{svc: svc, warn: warn}
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
	if p.Drifting, err = h.svc.DriftingDomains(ctx); err != nil {
		return err
	}
	sent, err := h.svc.HasSent(ctx)
	if err != nil {
		return err
	}
	p.GettingStarted = !sent
	if p.Domains, err = h.svc.ListDomains(ctx); err != nil {
		return err
	}
	if p.Tasks, _, err = h.svc.ListTasks(ctx, 0, dashboardTaskChoices); err != nil {
		return err
	}
	if id, perr := models.ParseID(in.Task); perr == nil && len(p.Tasks) == dashboardTaskChoices && p.Tasks[len(p.Tasks)-1].ID > id {
		t, err := h.svc.GetTask(ctx, id)
		switch {
		case err == nil:
			p.Tasks = append(p.Tasks, *t)
		case !errors.Is(err, models.ErrNotFound):
			return err
		}
	}
	p.Report, err = h.svc.Dashboard(ctx, in, web.CurrentUser(c).Location(), h.warn)
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
