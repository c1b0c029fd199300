package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/views/components"
	"github.com/sesame-email/sesame/web"
)

// SenderService is what the sender address page needs.
type SenderService interface {
	ListSenders(ctx context.Context) ([]identity.SenderAddress, error)
	GetSender(ctx context.Context, id uint64) (*identity.SenderAddress, error)
	CreateSender(ctx context.Context, email, displayName string) (*identity.SenderAddress, error)
	DeleteSender(ctx context.Context, id uint64) error
	SetSMTPPassword(ctx context.Context, id uint64, password string) error
	SetUnsubscribeConfig(ctx context.Context, senderID uint64, code string, enabled bool, mode identity.UnsubscribeConfigWrite) error
}

// SendableDomains lists the domains new sender addresses may belong to.
type SendableDomains interface {
	ListSendableDomains(ctx context.Context) ([]identity.Domain, error)
}

// Senders serves sender addresses.
type Senders struct {
	svc     SenderService
	domains SendableDomains
}

// NewSenders builds the sender address handlers.
func NewSenders(svc SenderService, domains SendableDomains) *Senders {
	return &Senders{svc: svc, domains: domains}
}

func (h *Senders) page(ctx context.Context) (views.SendersPage, error) {
	var p views.SendersPage
	var err error
	if p.Senders, err = h.svc.ListSenders(ctx); err != nil {
		return p, err
	}
	p.Domains, err = h.domains.ListSendableDomains(ctx)
	return p, err
}

func (h *Senders) List(c echo.Context) error {
	p, err := h.page(c.Request().Context())
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.Senders(p))
}

func (h *Senders) Create(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := h.svc.CreateSender(ctx, c.FormValue("email"), c.FormValue("display_name"))
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		p, perr := h.page(ctx)
		if perr != nil {
			return perr
		}
		p.Email, p.Name, p.Errors = c.FormValue("email"), c.FormValue("display_name"), verr
		return web.Render(c, http.StatusUnprocessableEntity, views.Senders(p))
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/senders", a.Email+" can send now.")
}

func (h *Senders) SetPassword(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := web.IDParam(c, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.GetSender(ctx, id)
	if err != nil {
		return err
	}
	err = h.svc.SetSMTPPassword(ctx, id, c.FormValue("smtp_password"))
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		p, perr := h.page(ctx)
		if perr != nil {
			return perr
		}
		p.PasswordFor, p.PasswordErrors = id, verr
		return web.Render(c, http.StatusUnprocessableEntity, views.Senders(p))
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/senders", "SMTP password set for "+a.Email+".")
}

func (h *Senders) Delete(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := web.IDParam(c, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.GetSender(ctx, id)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteSender(ctx, id); err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/senders", a.Email+" deleted.")
}

// SetUnsubscribe sets the address's default unsubscribe link, the same
// setting as the API's address unsubscribe configuration.
func (h *Senders) SetUnsubscribe(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := web.IDParam(c, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.GetSender(ctx, id)
	if err != nil {
		return err
	}
	code := c.FormValue("unsubscribe_config")
	err = h.svc.SetUnsubscribeConfig(ctx, id, code, c.FormValue("unsubscribe_enabled") != "", identity.UnsubscribeConfigUpsert)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return web.FlashAndRedirect(c, components.FlashError, "/senders", verr.Error())
	}
	if err != nil {
		return err
	}
	if code == "" {
		return web.RedirectWithFlash(c, "/senders", "Each send from "+a.Email+" now chooses its unsubscribe link.")
	}
	return web.RedirectWithFlash(c, "/senders", "Unsubscribe link of "+a.Email+" saved.")
}
