// Package webhooks serves the console's Webhooks page (admins only): the
// endpoints, their secrets, delivery logs, replays and test events.
package webhooks

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/webhooks"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// Service is what the Webhooks page needs of the webhooks store.
type Service interface {
	ListEndpoints(ctx context.Context) ([]webhooks.Endpoint, error)
	GetEndpoint(ctx context.Context, id uint64) (*webhooks.Endpoint, error)
	CreateEndpoint(ctx context.Context, in webhooks.EndpointInput) (*webhooks.Endpoint, string, error)
	UpdateEndpoint(ctx context.Context, id uint64, in webhooks.EndpointInput) (*webhooks.Endpoint, error)
	SetEnabled(ctx context.Context, id uint64, enabled bool) error
	DeleteEndpoint(ctx context.Context, id uint64) error
	RotateSecret(ctx context.Context, id uint64) (string, error)
	DeliveryLog(ctx context.Context, f webhooks.DeliveryFilter) ([]webhooks.Delivery, map[uint64][]webhooks.Attempt, bool, error)
	Replay(ctx context.Context, endpointID, deliveryID uint64) error
	ReplayFailed(ctx context.Context, endpointID uint64, from, to time.Time) (int64, error)
}

// Tester posts a test event (the webhook poster).
type Tester interface {
	Test(ctx context.Context, ep *webhooks.Endpoint) (webhooks.Attempt, error)
}

// Handlers serve the Webhooks page.
type Handlers struct {
	svc    Service
	tester Tester
}

// New builds the Webhooks handlers.
func New(svc Service, tester Tester) *Handlers { return &Handlers{svc: svc, tester: tester} }

// Mount registers the page's routes, for admins.
func (h *Handlers) Mount(srv *web.Server) {
	get, post := http.MethodGet, http.MethodPost
	srv.Add(get, "/webhooks", h.List, web.AdminOnly)
	srv.Add(post, "/webhooks", h.Create, web.AdminOnly)
	srv.Add(get, "/webhooks/:id", h.Show, web.AdminOnly)
	srv.Add(post, "/webhooks/:id", h.Update, web.AdminOnly)
	srv.Add(post, "/webhooks/:id/enable", h.enable(true), web.AdminOnly)
	srv.Add(post, "/webhooks/:id/disable", h.enable(false), web.AdminOnly)
	srv.Add(post, "/webhooks/:id/rotate", h.Rotate, web.AdminOnly)
	srv.Add(post, "/webhooks/:id/delete", h.Delete, web.AdminOnly)
	srv.Add(post, "/webhooks/:id/test", h.Test, web.AdminOnly)
	srv.Add(post, "/webhooks/:id/replay", h.ReplayFailed, web.AdminOnly)
	srv.Add(post, "/webhooks/:id/deliveries/:delivery/replay", h.Replay, web.AdminOnly)
}

func input(c echo.Context) webhooks.EndpointInput {
	form, _ := c.FormParams()
	return webhooks.EndpointInput{URL: strings.TrimSpace(c.FormValue("url")), SenderEmail: strings.TrimSpace(c.FormValue("sender")),
		Events: strings.Join(form["events"], ","), CustomValue: c.FormValue("custom_value"), Secret: c.FormValue("secret")}
}

func (h *Handlers) list(c echo.Context, status int, p views.WebhooksPage) error {
	var err error
	if p.Endpoints, err = h.svc.ListEndpoints(c.Request().Context()); err != nil {
		return err
	}
	return web.Render(c, status, views.Webhooks(p))
}

func (h *Handlers) List(c echo.Context) error {
	return h.list(c, http.StatusOK, views.WebhooksPage{})
}

// Create adds an endpoint and shows its secret on the answer itself,
// never again.
func (h *Handlers) Create(c echo.Context) error {
	in := input(c)
	ep, secret, err := h.svc.CreateEndpoint(c.Request().Context(), in)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.list(c, http.StatusUnprocessableEntity, views.WebhooksPage{Form: in, Errors: verr})
	}
	if err != nil {
		return err
	}
	return h.list(c, http.StatusCreated, views.WebhooksPage{Created: ep, Secret: secret})
}

// endpoint loads the endpoint the path names.
func (h *Handlers) endpoint(c echo.Context) (*webhooks.Endpoint, error) {
	id, err := web.IDParam(c, "id")
	if err != nil {
		return nil, err
	}
	return h.svc.GetEndpoint(c.Request().Context(), id)
}

// Show is an endpoint: its settings and its delivery log, filtered by
// event, status and message.
func (h *Handlers) Show(c echo.Context) error {
	ep, err := h.endpoint(c)
	if err != nil {
		return err
	}
	return h.show(c, http.StatusOK, views.WebhookPage{Endpoint: ep, Form: formOf(ep)})
}

func formOf(ep *webhooks.Endpoint) webhooks.EndpointInput {
	return webhooks.EndpointInput{URL: ep.URL, SenderEmail: ep.SenderEmail, Events: ep.EventList, CustomValue: ep.CustomValue}
}

