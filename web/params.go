package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
)

// IDParam reads a numeric path parameter; anything else is a missing page.
func IDParam(c echo.Context, name string) (uint64, error) {
	return models.ParseID(c.Param(name))
}

// QueryInt reads a non-negative number from the query string, 0 when
// absent or malformed.
func QueryInt(c echo.Context, name string) int {
	n, err := strconv.Atoi(c.QueryParam(name))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
