package models

import (
	"context"
)

// Preflight is what a user confirms before a task starts: who will get it,
// who is skipped, what the template needs that the group lacks, and
// whether the sender can send.
type Preflight struct {
	Sender     *SenderAddress
	Template   *Template
	Group      *RecipientGroup
	Recipients int64
	Suppressed int64    // on the suppression list: skipped
	Missing    []string // template variables no recipient carries
	// SenderProblem explains why the sender's mail may not arrive (DNS
	// drift); empty when all is well.
	SenderProblem string
	// MessageBytes estimates one rendered message with the sample data.
	MessageBytes int
}

// WillSend is how many messages the first run will send.
func (p *Preflight) WillSend() int64 { return p.Recipients - p.Suppressed }

// ValidateTask checks a task as CreateTask would, without storing it.
func (s *Store) ValidateTask(ctx context.Context, in TaskInput) error {
	verr := &ValidationError{}
	in.validate(s.now(), verr)
	if err := s.checkTaskParts(ctx, in, verr); err != nil {
		return err
	}
	return verr.OrNil()
}

// PreflightTask gathers the numbers of a valid task's pre-flight check.
func (s *Store) PreflightTask(ctx context.Context, in TaskInput) (*Preflight, error) {
	p := &Preflight{}
	var err error
	if p.Sender, err = s.GetSender(ctx, in.SenderID); err != nil {
		return nil, err
	}
	if p.Template, err = s.GetTemplate(ctx, in.TemplateID); err != nil {
		return nil, err
	}
	if p.Group, err = s.GetGroup(ctx, in.GroupID); err != nil {
		return nil, err
	}
	p.Recipients = p.Group.RecipientCount
	err = s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM recipients r WHERE r.group_id = ? AND "+s.suppressedRecipientSQL(),
		in.GroupID, s.now(), p.Sender.Domain.Name).Scan(&p.Suppressed).Error
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, v := range p.Group.Variables() {
		have[v] = true
	}
	for _, v := range p.Template.Variables() {
		if !have[v] && v != "unsubscribe_url" {
			p.Missing = append(p.Missing, v)
		}
	}
	if p.Sender.Domain.Drift {
		p.SenderProblem = p.Sender.Domain.DriftReason
	}
	sample, _ := ParseVariables(p.Template.SampleData)
	p.MessageBytes = RenderedSize(sample, p.Template.Subject, p.Template.HTML, p.Template.Text)
	return p, nil
}
