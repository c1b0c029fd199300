package identity

import (
	"context"
	"net"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"gorm.io/gorm"
)

// domainRecordRow is the stored result of a record's last check.
type domainRecordRow struct {
	ID           uint64
	DomainID     uint64
	Kind         RecordKind
	Name         string
	CurrentValue string
	Status       RecordStatus
	Explanation  string
	CheckedAt    time.Time
}

func (domainRecordRow) TableName() string { return "domain_records" }

// spfTargetsFor gathers what the domain's SPF record must authorise.
func (s *Domains) spfTargetsFor(ctx context.Context, domainID uint64) (spfTargets, error) {
	t := spfTargets{include: s.config.SPFInclude, host: strings.TrimSuffix(s.config.BounceHost, ".")}
	if t.include != "" {
		return t, nil
	}
	ips, err := s.ips.SendingIPsForDomain(ctx, domainID)
	if err != nil {
		return t, err
	}
	for _, ip := range ips {
		if ip.IsDefaultRoute() {
			t.defaultRoute = true
		} else if parsed := net.ParseIP(ip.Address); parsed != nil {
			t.ips = append(t.ips, parsed)
		}
	}
	return t, nil
}

// DomainRecords returns the records a domain must publish, each with the
// result of its last check.
func (s *Domains) DomainRecords(ctx context.Context, d *Domain) ([]DNSRecord, error) {
	recs, _, err := s.recordsToCheck(ctx, d)
	if err != nil {
		return nil, err
	}
	var rows []domainRecordRow
	if err := s.Gorm.WithContext(ctx).Where("domain_id = ?", d.ID).Find(&rows).Error; err != nil {
		return nil, err
	}
	byKey := map[string]domainRecordRow{}
	for _, r := range rows {
		byKey[string(r.Kind)+" "+r.Name] = r
	}
	for i := range recs {
		r := &recs[i]
		r.Status = RecordUnchecked
		if row, ok := byKey[string(r.Kind)+" "+r.Name]; ok {
			r.Current, r.Status, r.Explanation = row.CurrentValue, row.Status, row.Explanation
			checked := row.CheckedAt
			r.CheckedAt = &checked
		}
	}
	return recs, nil
}

func (s *Domains) recordsToCheck(ctx context.Context, d *Domain) ([]DNSRecord, spfTargets, error) {
	keys, err := s.DKIMKeys(ctx, d.ID)
	if err != nil {
		return nil, spfTargets{}, err
	}
	spf, err := s.spfTargetsFor(ctx, d.ID)
	if err != nil {
		return nil, spf, err
	}
	return s.expectedRecords(d, keys, spf.value()), spf, nil
}

