package identity

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sesame-email/sesame/models"
	"gorm.io/gorm"
)

// Tag is a key and value attached to a sending domain, as Tencent's
// TagList: a way to group identities and select them in lists.
type Tag struct {
	Key   string
	Value string
}

type domainTag struct {
	DomainID uint64
	TagKey   string
	TagValue string
}

func (domainTag) TableName() string { return "domain_tags" }

// MaxDomainTags is how many tags one domain may carry.
const MaxDomainTags = 50

// ValidateTags checks tags before they are stored: keys of 1 to 128
// characters, values of at most 256, printable, each key once.
func ValidateTags(tags []Tag) error {
	if len(tags) > MaxDomainTags {
		return models.Invalid("tags", "Use at most 50 tags.")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		k, v := strings.TrimSpace(t.Key), strings.TrimSpace(t.Value)
		switch {
		case k == "" || utf8.RuneCountInString(k) > 128:
			return models.Invalid("tags", "A tag key has 1 to 128 characters.")
		case utf8.RuneCountInString(v) > 256:
			return models.Invalid("tags", "A tag value has at most 256 characters.")
		case !utf8.ValidString(k+v) || strings.IndexFunc(k+v, unicode.IsControl) >= 0:
			return models.Invalid("tags", "Tags are printable text.")
		case seen[k]:
			return models.Invalid("tags", "The tag key "+k+" is given twice.")
		}
		seen[k] = true
	}
	return nil
}

// SetDomainTags replaces a domain's tags.
func (s *Domains) SetDomainTags(ctx context.Context, domainID uint64, tags []Tag) error {
	if err := ValidateTags(tags); err != nil {
		return err
	}
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("domain_id = ?", domainID).Delete(&domainTag{}).Error; err != nil {
			return err
		}
		if len(tags) == 0 {
			return nil
		}
		rows := make([]domainTag, len(tags))
		for i, t := range tags {
			rows[i] = domainTag{DomainID: domainID, TagKey: strings.TrimSpace(t.Key), TagValue: strings.TrimSpace(t.Value)}
		}
		return tx.Create(&rows).Error
	})
}

// DomainTags returns the tags of every domain that has some, by key.
func (s *Domains) DomainTags(ctx context.Context) (map[uint64][]Tag, error) {
	var rows []domainTag
	if err := s.Gorm.WithContext(ctx).Order("domain_id, tag_key").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := map[uint64][]Tag{}
	for _, r := range rows {
		out[r.DomainID] = append(out[r.DomainID], Tag{Key: r.TagKey, Value: r.TagValue})
	}
	return out, nil
}

// HasTags reports whether have includes every tag of want (a want with an
// empty value matches any value of its key).
func HasTags(have, want []Tag) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h.Key == strings.TrimSpace(w.Key) && (strings.TrimSpace(w.Value) == "" || h.Value == strings.TrimSpace(w.Value)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
