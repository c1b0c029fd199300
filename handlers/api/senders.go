package api

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
)

// Sender addresses: CreateEmailAddress, ListEmailAddress,
// DeleteEmailAddress, UpdateEmailSmtpPassWord, and their unsubscribe
// settings: Create/List/Update/DeleteAddressUnsubscribeConfig.

func (h *senderActions) createEmailAddress(ctx context.Context, _ *Caller, req *wire.CreateEmailAddressRequest) (*wire.Empty, error) {
	if strings.TrimSpace(req.EmailAddress) == "" {
		return nil, errf(wire.CodeEmailAddressIsNULL, "EmailAddress is required.")
	}
	email, err := models.NormalizeEmail(req.EmailAddress)
	if err != nil {
		return nil, errf(wire.CodeIllegalEmailAddress, "%s %s.", truncate(req.EmailAddress, 254), err.Error())
	}
	domain := models.DomainOf(email)
	d, err := h.domains.GetDomainByName(ctx, domain)
	if errors.Is(err, models.ErrNotFound) {
		return nil, errf(wire.CodeNotExistDomain, "%s is not a sending domain here: an admin must add and verify it first.", domain)
	}
	if err != nil {
		return nil, err
	}
	if !h.domains.CanSend(d) {
		return nil, errf(wire.CodeDomainNotVerified, "%s is not verified yet: publish its DNS records and verify it first.", domain)
	}
	if _, err := h.senders.GetSenderByEmail(ctx, email); err == nil {
		return nil, errf(wire.CodeRepeatEmailAddress, "%s is already a sender address.", email)
	}
	if _, err := h.senders.CreateSender(ctx, email, req.EmailSenderName); err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

func (h *senderActions) listEmailAddress(ctx context.Context, _ *Caller, _ *struct{}) (*wire.ListEmailAddressResponse, error) {
	senders, err := h.senders.ListSenders(ctx)
	if err != nil {
		return nil, err
	}
	out := &wire.ListEmailAddressResponse{EmailSenders: []wire.EmailSender{}}
	for _, s := range senders {
		e := wire.EmailSender{EmailAddress: s.Email, EmailSenderName: s.DisplayName, CreatedTimestamp: uint64(max(s.CreatedAt.Unix(), 0))}
		if s.HasSMTPPassword() {
			e.SmtpPwdType = 1
		}
		out.EmailSenders = append(out.EmailSenders, e)
	}
	return out, nil
}

// senderByAddress finds a sender address given as "addr" or "Name <addr>".
func (h *senderActions) senderByAddress(ctx context.Context, field, raw string) (*identity.SenderAddress, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errf(wire.CodeEmailAddressIsNULL, "%s is required.", field)
	}
	addr, _, err := models.ParseMailbox(raw)
	if err != nil {
		return nil, errf(wire.CodeIllegalEmailAddress, "%s %q is not an email address.", field, truncate(raw, 254))
	}
	s, err := h.senders.GetSenderByEmail(ctx, addr)
	if errors.Is(err, models.ErrNotFound) {
		return nil, errf(wire.CodeNoSuchSender, "%s is not a sender address here: create it first (CreateEmailAddress).", addr)
	}
	return s, err
}

