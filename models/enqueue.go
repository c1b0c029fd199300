package models

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"
)

// Addressee is one recipient of a send request with its template variables.
type Addressee struct {
	Email     string
	Variables map[string]string
}

// EnqueueRequest is a send request: one content, many recipients.
type EnqueueRequest struct {
	Sender        *SenderAddress // with its Domain loaded
	Content       MessageContent
	To            []Addressee
	TaskID        *uint64
	RunID         *uint64
	Transactional bool // not counted by warm-up, and sent first
}

// ErrDomainNotVerified is a send from a domain that may not send yet.
var ErrDomainNotVerified = errors.New("the sender's domain is not verified")

// messageColumns is how many values an inserted message row binds.
const messageColumns = 27

// Enqueue stores a send request durably: its content and one queued message
// per recipient, in one transaction, before anyone is told it was accepted.
func (s *Store) Enqueue(ctx context.Context, req EnqueueRequest) ([]Message, error) {
	if req.Sender == nil || req.Sender.Domain == nil {
		return nil, errors.New("enqueue: sender with domain required")
	}
	if !req.Sender.Domain.Verified() {
		return nil, ErrDomainNotVerified
	}
	if len(req.To) == 0 {
		return nil, Invalid("to", "Give at least one recipient.")
	}
	verr := &ValidationError{}
	now := s.now()
	msgs := make([]Message, 0, len(req.To))
	for _, to := range req.To {
		email, err := NormalizeEmail(to.Email)
		if err != nil {
			verr.Add("to", to.Email+" "+err.Error()+".")
			continue
		}
		domain := email[strings.LastIndexByte(email, '@')+1:]
		msgs = append(msgs, Message{
			UID: NewMessageUID(), Variables: EncodeVariables(to.Variables), DomainID: req.Sender.DomainID,
			FromEmail: req.Sender.Email, FromName: req.Sender.DisplayName,
			Recipient: email, RecipientDomain: domain, Provider: Provider(domain),
			TaskID: req.TaskID, RunID: req.RunID, Transactional: req.Transactional,
			Status: StatusQueued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		})
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	content := req.Content
	content.CreatedAt = now
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.holdDomain(tx, req.Sender.DomainID); err != nil {
			return err
		}
		if err := tx.Create(&content).Error; err != nil {
			return err
		}
		stats := statsBatch{}
		for i := range msgs {
			msgs[i].ContentID = content.ID
			stats.add(now, &msgs[i], statRequested)
		}
		if err := tx.CreateInBatches(&msgs, s.rowsPerStatement(messageColumns)).Error; err != nil {
			return err
		}
		return stats.write(tx)
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}
