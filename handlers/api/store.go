package api

import (
	"context"
	"time"

	"github.com/sesame-email/sesame/models"
)

// Store is what the API needs from the store.
type Store interface {
	Location() *time.Location
	AuthenticateAPIKey(ctx context.Context, secretID string) (*models.APIKeyAuth, error)
	UseSignature(ctx context.Context, u models.SignatureUse) error
	Enqueue(ctx context.Context, req models.EnqueueRequest) ([]models.Message, error)

	// Domains.
	GetDomainByName(ctx context.Context, name string) (*models.Domain, error)
	CanSend(d *models.Domain) bool
	ListDomains(ctx context.Context) ([]models.Domain, error)
	AddDomain(ctx context.Context, name string, rsaBits int) (*models.Domain, error)
	DeleteDomain(ctx context.Context, id uint64) error
	DomainRecords(ctx context.Context, d *models.Domain) ([]models.DNSRecord, error)
	VerifyDomain(ctx context.Context, dns models.DNSLookup, id uint64) (*models.Domain, []models.DNSRecord, error)
	SetDomainTags(ctx context.Context, domainID uint64, tags []models.Tag) error
	DomainTags(ctx context.Context) (map[uint64][]models.Tag, error)
	WarmupOverview(ctx context.Context) ([]models.WarmupStatus, error)
	SendingIPsForDomain(ctx context.Context, domainID uint64) ([]models.SendingIP, error)

	// Sender addresses.
	CreateSender(ctx context.Context, email, displayName string) (*models.SenderAddress, error)
	ListSenders(ctx context.Context) ([]models.SenderAddress, error)
	GetSender(ctx context.Context, id uint64) (*models.SenderAddress, error)
	GetSenderByEmail(ctx context.Context, email string) (*models.SenderAddress, error)
	SenderForSending(ctx context.Context, email string) (*models.SenderAddress, error)
	DeleteSender(ctx context.Context, id uint64) error
	SetSMTPPassword(ctx context.Context, id uint64, password string) error
	SetUnsubscribeConfig(ctx context.Context, senderID uint64, code string, enabled bool, mode models.UnsubscribeConfigWrite) error
	DeleteUnsubscribeConfig(ctx context.Context, senderID uint64) error
	ListUnsubscribeConfigs(ctx context.Context, offset, limit int) ([]models.SenderAddress, int64, error)

	// Templates.
	CreateTemplate(ctx context.Context, in models.TemplateInput, createdBy *uint64) (*models.Template, error)
	UpdateTemplate(ctx context.Context, id uint64, in models.TemplateInput) (*models.Template, error)
	GetTemplate(ctx context.Context, id uint64) (*models.Template, error)
	UsableTemplate(ctx context.Context, id uint64) (*models.Template, error)
	ListTemplates(ctx context.Context, offset, limit int) (*models.TemplatePage, error)
	DeleteTemplate(ctx context.Context, id uint64) error
	TemplateReviewRequired(ctx context.Context) (bool, error)

	// Messages, tasks and statistics.
	FindMessages(ctx context.Context, q models.MessageQuery) ([]models.MessageRow, bool, error)
	ListTaskProgressWhere(ctx context.Context, f models.TaskFilter, offset, limit int) ([]models.TaskProgress, int64, error)
	DailyVolumes(ctx context.Context, from, to time.Time, loc *time.Location, f models.StatsFilter) ([]models.Volume, error)

	// Recipient groups.
	CreateGroup(ctx context.Context, in models.GroupInput) (*models.RecipientGroup, error)
	GetGroup(ctx context.Context, id uint64) (*models.RecipientGroup, error)
	ListGroups(ctx context.Context, f models.GroupFilter) ([]models.RecipientGroup, int64, error)
	DeleteGroup(ctx context.Context, id uint64) error
	UploadRecipients(ctx context.Context, groupID uint64, in []models.RecipientInput, source string, createdBy *uint64) (*models.AddReport, error)
	InvalidRecipientCounts(ctx context.Context, groupIDs []uint64) (map[uint64]int64, error)
	ListRecipientDetails(ctx context.Context, groupID uint64, q models.RecipientDetailQuery) (*models.RecipientDetailPage, error)

	// The suppression list.
	SuppressedAmong(ctx context.Context, senderDomain string, emails []string) (map[string]models.Suppression, error)
	SuppressionsOf(ctx context.Context, emails []string) (map[string]models.Suppression, error)
	ListSuppressions(ctx context.Context, q models.SuppressionQuery) ([]models.Suppression, int64, error)
	AddSuppression(ctx context.Context, in models.SuppressionInput) (*models.Suppression, bool, error)
	RemoveSuppressionsOf(ctx context.Context, values []string, reasons []models.SuppressionReason) (int64, error)
	UpdateManualSuppression(ctx context.Context, id uint64, value string, expiresAt *time.Time) (*models.Suppression, error)
}

var _ Store = (*models.Store)(nil)