func (h *senderActions) deleteEmailAddress(ctx context.Context, _ *Caller, req *wire.EmailAddressRequest) (*wire.Empty, error) {
	s, err := h.senderByAddress(ctx, "EmailAddress", req.EmailAddress)
	if err != nil {
		return nil, err
	}
	if err := h.senders.DeleteSender(ctx, s.ID); err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

func (h *senderActions) updateEmailSmtpPassword(ctx context.Context, _ *Caller, req *wire.UpdateEmailSmtpPasswordRequest) (*wire.Empty, error) {
	s, err := h.senderByAddress(ctx, "EmailAddress", req.EmailAddress)
	if err != nil {
		return nil, err
	}
	if req.Password == "" {
		return nil, errf(wire.CodeMissingParameter, "Password is required.")
	}
	if err := h.senders.SetSMTPPassword(ctx, s.ID, req.Password); err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

// Unsubscribe settings of sender addresses.

func (h *senderActions) writeUnsubscribeConfig(ctx context.Context, req *wire.AddressUnsubscribeConfigRequest, mode identity.UnsubscribeConfigWrite) (*wire.Empty, error) {
	s, err := h.senderByAddress(ctx, "Address", req.Address)
	if err != nil {
		return nil, err
	}
	code := strings.TrimSpace(req.UnsubscribeConfig)
	if code == "" {
		return nil, errf(wire.CodeMissingParameter, "UnsubscribeConfig is required: 0 for no link, or a language 1 to 10 (2 is English).")
	}
	if !identity.ValidUnsubscribeCode(code) {
		return nil, errf(wire.CodeInvalidParameterValue, "UnsubscribeConfig %q is not 0 or a language 1 to 10.", truncate(code, 10))
	}
	enabled := true
	if req.Status != nil {
		switch *req.Status {
		case 0:
			enabled = false
		case 1:
		default:
			return nil, errf(wire.CodeInvalidParameterValue, "Status is 0 (off) or 1 (on).")
		}
	}
	err = h.senders.SetUnsubscribeConfig(ctx, s.ID, code, enabled, mode)
	switch {
	case errors.Is(err, identity.ErrUnsubscribeConfigExists):
		return nil, errf(wire.CodeRepeatCreation, "%s already has an unsubscribe setting: update it (UpdateAddressUnsubscribeConfig).", s.Email)
	case mode == identity.UnsubscribeConfigUpdate && errors.Is(err, models.ErrNotFound):
		return nil, errf(wire.CodeResourceNotFound, "%s has no unsubscribe setting: create it (CreateAddressUnsubscribeConfig).", s.Email)
	case err != nil:
		return nil, err
	}
	return &wire.Empty{}, nil
}

func (h *senderActions) createAddressUnsubscribeConfig(ctx context.Context, _ *Caller, req *wire.AddressUnsubscribeConfigRequest) (*wire.Empty, error) {
	return h.writeUnsubscribeConfig(ctx, req, identity.UnsubscribeConfigCreate)
}

func (h *senderActions) updateAddressUnsubscribeConfig(ctx context.Context, _ *Caller, req *wire.AddressUnsubscribeConfigRequest) (*wire.Empty, error) {
	return h.writeUnsubscribeConfig(ctx, req, identity.UnsubscribeConfigUpdate)
}

func (h *senderActions) deleteAddressUnsubscribeConfig(ctx context.Context, _ *Caller, req *wire.DeleteAddressUnsubscribeConfigRequest) (*wire.Empty, error) {
	s, err := h.senderByAddress(ctx, "Address", req.Address)
	if err != nil {
		return nil, err
	}
	if err := h.senders.DeleteUnsubscribeConfig(ctx, s.ID); errors.Is(err, models.ErrNotFound) {
		return nil, errf(wire.CodeResourceNotFound, "%s has no unsubscribe setting.", s.Email)
	} else if err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

func (h *senderActions) listAddressUnsubscribeConfig(ctx context.Context, _ *Caller, req *wire.ListAddressUnsubscribeConfigRequest) (*wire.ListAddressUnsubscribeConfigResponse, error) {
	var limit *uint64
	if s := strings.TrimSpace(req.Limit); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, errf(wire.CodeInvalidParameterValue, "Limit must be a number, such as \"20\".")
		}
		limit = &n
	}
	n, err := pageLimit(limit, 100)
	if err != nil {
		return nil, err
	}
	senders, total, err := h.senders.ListUnsubscribeConfigs(ctx, int(min(req.Offset, 1<<31)), int(n))
	if err != nil {
		return nil, err
	}
	out := &wire.ListAddressUnsubscribeConfigResponse{AddressUnsubscribeConfigList: []wire.AddressUnsubscribeConfigData{}, Total: uint64(total)}
	for _, s := range senders {
		d := wire.AddressUnsubscribeConfigData{Address: s.Email, UnsubscribeConfig: s.UnsubscribeConfig}
		if s.UnsubscribeEnabled {
			d.Status = 1
		}
		out.AddressUnsubscribeConfigList = append(out.AddressUnsubscribeConfigList, d)
	}
	return out, nil
}

// senderActions serves its resource's actions.
type senderActions struct {
	dates
	domains senderDomains
	senders senderSenders
}

// senderDomains is what senderActions need of the domains.
type senderDomains interface {
	CanSend(d *identity.Domain) bool
	GetDomainByName(ctx context.Context, name string) (*identity.Domain, error)
}

// senderSenders is what senderActions need of the senders.
type senderSenders interface {
	CreateSender(ctx context.Context, email, displayName string) (*identity.SenderAddress, error)
	DeleteSender(ctx context.Context, id uint64) error
	DeleteUnsubscribeConfig(ctx context.Context, senderID uint64) error
	GetSenderByEmail(ctx context.Context, email string) (*identity.SenderAddress, error)
	ListSenders(ctx context.Context) ([]identity.SenderAddress, error)
	ListUnsubscribeConfigs(ctx context.Context, offset, limit int) ([]identity.SenderAddress, int64, error)
	SetSMTPPassword(ctx context.Context, id uint64, password string) error
	SetUnsubscribeConfig(ctx context.Context, senderID uint64, code string, enabled bool, mode identity.UnsubscribeConfigWrite) error
}
