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
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// WarmupService is what the warm-up parts of the IPs & warm-up page need.
type WarmupService interface {
	WarmupOverview(ctx context.Context) ([]queue.WarmupStatus, error)
	ListWarmupPlans(ctx context.Context) ([]queue.WarmupPlan, error)
	SetWarmup(ctx context.Context, kind queue.WarmupSubjectKind, id uint64, ch queue.WarmupChange) error
	CreateWarmupPlan(ctx context.Context, in queue.NewWarmupPlan) (*queue.WarmupPlan, error)
	ThrottlesUntil(ctx context.Context, t time.Time) ([]queue.DestinationThrottle, error)
}

// warmupSubject finds the domain or IP a warm-up URL names, as the
// overview shows it.
func (h *IPs) warmupSubject(c echo.Context) (queue.WarmupStatus, error) {
	kind := queue.WarmupSubjectKind(c.Param("kind"))
	id, err := web.IDParam(c, "id")
	if err != nil {
		return queue.WarmupStatus{}, err
	}
	all, err := h.warmup.WarmupOverview(c.Request().Context())
	if err != nil {
		return queue.WarmupStatus{}, err
	}
	for _, st := range all {
		if st.Kind == kind && st.ID == id {
			return st, nil
		}
	}
	return queue.WarmupStatus{}, models.ErrNotFound
}

func (h *IPs) renderWarmupForm(c echo.Context, status int, f views.WarmupForm) error {
	plans, err := h.warmup.ListWarmupPlans(c.Request().Context())
	if err != nil {
		return err
	}
	f.Plans = plans
	return web.Render(c, status, views.WarmupEdit(f))
}

func (h *IPs) EditWarmup(c echo.Context) error {
	st, err := h.warmupSubject(c)
	if err != nil {
		return err
	}
	return h.renderWarmupForm(c, http.StatusOK, views.WarmupForm{Status: st, Plan: st.Plan})
}

func (h *IPs) SetWarmup(c echo.Context) error {
	st, err := h.warmupSubject(c)
	if err != nil {
		return err
	}
	ch := queue.WarmupChange{Plan: c.FormValue("plan"), Day: c.FormValue("day")}
	err = h.warmup.SetWarmup(c.Request().Context(), st.Kind, st.ID, ch)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.renderWarmupForm(c, http.StatusUnprocessableEntity, views.WarmupForm{Status: st, Plan: ch.Plan, Day: ch.Day, Errors: verr})
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/admin/ips", st.Label+": warm-up plan saved.")
}

func (h *IPs) CreatePlan(c echo.Context) error {
	ctx := c.Request().Context()
	in := queue.NewWarmupPlan{Name: c.FormValue("name"), Quotas: c.FormValue("quotas")}
	p, err := h.warmup.CreateWarmupPlan(ctx, in)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		page, perr := h.page(ctx, views.IPsPage{Pool: string(identity.PoolShared), Plan: views.PlanForm{Name: in.Name, Quotas: in.Quotas, Errors: verr}})
		if perr != nil {
			return perr
		}
		return web.Render(c, http.StatusUnprocessableEntity, views.IPs(page))
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/admin/ips#plans", "Plan "+p.Name+" created: choose it for a domain or IP with Change.")
}
