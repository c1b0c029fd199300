package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// Dashboard serves the console's start page.
type Dashboard struct{}

func (Dashboard) Show(c echo.Context) error {
	return web.Render(c, http.StatusOK, views.Dashboard())
}

// placeholder serves an area whose page is not built yet.
func placeholder(title, text string) echo.HandlerFunc {
	return func(c echo.Context) error {
		return web.Render(c, http.StatusOK, views.Placeholder(title, text))
	}
}
