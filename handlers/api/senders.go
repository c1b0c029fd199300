package api

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
)

// Sender addresses: CreateEmailAddress, ListEmailAddress,
// DeleteEmailAddress, UpdateEmailSmtpPassWord, and their unsubscribe
// settings: Create/List/Update/DeleteAddressUnsubscribeConfig.

type createEmailAddressRequest struct {
	EmailAddress    string `json:"EmailAddress"`
	EmailSenderName string `json:"EmailSenderName"`
}

func (a *API) createEmailAddress(ctx context.Context, _ *Caller, req *createEmailAddressRequest) (*empty, error) {
	if strings.TrimSpace(req.EmailAddress) == "" {
		return nil, errf(CodeEmailAddressIsNULL, "EmailAddress is required.")
	}
	email, err := models.NormalizeEmail(req.EmailAddress)
	if err != nil {
		return nil, errf(CodeIllegalEmailAddress, "%s %s.", truncate(req.EmailAddress, 254), err.Error())
	}
	domain := email[strings.LastIndexByte(email, '@')+1:]
	d, err := a.store.GetDomainByName(ctx, domain)
	if errors.Is(err, models.ErrNotFound) {
		return nil, errf(CodeNotExistDomain, "%s is not a sending domain here: an admin must add and verify it first.", domain)
	}
	if err != nil {
		return nil, err
	}
	if !a.store.CanSend(d) {
		return nil, errf(CodeDomainNotVerified, "%s is not verified yet: publish its DNS records and verify it first.", domain)
	}
	if _, err := a.store.GetSenderByEmail(ctx, email); err == nil {
		return nil, errf(CodeRepeatEmailAddress, "%s is already a sender address.", email)
	}
	if _, err := a.store.CreateSender(ctx, email, req.EmailSenderName); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type emailSender struct {
	EmailAddress     string `json:"EmailAddress"`
	EmailSenderName  string `json:"EmailSenderName"`
	CreatedTimestamp uint64 `json:"CreatedTimestamp"`
	SmtpPwdType      uint64 `json:"SmtpPwdType"`
}

type listEmailAddressResponse struct {
	EmailSenders []emailSender `json:"EmailSenders"`
}

func (a *API) listEmailAddress(ctx context.Context, _ *Caller, _ *struct{}) (*listEmailAddressResponse, error) {
	senders, err := a.store.ListSenders(ctx)
	if err != nil {
		return nil, err
	}
	out := &listEmailAddressResponse{EmailSenders: []emailSender{}}
	for _, s := range senders {
		e := emailSender{EmailAddress: s.Email, EmailSenderName: s.DisplayName, CreatedTimestamp: uint64(max(s.CreatedAt.Unix(), 0))}
		if s.HasSMTPPassword() {
			e.SmtpPwdType = 1
		}
		out.EmailSenders = append(out.EmailSenders, e)
	}
	return out, nil
}

type emailAddressRequest struct {
	EmailAddress string `json:"EmailAddress"`
}

// senderByAddress finds a sender address given as "addr" or "Name <addr>".
func (a *API) senderByAddress(ctx context.Context, field, raw string) (*identity.SenderAddress, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errf(CodeEmailAddressIsNULL, "%s is required.", field)
	}
	addr, _, err := parseAddress(raw)
	if err != nil {
		return nil, errf(CodeIllegalEmailAddress, "%s %q is not an email address.", field, truncate(raw, 254))
	}
	s, err := a.store.GetSenderByEmail(ctx, addr)
	if errors.Is(err, models.ErrNotFound) {
		return nil, errf(CodeNoSuchSender, "%s is not a sender address here: create it first (CreateEmailAddress).", addr)
	}
	return s, err
}

