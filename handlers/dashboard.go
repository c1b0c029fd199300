package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// DashboardService is what the start page needs.
type DashboardService interface {
	DriftingDomains(ctx context.Context) ([]models.Domain, error)
}

// Dashboard serves the console's start page.
type Dashboard struct{ svc DashboardService }

// NewDashboard builds the start page handler.
func NewDashboard(svc DashboardService) *Dashboard { return &Dashboard{svc: svc} }

func (h *Dashboard) Show(c echo.Context) error {
	drifting, err := h.svc.DriftingDomains(c.Request().Context())
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.Dashboard(views.DashboardPage{Drifting: drifting}))
}

// placeholder serves an area whose page is not built yet.
func placeholder(title, text string) echo.HandlerFunc {
	return func(c echo.Context) error {
		return web.Render(c, http.StatusOK, views.Placeholder(title, text))
	}
}
