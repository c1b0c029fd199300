package audience

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// RecipientGroup is a named list of recipients that tasks send to
// (Tencent's "receiver").
type RecipientGroup struct {
	ID             uint64
	Name           string
	Description    string
	RecipientCount int64
	VariableNames  string // JSON array: see Variables
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Importing is true while a CSV import of the group is queued or running.
	Importing bool `gorm:"->;-:migration"`
}

// Variables are the names of the variables the group's recipients carry.
func (g *RecipientGroup) Variables() []string {
	var names []string
	_ = json.Unmarshal([]byte(g.VariableNames), &names)
	return names
}

// GroupStatus is a group's state as Tencent's ReceiversStatus reports it.
type GroupStatus int

const (
	GroupWaitingForUpload GroupStatus = 1
	GroupUploading        GroupStatus = 2
	GroupUploaded         GroupStatus = 3
)

// Status derives the Tencent status: empty and never imported, importing,
// or holding recipients.
func (g *RecipientGroup) Status() GroupStatus {
	switch {
	case g.Importing:
		return GroupUploading
	case g.RecipientCount == 0:
		return GroupWaitingForUpload
	default:
		return GroupUploaded
	}
}

// GroupInput is the user's part of a group.
type GroupInput struct {
	Name        string
	Description string
}

func (in *GroupInput) validate() error {
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	verr := &models.ValidationError{}
	switch {
	case in.Name == "":
		verr.Add("name", "Enter a name.")
	case utf8.RuneCountInString(in.Name) > 200:
		verr.Add("name", "Use at most 200 characters.")
	}
	if utf8.RuneCountInString(in.Description) > 1000 {
		verr.Add("description", "Use at most 1000 characters.")
	}
	return verr.OrNil()
}

func groupNameTaken(err error) error {
	if db.IsUniqueViolation(err) {
		return models.Invalid("name", "A group with this name already exists.")
	}
	return err
}

// CreateGroup stores a new, empty group.
func (s *Audience) CreateGroup(ctx context.Context, in GroupInput) (*RecipientGroup, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	g := &RecipientGroup{Name: in.Name, Description: in.Description, VariableNames: "[]"}
	if err := s.Gorm.WithContext(ctx).Create(g).Error; err != nil {
		return nil, groupNameTaken(err)
	}
	return g, nil
}

// UpdateGroup renames a group or changes its description.
func (s *Audience) UpdateGroup(ctx context.Context, id uint64, in GroupInput) (*RecipientGroup, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	res := s.Gorm.WithContext(ctx).Model(&RecipientGroup{ID: id}).
		Updates(map[string]any{"name": in.Name, "description": in.Description, "updated_at": s.Now()})
	if res.Error != nil {
		return nil, groupNameTaken(res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, models.ErrNotFound
	}
	return s.GetGroup(ctx, id)
}

const groupColumns = "recipient_groups.*, EXISTS (SELECT 1 FROM import_jobs j WHERE j.group_id = recipient_groups.id AND j.status IN ('queued', 'running')) AS importing"

// GetGroup loads one group.
func (s *Audience) GetGroup(ctx context.Context, id uint64) (*RecipientGroup, error) {
	var g RecipientGroup
	if err := s.Gorm.WithContext(ctx).Select(groupColumns).Take(&g, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &g, nil
}

// GroupFilter selects groups for a list.
type GroupFilter struct {
	Keyword       string // part of the name
	Offset, Limit int
}

// ListGroups returns the groups matching f, newest first, and how many match.
func (s *Audience) ListGroups(ctx context.Context, f GroupFilter) ([]RecipientGroup, int64, error) {
	q := s.Gorm.WithContext(ctx).Model(&RecipientGroup{})
	if k := strings.TrimSpace(f.Keyword); k != "" {
		q = q.Where("LOWER(name) LIKE ? ESCAPE '!'", "%"+db.EscapeLike(strings.ToLower(k))+"%")
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var groups []RecipientGroup
	err := q.Select(groupColumns).Order("id DESC").Offset(f.Offset).Limit(f.Limit).Find(&groups).Error
	return groups, total, err
}

// DeleteGroup removes a group with its recipients and imports. Files of
// imports still waiting are removed too; a running import notices and stops.
func (s *Audience) DeleteGroup(ctx context.Context, id uint64) error {
	var files []string
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&ImportJob{}).Where("group_id = ? AND status = ?", id, ImportQueued).Pluck("file_path", &files).Error; err != nil {
			return err
		}
		// The group's row goes first: deleting it waits for any writer
		// holding it (holdGroup), and later writers find it gone. Then its
		// recipients, which have no foreign key (0011_recipients_group_unchecked.sql).
		res := tx.Delete(&RecipientGroup{}, id)
		if res.Error == nil && res.RowsAffected == 0 {
			return models.ErrNotFound
		}
		if res.Error != nil {
			return res.Error
		}
		return tx.Where("group_id = ?", id).Delete(&Recipient{}).Error
	})
	if err == nil {
		for _, f := range files {
			s.removeUpload(f)
		}
	}
	return err
}

// holdGroup checks, in a transaction about to write a group's recipients,
// that the group exists, and on PostgreSQL keeps it so until the
// transaction ends: the check a foreign key on recipients would make for
// every row (see 0011_recipients_group_unchecked.sql). It returns
// ErrNotFound for a deleted group.
func (s *Audience) holdGroup(tx *gorm.DB, groupID uint64) error {
	return s.HoldRow(tx, &RecipientGroup{}, groupID)
}

// mergeVariableNames adds names to the group's list of variable names.
func mergeVariableNames(tx *gorm.DB, groupID uint64, names []string, now time.Time) error {
	if len(names) == 0 {
		return nil
	}
	var current string
	if err := tx.Model(&RecipientGroup{}).Where("id = ?", groupID).Pluck("variable_names", &current).Error; err != nil {
		return err
	}
	var have []string
	_ = json.Unmarshal([]byte(current), &have)
	seen := map[string]bool{}
	for _, n := range have {
		seen[n] = true
	}
	changed := false
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			have = append(have, n)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	out, _ := json.Marshal(have)
	return tx.Model(&RecipientGroup{ID: groupID}).Updates(map[string]any{"variable_names": string(out), "updated_at": now}).Error
}

// refreshRecipientCount recounts a group's recipients.
func refreshRecipientCount(tx *gorm.DB, groupID uint64, now time.Time) error {
	return tx.Exec("UPDATE recipient_groups SET recipient_count = (SELECT COUNT(*) FROM recipients WHERE group_id = ?), updated_at = ? WHERE id = ?",
		groupID, now, groupID).Error
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
