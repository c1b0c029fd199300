package audience

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SuppressionReason is why an address or domain is never sent to.
type SuppressionReason string

const (
	ReasonHardBounce  SuppressionReason = "hard_bounce"
	ReasonComplaint   SuppressionReason = "complaint"
	ReasonUnsubscribe SuppressionReason = "unsubscribe"
	ReasonManual      SuppressionReason = "manual"
)

// SuppressionReasons lists every reason, for forms.
var SuppressionReasons = []SuppressionReason{ReasonManual, ReasonHardBounce, ReasonComplaint, ReasonUnsubscribe}

// Valid reports whether r is a known reason.
func (r SuppressionReason) Valid() bool {
	switch r {
	case ReasonHardBounce, ReasonComplaint, ReasonUnsubscribe, ReasonManual:
		return true
	}
	return false
}

// Label is the reason for people.
func (r SuppressionReason) Label() string {
	switch r {
	case ReasonHardBounce:
		return "Hard bounce"
	case ReasonComplaint:
		return "Complaint"
	case ReasonUnsubscribe:
		return "Unsubscribed"
	default:
		return "Added by hand"
	}
}

// SuppressionKind says whether an entry covers one address or a domain.
type SuppressionKind string

const (
	SuppressAddress SuppressionKind = "address"
	SuppressDomain  SuppressionKind = "domain"
)

// Suppression is one entry of the suppression list.
type Suppression struct {
	ID     uint64
	Kind   SuppressionKind
	Value  string // a lowercased address, or a domain for kind domain
	Reason SuppressionReason
	// ScopeDomain is the sender domain an unsubscribe came from; the entry
	// stops mail from that domain only. Empty: every sender.
	ScopeDomain string
	Source      string
	CreatedAt   time.Time
	ExpiresAt   *time.Time
}

// ActiveAt reports whether the entry suppresses mail at t.
func (s *Suppression) ActiveAt(t time.Time) bool { return s.ExpiresAt == nil || s.ExpiresAt.After(t) }

// SuppressionInput describes an entry to add. Value is an address or, to
// cover a whole domain, a domain name (with or without a leading @).
type SuppressionInput struct {
	Value       string
	Reason      SuppressionReason
	ScopeDomain string // unsubscribes only: the sender domain
	Source      string
	ExpiresAt   *time.Time
}

// normalize checks an entry and fills in its kind and canonical value.
func (in *SuppressionInput) normalize(now time.Time) (SuppressionKind, error) {
	verr := &models.ValidationError{}
	kind := SuppressAddress
	raw := strings.TrimSpace(in.Value)
	if d, ok := strings.CutPrefix(raw, "@"); ok || (raw != "" && !strings.Contains(raw, "@")) {
		kind = SuppressDomain
		domain, err := models.NormalizeDomain(d)
		if err != nil || !strings.Contains(domain, ".") {
			verr.Add("value", "Enter an email address, or a domain such as example.com.")
		}
		in.Value = domain
	} else {
		email, problem := NormalizeRecipientEmail(raw)
		switch problem {
		case ProblemNone:
		case ProblemEmpty:
			verr.Add("value", "Enter an email address or a domain.")
		default:
			verr.Add("value", "Enter a valid email address, or a domain such as example.com.")
		}
		in.Value = email
	}
	if !in.Reason.Valid() {
		verr.Add("reason", "Choose a reason.")
	}
	in.ScopeDomain = strings.TrimSpace(in.ScopeDomain)
	if in.ScopeDomain != "" {
		if in.Reason != ReasonUnsubscribe {
			// Bounces and complaints are about the recipient, whoever sends.
			in.ScopeDomain = ""
		} else if d, err := models.NormalizeDomain(in.ScopeDomain); err != nil {
			verr.Add("scope_domain", "Enter the sender domain, such as news.example.com.")
		} else {
			in.ScopeDomain = d
		}
	}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC()
		if !t.After(now) {
			verr.Add("expires_at", "Choose a time in the future, or leave empty for never.")
		}
		in.ExpiresAt = &t
	}
	in.Source = models.TruncateRunes(strings.ToValidUTF8(strings.TrimSpace(in.Source), "?"), 300)
	if utf8.RuneCountInString(in.Value) > models.MaxEmailLength {
		verr.Add("value", "Use at most 254 characters.")
	}
	return kind, verr.OrNil()
}