func (h *Handlers) show(c echo.Context, status int, p views.WebhookPage) error {
	p.Filter = views.DeliveryFilter{Event: c.QueryParam("event"), Status: c.QueryParam("status"), Message: strings.TrimSpace(c.QueryParam("message"))}
	f := webhooks.DeliveryFilter{EndpointID: p.Endpoint.ID, MessageUID: p.Filter.Message, Limit: 50}
	if e := webhooks.Event(p.Filter.Event); e.ID() > 0 {
		f.Event = e
	}
	switch s := webhooks.DeliveryStatus(p.Filter.Status); s {
	case webhooks.DeliveryDelivered, webhooks.DeliveryRetrying, webhooks.DeliveryFailed:
		f.Status = s
	}
	if before, err := strconv.ParseUint(c.QueryParam("before"), 10, 64); err == nil {
		f.Before = before
	}
	var err error
	if p.Deliveries, p.Attempts, p.More, err = h.svc.DeliveryLog(c.Request().Context(), f); err != nil {
		return err
	}
	return web.Render(c, status, views.Webhook(p))
}

func (h *Handlers) Update(c echo.Context) error {
	ep, err := h.endpoint(c)
	if err != nil {
		return err
	}
	in := input(c)
	_, err = h.svc.UpdateEndpoint(c.Request().Context(), ep.ID, in)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		in.SenderEmail = ep.SenderEmail
		return h.show(c, http.StatusUnprocessableEntity, views.WebhookPage{Endpoint: ep, Form: in, Errors: verr})
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, path(ep), "Endpoint saved.")
}

func path(ep *webhooks.Endpoint) string { return "/webhooks/" + strconv.FormatUint(ep.ID, 10) }

func (h *Handlers) enable(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		ep, err := h.endpoint(c)
		if err != nil {
			return err
		}
		if err := h.svc.SetEnabled(c.Request().Context(), ep.ID, on); err != nil {
			return err
		}
		if on {
			return web.RedirectWithFlash(c, path(ep), "Endpoint switched on: the events since it stopped are posted now.")
		}
		return web.RedirectWithFlash(c, path(ep), "Endpoint switched off: events wait until it is switched on again.")
	}
}

// Rotate gives the endpoint a new secret, shown on the answer only.
func (h *Handlers) Rotate(c echo.Context) error {
	ep, err := h.endpoint(c)
	if err != nil {
		return err
	}
	secret, err := h.svc.RotateSecret(c.Request().Context(), ep.ID)
	if err != nil {
		return err
	}
	if ep, err = h.svc.GetEndpoint(c.Request().Context(), ep.ID); err != nil {
		return err
	}
	return h.show(c, http.StatusOK, views.WebhookPage{Endpoint: ep, Form: formOf(ep), Secret: secret})
}

func (h *Handlers) Delete(c echo.Context) error {
	ep, err := h.endpoint(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteEndpoint(c.Request().Context(), ep.ID); err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/webhooks", "Endpoint "+ep.URL+" deleted with its delivery log.")
}

// Test posts a test event and says what came back.
func (h *Handlers) Test(c echo.Context) error {
	ep, err := h.endpoint(c)
	if err != nil {
		return err
	}
	a, err := h.tester.Test(c.Request().Context(), ep)
	if err != nil {
		return err
	}
	msg := "Test event answered " + strconv.Itoa(a.StatusCode) + " in " + strconv.Itoa(a.LatencyMS) + " ms."
	if a.Error != "" {
		msg = "Test event not delivered: " + a.Error
	}
	return web.RedirectWithFlash(c, path(ep), msg)
}

func (h *Handlers) Replay(c echo.Context) error {
	ep, err := h.endpoint(c)
	if err != nil {
		return err
	}
	id, err := web.IDParam(c, "delivery")
	if err != nil {
		return err
	}
	if err := h.svc.Replay(c.Request().Context(), ep.ID, id); err != nil {
		return err
	}
	return web.RedirectWithFlash(c, path(ep), "Event queued to be posted again, within a few seconds.")
}

// ReplayFailed posts again the failed events of the days from..to
// (inclusive, in the user's time zone).
func (h *Handlers) ReplayFailed(c echo.Context) error {
	ep, err := h.endpoint(c)
	if err != nil {
		return err
	}
	loc := web.CurrentUser(c).Location()
	from, ferr := time.ParseInLocation(time.DateOnly, c.FormValue("from"), loc)
	to, terr := time.ParseInLocation(time.DateOnly, c.FormValue("to"), loc)
	if ferr != nil || terr != nil || to.Before(from) {
		verr := models.Invalid("replay", "Choose the first and the last day, in that order.")
		return h.show(c, http.StatusUnprocessableEntity, views.WebhookPage{Endpoint: ep, Form: formOf(ep), Errors: verr,
			ReplayFrom: c.FormValue("from"), ReplayTo: c.FormValue("to")})
	}
	n, err := h.svc.ReplayFailed(c.Request().Context(), ep.ID, from, to.AddDate(0, 0, 1))
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, path(ep), strconv.FormatInt(n, 10)+" failed events queued to be posted again.")
}
