package api

import (
	"context"
	"errors"
	"strings"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
)

// Recipient lists ("receivers") are Sesame's recipient groups:
// CreateReceiver, ListReceivers, DeleteReceiver, CreateReceiverDetail,
// CreateReceiverDetailWithData, ListReceiverDetails.

func (h *receiverActions) createReceiver(ctx context.Context, _ *Caller, req *wire.CreateReceiverRequest) (*wire.CreateReceiverResponse, error) {
	name := strings.TrimSpace(req.ReceiversName)
	if name == "" {
		return nil, errf(wire.CodeReceiverNameIllegal, "ReceiversName is required.")
	}
	groups, _, err := h.audience.ListGroups(ctx, audience.GroupFilter{Keyword: name, Limit: 1 << 20})
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if g.Name == name {
			return nil, errf(wire.CodeRepeatReceiverName, "A recipient list named %q already exists (ReceiverId %d).", name, g.ID)
		}
	}
	g, err := h.audience.CreateGroup(ctx, audience.GroupInput{Name: name, Description: req.Desc})
	if err != nil {
		return nil, err
	}
	return &wire.CreateReceiverResponse{ReceiverId: g.ID}, nil
}

func (h *receiverActions) listReceivers(ctx context.Context, _ *Caller, req *wire.ListReceiversRequest) (*wire.ListReceiversResponse, error) {
	limit, err := pageLimit(req.Limit, 100)
	if err != nil {
		return nil, err
	}
	if req.Status > uint64(audience.GroupUploaded) {
		return nil, errf(wire.CodeInvalidParameterValue, "Status is 1 (waiting for upload), 2 (uploading) or 3 (uploaded).")
	}
	f := audience.GroupFilter{Keyword: req.KeyWord, Offset: int(min(req.Offset, 1<<31)), Limit: int(limit)}
	if req.Status != 0 {
		// The status is derived per group: filter over every group.
		f.Offset, f.Limit = 0, 1<<30
	}
	groups, total, err := h.audience.ListGroups(ctx, f)
	if err != nil {
		return nil, err
	}
	if req.Status != 0 {
		var kept []audience.RecipientGroup
		for _, g := range groups {
			if uint64(g.Status()) == req.Status {
				kept = append(kept, g)
			}
		}
		total = int64(len(kept))
		start := min(int(min(req.Offset, 1<<31)), len(kept))
		groups = kept[start:min(start+int(limit), len(kept))]
	}
	ids := make([]uint64, len(groups))
	for i, g := range groups {
		ids[i] = g.ID
	}
	invalid, err := h.audience.InvalidRecipientCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := &wire.ListReceiversResponse{TotalCount: uint64(total), Data: []wire.ReceiverData{}}
	for _, g := range groups {
		out.Data = append(out.Data, wire.ReceiverData{ReceiverId: g.ID, ReceiversName: g.Name, Count: uint64(max(g.RecipientCount, 0)),
			Desc: g.Description, ReceiversStatus: uint64(g.Status()), CreateTime: h.formatTime(g.CreatedAt),
			InvalidCount: uint64(max(invalid[g.ID], 0))})
	}
	return out, nil
}

