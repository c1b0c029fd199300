package api

import (
	"log/slog"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
)

// Config is what the API is built from: each store as the interface its
// actions need (a test can stand in for one), the sending rules, and the
// scheduler's task creator.
type Config struct {
	Keys         Authenticator
	Location     *time.Location // of the API's dates and times
	Domains      DomainStore
	Senders      SenderStore
	IPs          IPStore
	Templates    TemplateStore
	Groups       GroupStore
	Suppressions SuppressionStore
	Messages     MessageStore
	TaskStore    TaskStore
	Sending      SendingRules
	Tasks        TaskCreator
	DNS          identity.DNSLookup
	Clock        models.Clock
	Logger       *slog.Logger
}

// The stores, as the union of what each resource's actions need of them.
type (
	DomainStore interface {
		identityDomains
		senderDomains
		statsDomains
	}
	SenderStore interface {
		senderSenders
		taskSenders
	}
	IPStore       interface{ identityIps }
	TemplateStore interface {
		templateTemplates
		taskTemplates
	}
	GroupStore interface {
		receiverAudience
		taskGroups
	}
	SuppressionStore interface {
		blacklistSuppressions
		statusSuppressions
	}
	MessageStore interface {
		identityQueue
		statusQueue
		statsQueue
	}
	TaskStore    interface{ taskLister }
	SendingRules interface {
		submitter
		taskRules
	}
)