func (a *API) deleteEmailAddress(ctx context.Context, _ *Caller, req *emailAddressRequest) (*empty, error) {
	s, err := a.senderByAddress(ctx, "EmailAddress", req.EmailAddress)
	if err != nil {
		return nil, err
	}
	if err := a.store.DeleteSender(ctx, s.ID); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type updateEmailSmtpPasswordRequest struct {
	Password     string `json:"Password"`
	EmailAddress string `json:"EmailAddress"`
}

func (a *API) updateEmailSmtpPassword(ctx context.Context, _ *Caller, req *updateEmailSmtpPasswordRequest) (*empty, error) {
	s, err := a.senderByAddress(ctx, "EmailAddress", req.EmailAddress)
	if err != nil {
		return nil, err
	}
	if req.Password == "" {
		return nil, errf(CodeMissingParameter, "Password is required.")
	}
	if err := a.store.SetSMTPPassword(ctx, s.ID, req.Password); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// Unsubscribe settings of sender addresses.

type addressUnsubscribeConfigRequest struct {
	Address           string  `json:"Address"`
	UnsubscribeConfig string  `json:"UnsubscribeConfig"`
	Status            *uint64 `json:"Status"`
}

func (a *API) writeUnsubscribeConfig(ctx context.Context, req *addressUnsubscribeConfigRequest, mode identity.UnsubscribeConfigWrite) (*empty, error) {
	s, err := a.senderByAddress(ctx, "Address", req.Address)
	if err != nil {
		return nil, err
	}
	code := strings.TrimSpace(req.UnsubscribeConfig)
	if code == "" {
		return nil, errf(CodeMissingParameter, "UnsubscribeConfig is required: 0 for no link, or a language 1 to 10 (2 is English).")
	}
	if !identity.ValidUnsubscribeCode(code) {
		return nil, errf(CodeInvalidParameterValue, "UnsubscribeConfig %q is not 0 or a language 1 to 10.", truncate(code, 10))
	}
	enabled := true
	if req.Status != nil {
		switch *req.Status {
		case 0:
			enabled = false
		case 1:
		default:
			return nil, errf(CodeInvalidParameterValue, "Status is 0 (off) or 1 (on).")
		}
	}
	err = a.store.SetUnsubscribeConfig(ctx, s.ID, code, enabled, mode)
	switch {
	case errors.Is(err, identity.ErrUnsubscribeConfigExists):
		return nil, errf(CodeRepeatCreation, "%s already has an unsubscribe setting: update it (UpdateAddressUnsubscribeConfig).", s.Email)
	case mode == identity.UnsubscribeConfigUpdate && errors.Is(err, models.ErrNotFound):
		return nil, errf(CodeResourceNotFound, "%s has no unsubscribe setting: create it (CreateAddressUnsubscribeConfig).", s.Email)
	case err != nil:
		return nil, err
	}
	return &empty{}, nil
}

func (a *API) createAddressUnsubscribeConfig(ctx context.Context, _ *Caller, req *addressUnsubscribeConfigRequest) (*empty, error) {
	return a.writeUnsubscribeConfig(ctx, req, identity.UnsubscribeConfigCreate)
}

func (a *API) updateAddressUnsubscribeConfig(ctx context.Context, _ *Caller, req *addressUnsubscribeConfigRequest) (*empty, error) {
	return a.writeUnsubscribeConfig(ctx, req, identity.UnsubscribeConfigUpdate)
}

type deleteAddressUnsubscribeConfigRequest struct {
	Address string `json:"Address"`
}

func (a *API) deleteAddressUnsubscribeConfig(ctx context.Context, _ *Caller, req *deleteAddressUnsubscribeConfigRequest) (*empty, error) {
	s, err := a.senderByAddress(ctx, "Address", req.Address)
	if err != nil {
		return nil, err
	}
	if err := a.store.DeleteUnsubscribeConfig(ctx, s.ID); errors.Is(err, models.ErrNotFound) {
		return nil, errf(CodeResourceNotFound, "%s has no unsubscribe setting.", s.Email)
	} else if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type listAddressUnsubscribeConfigRequest struct {
	Offset uint64 `json:"Offset"`
	Limit  string `json:"Limit"` // a string in this action, as the SDK has it
}

type addressUnsubscribeConfigData struct {
	Address           string `json:"Address"`
	UnsubscribeConfig string `json:"UnsubscribeConfig"`
	Status            uint64 `json:"Status"`
}

type listAddressUnsubscribeConfigResponse struct {
	AddressUnsubscribeConfigList []addressUnsubscribeConfigData `json:"AddressUnsubscribeConfigList"`
	Total                        uint64                         `json:"Total"`
}

func (a *API) listAddressUnsubscribeConfig(ctx context.Context, _ *Caller, req *listAddressUnsubscribeConfigRequest) (*listAddressUnsubscribeConfigResponse, error) {
	var limit *uint64
	if s := strings.TrimSpace(req.Limit); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, errf(CodeInvalidParameterValue, "Limit must be a number, such as \"20\".")
		}
		limit = &n
	}
	n, err := pageLimit(limit, 100)
	if err != nil {
		return nil, err
	}
	senders, total, err := a.store.ListUnsubscribeConfigs(ctx, int(min(req.Offset, 1<<31)), int(n))
	if err != nil {
		return nil, err
	}
	out := &listAddressUnsubscribeConfigResponse{AddressUnsubscribeConfigList: []addressUnsubscribeConfigData{}, Total: uint64(total)}
	for _, s := range senders {
		d := addressUnsubscribeConfigData{Address: s.Email, UnsubscribeConfig: s.UnsubscribeConfig}
		if s.UnsubscribeEnabled {
			d.Status = 1
		}
		out.AddressUnsubscribeConfigList = append(out.AddressUnsubscribeConfigList, d)
	}
	return out, nil
}