// AddSuppression puts an address or domain on the suppression list and
// returns its entry, and whether it is new. It is idempotent: adding what
// is already listed for the same reason and scope returns the existing
// entry unchanged, so replayed bounce reports change nothing. Only an entry
// that has expired is revived, with the new expiry.
func (s *Suppressions) AddSuppression(ctx context.Context, in SuppressionInput) (*Suppression, bool, error) {
	var (
		entry   *Suppression
		created bool
	)
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		entry, created, err = AddSuppression(tx, in, s.Now())
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return entry, created, nil
}

// addSuppression is AddSuppression inside a caller's transaction, so a
// report's suppression commits or rolls back with the rest of its effects.
func AddSuppression(tx *gorm.DB, in SuppressionInput, now time.Time) (*Suppression, bool, error) {
	kind, err := in.normalize(now)
	if err != nil {
		return nil, false, err
	}
	entry := &Suppression{Kind: kind, Value: in.Value, Reason: in.Reason, ScopeDomain: in.ScopeDomain, Source: in.Source,
		CreatedAt: now, ExpiresAt: in.ExpiresAt}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(entry)
	if res.Error != nil {
		return nil, false, res.Error
	}
	if res.RowsAffected == 1 {
		return entry, true, nil
	}
	var existing Suppression
	if err := tx.Where("value = ? AND scope_domain = ? AND reason = ?", in.Value, in.ScopeDomain, in.Reason).Take(&existing).Error; err != nil {
		return nil, false, err
	}
	if existing.ActiveAt(now) {
		return &existing, false, nil
	}
	existing.Source, existing.CreatedAt, existing.ExpiresAt = in.Source, now, in.ExpiresAt
	if err := tx.Model(&Suppression{ID: existing.ID}).Select("source", "created_at", "expires_at").Updates(&existing).Error; err != nil {
		return nil, false, err
	}
	return &existing, true, nil
}

// RemoveSuppression deletes one entry.
func (s *Suppressions) RemoveSuppression(ctx context.Context, id uint64) error {
	res := s.Gorm.WithContext(ctx).Delete(&Suppression{}, id)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return res.Error
}