// receiver loads a group for a change: it must exist and not be importing.
func (h *receiverActions) receiver(ctx context.Context, id uint64) (*audience.RecipientGroup, error) {
	if id == 0 {
		return nil, errf(wire.CodeReceiverIDNecessary, "ReceiverId is required.")
	}
	g, err := h.audience.GetGroup(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, errf(wire.CodeReceiverNotExist, "There is no recipient list %d.", id)
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

func (h *receiverActions) deleteReceiver(ctx context.Context, _ *Caller, req *wire.ReceiverIDRequest) (*wire.Empty, error) {
	g, err := h.receiver(ctx, req.ReceiverId)
	if err != nil {
		return nil, err
	}
	if err := h.audience.DeleteGroup(ctx, g.ID); err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

// maxDetailsPerRequest caps the addresses of one call.
const maxDetailsPerRequest = 50_000

func (h *receiverActions) addDetails(ctx context.Context, c *Caller, action string, groupID uint64, in []audience.RecipientInput) (*wire.CreateReceiverDetailResponse, error) {
	g, err := h.receiver(ctx, groupID)
	if err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, errf(wire.CodeEmailsNecessary, "Give at least one address.")
	}
	if len(in) > maxDetailsPerRequest {
		return nil, errf(wire.CodeReceiverDetailRequestMax, "%d addresses in one request; at most %d are allowed.", len(in), maxDetailsPerRequest)
	}
	if g.Importing {
		return nil, errf(wire.CodeReceiverIsOperating, "Recipient list %d is importing a file; try again when it is done.", g.ID)
	}
	uid := c.User.ID
	rep, err := h.audience.UploadRecipients(ctx, g.ID, in, "API "+action, &uid)
	if err != nil {
		return nil, err
	}
	return &wire.CreateReceiverDetailResponse{
		TotalCount:      uint64(rep.Total),
		ValidCount:      uint64(rep.Inserted + rep.Updated),
		TooLongCount:    uint64(rep.TooLong),
		EmptyEmailCount: uint64(rep.Empty),
		RepeatCount:     uint64(rep.Duplicates + rep.Unchanged),
	}, nil
}

func (h *receiverActions) createReceiverDetail(ctx context.Context, c *Caller, req *wire.CreateReceiverDetailRequest) (*wire.CreateReceiverDetailResponse, error) {
	in := make([]audience.RecipientInput, len(req.Emails))
	for i, e := range req.Emails {
		in[i] = audience.RecipientInput{Email: e}
	}
	return h.addDetails(ctx, c, "CreateReceiverDetail", req.ReceiverId, in)
}

func (h *receiverActions) createReceiverDetailWithData(ctx context.Context, c *Caller, req *wire.CreateReceiverDetailWithDataRequest) (*wire.CreateReceiverDetailResponse, error) {
	in := make([]audience.RecipientInput, len(req.Datas))
	// A malformed TemplateData refuses the request, as Tencent does,
	// rather than storing a recipient its sends could not fill in.
	for i, d := range req.Datas {
		if len(d.TemplateData) > maxTemplateData {
			return nil, errf(wire.CodeTemplateDataLenLimit, "Datas[%d].TemplateData is %d bytes; at most %d are allowed.", i, len(d.TemplateData), maxTemplateData)
		}
		vars, err := models.ParseVariables(d.TemplateData)
		if err != nil {
			return nil, errf(wire.CodeTemplateDataError, "Datas[%d].TemplateData: %s.", i, err.Error())
		}
		in[i] = audience.RecipientInput{Email: d.Email, Variables: vars}
	}
	return h.addDetails(ctx, c, "CreateReceiverDetailWithData", req.ReceiverId, in)
}

// Tencent's ReceiverDetail Status.
const (
	detailValid   = 1
	detailInvalid = 2
)

func (h *receiverActions) listReceiverDetails(ctx context.Context, _ *Caller, req *wire.ListReceiverDetailsRequest) (*wire.ListReceiverDetailsResponse, error) {
	g, err := h.receiver(ctx, req.ReceiverId)
	if err != nil {
		return nil, err
	}
	limit, err := pageLimit(req.Limit, 100)
	if err != nil {
		return nil, err
	}
	q := audience.RecipientDetailQuery{Contains: req.Email, Offset: int(min(req.Offset, 1<<31)), Limit: int(limit)}
	if len(strings.TrimSpace(req.Email)) > 254 {
		return nil, errf(wire.CodeInvalidParameterValue, "Email is at most 254 characters.")
	}
	if s := strings.TrimSpace(req.CreateTimeBegin); s != "" {
		t, ok := h.parseTime(s)
		if !ok {
			return nil, errf(wire.CodeWrongDate, "CreateTimeBegin must be YYYY-MM-DD HH:MM:SS, YYYY-MM-DD or RFC 3339.")
		}
		q.From = t
	}
	if s := strings.TrimSpace(req.CreateTimeEnd); s != "" {
		t, ok := h.parseTime(s)
		if !ok {
			return nil, errf(wire.CodeWrongDate, "CreateTimeEnd must be YYYY-MM-DD HH:MM:SS, YYYY-MM-DD or RFC 3339.")
		}
		if len(s) == len(dateLayout) {
			t = t.AddDate(0, 0, 1) // a day given as the end includes that day
		}
		q.To = t
	}
	switch req.Status {
	case 0:
	case detailValid, detailInvalid:
		valid := req.Status == detailValid
		q.Valid = &valid
	default:
		return nil, errf(wire.CodeInvalidParameterValue, "Status is 1 (valid) or 2 (invalid).")
	}
	page, err := h.audience.ListRecipientDetails(ctx, g.ID, q)
	if err != nil {
		return nil, err
	}
	out := &wire.ListReceiverDetailsResponse{TotalCount: uint64(page.Valid + page.Invalid), Data: []wire.ReceiverDetail{},
		ValidCount: uint64(page.Valid), InvalidCount: uint64(page.Invalid)}
	for _, d := range page.Details {
		r := wire.ReceiverDetail{Email: d.Email, CreateTime: h.formatTime(d.CreatedAt), Status: detailValid, EmailId: d.ID}
		if d.Valid {
			if d.Variables != "{}" {
				r.TemplateData = d.Variables
			}
		} else {
			r.Status, r.Reason = detailInvalid, invalidReason(d.Reason)
		}
		out.Data = append(out.Data, r)
	}
	return out, nil
}

func invalidReason(p audience.RowProblem) string {
	switch p {
	case audience.ProblemEmpty:
		return "The address is empty."
	case audience.ProblemTooLong:
		return "The address or its data is too long."
	case audience.ProblemBadData:
		return "TemplateData is not a JSON object of text values with valid variable names."
	case audience.ProblemBadAddress:
		return "Not a valid email address."
	default:
		return string(p)
	}
}

// receiverActions serves its resource's actions.
type receiverActions struct {
	dates
	audience receiverAudience
}

// receiverAudience is what receiverActions need of the audience.
type receiverAudience interface {
	CreateGroup(ctx context.Context, in audience.GroupInput) (*audience.RecipientGroup, error)
	DeleteGroup(ctx context.Context, id uint64) error
	GetGroup(ctx context.Context, id uint64) (*audience.RecipientGroup, error)
	InvalidRecipientCounts(ctx context.Context, groupIDs []uint64) (map[uint64]int64, error)
	ListGroups(ctx context.Context, f audience.GroupFilter) ([]audience.RecipientGroup, int64, error)
	ListRecipientDetails(ctx context.Context, groupID uint64, q audience.RecipientDetailQuery) (*audience.RecipientDetailPage, error)
	UploadRecipients(ctx context.Context, groupID uint64, in []audience.RecipientInput, source string, createdBy *uint64) (*audience.AddReport, error)
}
