package tasks

import (
	"context"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// Preflight is what a user confirms before a task starts: who will get it,
// who is skipped, what the template needs that the group lacks, and
// whether the sender can send.
type Preflight struct {
	Sender     *identity.SenderAddress
	Template   *content.Template
	Group      *audience.RecipientGroup
	Recipients int64
	Suppressed int64 // on the suppression list: skipped
	// Missing are the template's variables no column of the group
	// matches, each with the closest column when one looks meant.
	Missing []models.VariableMatch
	// SenderProblem explains why the sender's mail may not arrive (DNS
	// drift); empty when all is well.
	SenderProblem string
	// MessageBytes estimates one rendered message with the sample data.
	MessageBytes int
	// Warmup says over which days the run's mail would go out were it
	// queued now, behind the domain's unsent bulk mail (WarmupAhead); nil
	// when warm-up lets it all go today. Once queued, the task page and IPs
	// & warm-up tell the same days: they split the same forecast.
	Warmup      *queue.Forecast
	WarmupAhead int
}

// WillSend is how many messages the first run will send.
func (p *Preflight) WillSend() int64 { return p.Recipients - p.Suppressed }

// ValidateTask checks a task as CreateTask would, without storing it.
func (s *Tasks) ValidateTask(ctx context.Context, in TaskInput) error {
	verr := &models.ValidationError{}
	in.validate(s.Now(), verr)
	if err := s.checkTaskParts(ctx, in, verr); err != nil {
		return err
	}
	return verr.OrNil()
}

// PreflightTask gathers the numbers of a valid task's pre-flight check.
func (s *Tasks) PreflightTask(ctx context.Context, in TaskInput) (*Preflight, error) {
	p := &Preflight{}
	var err error
	if p.Sender, err = s.senders.GetSender(ctx, in.SenderID); err != nil {
		return nil, err
	}
	if p.Template, err = s.templates.GetTemplate(ctx, in.TemplateID); err != nil {
		return nil, err
	}
	if p.Group, err = s.audience.GetGroup(ctx, in.GroupID); err != nil {
		return nil, err
	}
	p.Recipients = p.Group.RecipientCount
	err = s.Gorm.WithContext(ctx).Raw("SELECT COUNT(*) FROM recipients r WHERE r.group_id = @group AND "+audience.SuppressedSQL(s.Dialect(), "r.email"),
		map[string]any{"group": in.GroupID, "now": s.Now(), "sender_domain": p.Sender.Domain.Name}).Scan(&p.Suppressed).Error
	if err != nil {
		return nil, err
	}
	for _, m := range models.MatchVariables(p.Template.Variables(), p.Group.Variables()) {
		if m.Column == "" && m.Placeholder != models.UnsubscribeVariable {
			p.Missing = append(p.Missing, m)
		}
	}
	if p.Sender.Domain.Drift {
		p.SenderProblem = p.Sender.Domain.DriftReason
	}
	sample, _ := models.ParseVariables(p.Template.SampleData)
	p.MessageBytes = content.RenderedSize(sample, p.Template.Subject, p.Template.HTML, p.Template.Text)
	if p.Warmup, p.WarmupAhead, err = s.warmupForecast(ctx, p.Sender.DomainID, int(p.WillSend())); err != nil {
		return nil, err
	}
	return p, nil
}

// warmupForecast is when extra new messages would go out under the warm-up
// quotas of the domain and its IPs, behind the domain's unsent bulk
// messages, which it returns too; nil when they all go today.
func (s *Tasks) warmupForecast(ctx context.Context, domainID uint64, extra int) (*queue.Forecast, int, error) {
	overview, err := s.queue.WarmupOverview(ctx)
	if err != nil {
		return nil, 0, err
	}
	for i := range overview {
		if st := &overview[i]; st.Kind == queue.WarmupDomain && st.ID == domainID {
			if f := st.ForecastBehind(extra); f.WaitingForQuota() > 0 {
				return &f, st.Forecast.Unsent, nil
			}
			return nil, 0, nil
		}
	}
	return nil, 0, nil
}