// GetSuppression loads one entry.
func (s *Suppressions) GetSuppression(ctx context.Context, id uint64) (*Suppression, error) {
	var e Suppression
	if err := s.Gorm.WithContext(ctx).Take(&e, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &e, nil
}

// SetSuppressionExpiry changes when an entry stops applying (nil: never),
// also to a time already past, which UpdateManualSuppression refuses: for
// operators' scripts and tests that need an expired entry.
func (s *Suppressions) SetSuppressionExpiry(ctx context.Context, id uint64, expiresAt *time.Time) error {
	if expiresAt != nil {
		t := expiresAt.UTC()
		expiresAt = &t
	}
	res := s.Gorm.WithContext(ctx).Model(&Suppression{ID: id}).Update("expires_at", expiresAt)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return res.Error
}

// SuppressionQuery selects a page of the list, newest first.
type SuppressionQuery struct {
	Prefix  string              // value starts with this
	Reasons []SuppressionReason // any of these; empty: all
	Active  *bool               // only active (true) or expired (false) entries
	Since   time.Time           // created at or after
	Until   time.Time           // created before
	Offset  int
	Limit   int
}

// ListSuppressions returns the entries q selects and how many there are.
func (s *Suppressions) ListSuppressions(ctx context.Context, q SuppressionQuery) ([]Suppression, int64, error) {
	db := s.Gorm.WithContext(ctx).Model(&Suppression{})
	if p := strings.ToLower(strings.TrimSpace(q.Prefix)); p != "" {
		db = db.Where("value >= ?", p)
		if upper, ok := prefixUpperBound(p); ok {
			db = db.Where("value < ?", upper)
		}
	}
	if len(q.Reasons) > 0 {
		db = db.Where("reason IN ?", q.Reasons)
	}
	now := s.Now()
	if q.Active != nil && *q.Active {
		db = db.Where("expires_at IS NULL OR expires_at > ?", now)
	} else if q.Active != nil {
		db = db.Where("expires_at <= ?", now)
	}
	if !q.Since.IsZero() {
		db = db.Where("created_at >= ?", q.Since.UTC())
	}
	if !q.Until.IsZero() {
		db = db.Where("created_at < ?", q.Until.UTC())
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 50
	}
	var out []Suppression
	err := db.Order("created_at DESC, id DESC").Offset(q.Offset).Limit(q.Limit).Find(&out).Error
	return out, total, err
}

// EachSuppression calls fn for every entry, oldest first, in pages.
func (s *Suppressions) EachSuppression(ctx context.Context, fn func(*Suppression) error) error {
	return eachInPages(func(after uint64) ([]Suppression, error) {
		var rows []Suppression
		err := s.Gorm.WithContext(ctx).Where("id > ?", after).Order("id").Limit(pageOfRows).Find(&rows).Error
		return rows, err
	}, func(e *Suppression) uint64 { return e.ID }, fn)
}

// suppressionLookupChunk keeps IN lists well under parameter limits.
const suppressionLookupChunk = 400

// SuppressedAmong returns, for each of emails that must not be sent to from
// senderDomain, the entry that stops it, keyed by the address exactly as
// given. An entry matches an address or the address's domain; expired
// entries are ignored; an unsubscribe counts only when it came from
// senderDomain. It is the delivery engine's one query per batch.
func (s *Suppressions) SuppressedAmong(ctx context.Context, senderDomain string, emails []string) (map[string]Suppression, error) {
	scope := strings.ToLower(strings.TrimSpace(senderDomain))
	return s.suppressionsFor(ctx, emails, &scope)
}

// SuppressionsOf is SuppressedAmong for every sender: it also reports
// unsubscribes from any domain, for showing a recipient's status.
func (s *Suppressions) SuppressionsOf(ctx context.Context, emails []string) (map[string]Suppression, error) {
	return s.suppressionsFor(ctx, emails, nil)
}

func (s *Suppressions) suppressionsFor(ctx context.Context, emails []string, scope *string) (map[string]Suppression, error) {
	out := map[string]Suppression{}
	now := s.Now()
	for start := 0; start < len(emails); start += suppressionLookupChunk {
		chunk := emails[start:min(start+suppressionLookupChunk, len(emails))]
		byValue := map[string][]string{} // lowercased address or domain → the inputs it covers
		values := make([]string, 0, 2*len(chunk))
		for _, e := range chunk {
			addr := strings.ToLower(strings.TrimSpace(e))
			at := strings.LastIndexByte(addr, '@')
			if at < 0 {
				continue
			}
			for _, v := range []string{addr, addr[at+1:]} {
				if _, ok := byValue[v]; !ok {
					values = append(values, v)
				}
				byValue[v] = append(byValue[v], e)
			}
		}
		if len(values) == 0 {
			continue
		}
		db := s.Gorm.WithContext(ctx).Where("value IN ? AND (expires_at IS NULL OR expires_at > ?)", values, now)
		if scope != nil {
			db = db.Where("scope_domain = '' OR scope_domain = ?", *scope)
		}
		var found []Suppression
		if err := db.Find(&found).Error; err != nil {
			return nil, err
		}
		for _, entry := range found {
			for _, e := range byValue[entry.Value] {
				if scope != nil && !entry.Stops(e, *scope, now) {
					continue // the query narrowed; the rule decides
				}
				if cur, ok := out[e]; !ok || outranks(entry, cur) {
					out[e] = entry
				}
			}
		}
	}
	return out, nil
}

// outranks orders entries matching one address, so the answer is stable:
// an entry for every sender over a scoped one, a bounce over a complaint
// over a manual entry over an unsubscribe, the address over its domain.
func outranks(a, b Suppression) bool {
	if (a.ScopeDomain == "") != (b.ScopeDomain == "") {
		return a.ScopeDomain == ""
	}
	rank := map[SuppressionReason]int{ReasonHardBounce: 0, ReasonComplaint: 1, ReasonManual: 2, ReasonUnsubscribe: 3}
	if rank[a.Reason] != rank[b.Reason] {
		return rank[a.Reason] < rank[b.Reason]
	}
	if a.Kind != b.Kind {
		return a.Kind == SuppressAddress
	}
	return a.ID < b.ID
}

// RecipientStatus is a recipient's standing, from the suppression list.
type RecipientStatus string

const (
	RecipientActive       RecipientStatus = "active"
	RecipientUnsubscribed RecipientStatus = "unsubscribed"
	RecipientBounced      RecipientStatus = "bounced"
	RecipientComplained   RecipientStatus = "complained"
	RecipientSuppressed   RecipientStatus = "suppressed" // added by hand
)

// RecipientStatus maps the entry that stops an address to the recipient status.
func (s Suppression) RecipientStatus() RecipientStatus {
	switch s.Reason {
	case ReasonHardBounce:
		return RecipientBounced
	case ReasonComplaint:
		return RecipientComplained
	case ReasonUnsubscribe:
		return RecipientUnsubscribed
	default:
		return RecipientSuppressed
	}
}