// VerifyDomain looks every record of the domain up, stores the results, and
// applies them: a domain whose required records (ownership, SPF, DKIM) all
// pass becomes verified and its first DKIM key starts signing; a verified
// domain whose required record is now wrong or gone is flagged for DNS
// drift (it keeps sending: queued mail is not stranded); a new DKIM key
// whose record verifies replaces the one it rotates. Records that could not
// be checked change nothing.
func (s *Domains) VerifyDomain(ctx context.Context, dns DNSLookup, id uint64) (*Domain, []DNSRecord, error) {
	d, err := s.GetDomain(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	recs, spf, err := s.recordsToCheck(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	for i := range recs {
		r := &recs[i]
		res := s.checkRecord(ctx, dns, r, spf)
		if !r.Required && res.status == RecordMissing {
			// Advised, not needed to send: its absence is a warning. One
			// published wrong still fails: it does harm as it stands.
			res.status = RecordWarning
		}
		r.Current, r.Status, r.Explanation, r.CheckedAt = res.current, res.status, res.explanation, &now
	}

	allRequiredPass, problems, unknown := true, []string{}, false
	for _, r := range recs {
		if !r.Required {
			continue
		}
		switch r.Status {
		case RecordPass:
		case RecordUnknown:
			allRequiredPass, unknown = false, true
		default:
			allRequiredPass = false
			problems = append(problems, r.Label()+" "+string(r.Status))
		}
	}

	err = s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("domain_id = ?", d.ID).Delete(&domainRecordRow{}).Error; err != nil {
			return err
		}
		rows := make([]domainRecordRow, 0, len(recs))
		for _, r := range recs {
			rows = append(rows, domainRecordRow{DomainID: d.ID, Kind: r.Kind, Name: r.Name, CurrentValue: models.Truncate(r.Current, 4000),
				Status: r.Status, Explanation: models.Truncate(r.Explanation, 500), CheckedAt: now})
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		for _, r := range recs {
			if r.Kind == RecordDKIM && r.Status == RecordPass && r.DKIMKey.State == DKIMPending && (d.Verified() || allRequiredPass) {
				if err := activateDKIMKey(tx, r.DKIMKey, now); err != nil {
					return err
				}
			}
		}
		up := map[string]any{"last_checked_at": now, "updated_at": now}
		switch {
		case !d.Verified() && allRequiredPass:
			up["status"], up["verified_at"], up["drift"], up["drift_reason"] = DomainVerified, now, false, ""
			// Mail held while the domain could not send goes now.
			if err := tx.Table("messages").Where("domain_id = ? AND status = ? AND next_attempt_at > ?", d.ID, models.StatusQueued, now).
				Update("next_attempt_at", now).Error; err != nil {
				return err
			}
		case d.Verified() && allRequiredPass:
			up["drift"], up["drift_reason"] = false, ""
		case d.Verified() && len(problems) > 0:
			up["drift"], up["drift_reason"] = true, models.Truncate("DNS changed since verification: "+strings.Join(problems, ", ")+".", 500)
		}
		next := PendingRecheckEvery
		if d.Verified() || allRequiredPass {
			next = VerifiedRecheckEvery
		}
		if unknown || (d.Verified() && len(problems) > 0) {
			next = PendingRecheckEvery // look again soon when the answer was unclear or wrong
		}
		up["next_check_at"] = now.Add(next)
		return tx.Model(&Domain{ID: d.ID}).Updates(up).Error
	})
	if err != nil {
		return nil, nil, err
	}
	d, err = s.GetDomain(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	recs, err = s.DomainRecords(ctx, d)
	return d, recs, err
}

// activateDKIMKey makes a verified key sign; an RSA key retires the RSA key
// it replaces.
func activateDKIMKey(tx *gorm.DB, k *DKIMKey, now time.Time) error {
	if k.Algorithm == DKIMRSA {
		err := tx.Model(&DKIMKey{}).Where("domain_id = ? AND algorithm = ? AND state = ?", k.DomainID, DKIMRSA, DKIMActive).
			Updates(map[string]any{"state": DKIMRetired, "retired_at": now}).Error
		if err != nil {
			return err
		}
	}
	return tx.Model(&DKIMKey{ID: k.ID}).Updates(map[string]any{"state": DKIMActive, "activated_at": now}).Error
}

// ClaimDomainsDue picks domains whose re-check is due and moves their next
// check forward, so that of several processes only one checks each domain.
func (s *Domains) ClaimDomainsDue(ctx context.Context, limit int) ([]uint64, error) {
	now := s.Now()
	var due []Domain
	if err := s.Gorm.WithContext(ctx).Select("id", "next_check_at").Where("next_check_at <= ?", now).
		Order("next_check_at").Limit(limit).Find(&due).Error; err != nil {
		return nil, err
	}
	var claimed []uint64
	for _, d := range due {
		res := s.Gorm.WithContext(ctx).Model(&Domain{}).Where("id = ? AND next_check_at = ?", d.ID, d.NextCheckAt).
			Update("next_check_at", now.Add(PendingRecheckEvery))
		if res.Error != nil {
			return claimed, res.Error
		}
		if res.RowsAffected == 1 {
			claimed = append(claimed, d.ID)
		}
	}
	return claimed, nil
}
