package api

import (
	"context"
	"time"

	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/models/tasks"
)

// Store is what the API needs from the store.
type Store interface {
	Location() *time.Location
	AuthenticateAPIKey(ctx context.Context, secretID string) (*accounts.APIKeyAuth, error)
	UseSignature(ctx context.Context, u accounts.SignatureUse) error
	Enqueue(ctx context.Context, req queue.EnqueueRequest) ([]queue.Message, error)

	// Domains.
	GetDomainByName(ctx context.Context, name string) (*identity.Domain, error)
	CanSend(d *identity.Domain) bool
	ListDomains(ctx context.Context) ([]identity.Domain, error)
	AddDomain(ctx context.Context, name string, rsaBits int) (*identity.Domain, error)
	DeleteDomain(ctx context.Context, id uint64) error
	DomainRecords(ctx context.Context, d *identity.Domain) ([]identity.DNSRecord, error)
	VerifyDomain(ctx context.Context, dns identity.DNSLookup, id uint64) (*identity.Domain, []identity.DNSRecord, error)
	SetDomainTags(ctx context.Context, domainID uint64, tags []identity.Tag) error
	DomainTags(ctx context.Context) (map[uint64][]identity.Tag, error)
	WarmupOverview(ctx context.Context) ([]queue.WarmupStatus, error)
	SendingIPsForDomain(ctx context.Context, domainID uint64) ([]identity.SendingIP, error)

	// Sender addresses.
	CreateSender(ctx context.Context, email, displayName string) (*identity.SenderAddress, error)
	ListSenders(ctx context.Context) ([]identity.SenderAddress, error)
	GetSender(ctx context.Context, id uint64) (*identity.SenderAddress, error)
	GetSenderByEmail(ctx context.Context, email string) (*identity.SenderAddress, error)
	SenderForSending(ctx context.Context, email string) (*identity.SenderAddress, error)
	DeleteSender(ctx context.Context, id uint64) error
	SetSMTPPassword(ctx context.Context, id uint64, password string) error
	SetUnsubscribeConfig(ctx context.Context, senderID uint64, code string, enabled bool, mode identity.UnsubscribeConfigWrite) error
	DeleteUnsubscribeConfig(ctx context.Context, senderID uint64) error
	ListUnsubscribeConfigs(ctx context.Context, offset, limit int) ([]identity.SenderAddress, int64, error)

	// Templates.
	CreateTemplate(ctx context.Context, in content.TemplateInput, createdBy *uint64) (*content.Template, error)
	UpdateTemplate(ctx context.Context, id uint64, in content.TemplateInput) (*content.Template, error)
	GetTemplate(ctx context.Context, id uint64) (*content.Template, error)
	UsableTemplate(ctx context.Context, id uint64) (*content.Template, error)
	ListTemplates(ctx context.Context, offset, limit int) (*content.TemplatePage, error)
	DeleteTemplate(ctx context.Context, id uint64) error
	TemplateReviewRequired(ctx context.Context) (bool, error)

	// Messages, tasks and statistics.
	FindMessages(ctx context.Context, q queue.MessageQuery) ([]queue.MessageRow, bool, error)
	ListTaskProgressWhere(ctx context.Context, f tasks.TaskFilter, offset, limit int) ([]tasks.TaskProgress, int64, error)
	DailyVolumes(ctx context.Context, from, to time.Time, loc *time.Location, f queue.StatsFilter) ([]queue.Volume, error)

	// Recipient groups.
	CreateGroup(ctx context.Context, in audience.GroupInput) (*audience.RecipientGroup, error)
	GetGroup(ctx context.Context, id uint64) (*audience.RecipientGroup, error)
	ListGroups(ctx context.Context, f audience.GroupFilter) ([]audience.RecipientGroup, int64, error)
	DeleteGroup(ctx context.Context, id uint64) error
	UploadRecipients(ctx context.Context, groupID uint64, in []audience.RecipientInput, source string, createdBy *uint64) (*audience.AddReport, error)
	InvalidRecipientCounts(ctx context.Context, groupIDs []uint64) (map[uint64]int64, error)
	ListRecipientDetails(ctx context.Context, groupID uint64, q audience.RecipientDetailQuery) (*audience.RecipientDetailPage, error)

	// The suppression list.
	SuppressedAmong(ctx context.Context, senderDomain string, emails []string) (map[string]audience.Suppression, error)
	SuppressionsOf(ctx context.Context, emails []string) (map[string]audience.Suppression, error)
	ListSuppressions(ctx context.Context, q audience.SuppressionQuery) ([]audience.Suppression, int64, error)
	AddSuppression(ctx context.Context, in audience.SuppressionInput) (*audience.Suppression, bool, error)
	RemoveSuppressionsOf(ctx context.Context, values []string, reasons []audience.SuppressionReason) (int64, error)
	UpdateManualSuppression(ctx context.Context, id uint64, value string, expiresAt *time.Time) (*audience.Suppression, error)
}

var _ Store = (*store.Store)(nil)
