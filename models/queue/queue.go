package queue

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// QuotaWaitDelay is how long a message over the day's warm-up quota waits:
// it is released 24 hours later, into the next day's quota.
const QuotaWaitDelay = 24 * time.Hour

// ClaimMessages leases up to limit due messages to owner and returns them,
// in one transaction: messages whose lease ran out (their process died),
// then transactional ones, then bulk in order of due time. Each gets its
// source IP (dedicated to its domain, or from the shared pool); bulk ones
// also take their domain's and IP's warm-up quota, and those over today's
// quota go to quota_wait instead and are not returned.
func (s *Queue) ClaimMessages(ctx context.Context, owner string, limit int, lease time.Duration) ([]Message, error) {
	now := s.Now()
	var out []Message
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The due messages are read in the order of their index, never
		// sorted. Until a day's partition is analysed (a minute or more
		// after a campaign queued its rows) PostgreSQL estimates that a
		// handful are due, reads them all and sorts them: every claim of a
		// 100,000-message campaign then read and sorted all that remained.
		if s.Dialect() == db.Postgres {
			if err := tx.Exec("SET LOCAL enable_sort = off").Error; err != nil {
				return err
			}
		}
		var due []claimCandidate
		// Leases of other processes that ran out: those processes died. Our
		// own are renewed while we live, so one that ran out is still being
		// worked on here (a heartbeat was late): taking it would send twice.
		if err := s.SkipLocked(tx.Model(&Message{}).Select(candidateColumns).
			Where("status = 'sending' AND lease_until < ? AND lease_owner <> ?", now, owner).Order("lease_until").Limit(limit)).
			Scan(&due).Error; err != nil {
			return err
		}
		for _, transactional := range []bool{true, false} {
			if len(due) >= limit {
				break
			}
			var more []claimCandidate
			if err := s.SkipLocked(tx.Model(&Message{}).Select(candidateColumns).
				Where(models.DueCondition+" AND transactional = ? AND next_attempt_at <= ?", transactional, now).
				Order("next_attempt_at").Limit(limit - len(due))).Scan(&more).Error; err != nil {
				return err
			}
			due = append(due, more...)
		}
		if len(due) == 0 {
			return nil
		}
		routes, err := s.assignSources(tx, due, now)
		if err != nil {
			return err
		}
		for _, r := range routes {
			leased, err := s.lease(tx, r, owner, now, lease)
			if err != nil {
				return err
			}
			out = append(out, leased...)
		}
		slices.SortFunc(out, func(a, b Message) int { return cmp.Compare(a.ID, b.ID) })
		return nil
	})
	return out, err
}

// claimCandidate is a due message as a claim first reads it: enough to
// choose its source IP before it is leased.
type claimCandidate struct {
	ID            uint64
	DomainID      uint64
	Transactional bool
	CreatedAt     time.Time
}

const candidateColumns = "id, domain_id, transactional, created_at"

// route is the messages of a claim that go out from one source IP, with
// the warm-up day their quota was taken from ("" for transactional ones).
type route struct {
	sourceIP, sentOn string
	ids              []uint64
	// created spans the times the messages were queued, which narrow the
	// lease to their days' partitions (db.Within).
	created db.Span
}

// messageColumns are a message's columns in the order of scanTargets.
const messageColumns = "id, uid, content_id, variables, domain_id, from_email, from_name, recipient, recipient_domain, provider, " +
	"task_id, run_id, transactional, status, attempts, next_attempt_at, lease_owner, lease_until, last_reply, source_ip, sent_on, " +
	"created_at, updated_at, delivered_at, opened_at, clicked_at, unsubscribed_at"

// scanTargets are m's fields in the order of messageColumns.
func (m *Message) scanTargets() []any {
	return []any{&m.ID, &m.UID, &m.ContentID, &m.Variables, &m.DomainID, &m.FromEmail, &m.FromName, &m.Recipient, &m.RecipientDomain, &m.Provider,
		&m.TaskID, &m.RunID, &m.Transactional, &m.Status, &m.Attempts, &m.NextAttemptAt, &m.LeaseOwner, &m.LeaseUntil, &m.LastReply, &m.SourceIP, &m.SentOn,
		&m.CreatedAt, &m.UpdatedAt, &m.DeliveredAt, &m.OpenedAt, &m.ClickedAt, &m.UnsubscribedAt}
}

// lease marks a route's messages as sending from its source IP, leased to
// owner, and returns them. One UPDATE ... RETURNING scanned field by field:
// a separate SELECT read through gorm's reflection cost as much as the
// update itself, and a second UPDATE for the source wrote each row twice.
func (s *Queue) lease(tx *gorm.DB, r route, owner string, now time.Time, lease time.Duration) ([]Message, error) {
	inIDs, idList := s.IDsIn("id", r.ids)
	within, days := s.Within("created_at", r.created)
	rows, err := tx.Raw("UPDATE messages SET status = ?, lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?, source_ip = ?, sent_on = ? WHERE "+
		inIDs+within+" RETURNING "+messageColumns, append([]any{models.StatusSending, owner, now.Add(lease), now, r.sourceIP, r.sentOn, idList}, days...)...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	msgs := make([]Message, 0, len(r.ids))
	for rows.Next() {
		msgs = append(msgs, Message{})
		if err := rows.Scan(msgs[len(msgs)-1].scanTargets()...); err != nil {
			return nil, err
		}
	}
	return msgs, rows.Err()
}

// warmupSubject is a domain or IP with its warm-up state, as read in a claim.
type warmupSubject struct {
	kind      string // "domain" or "ip"
	id        uint64
	plan      string
	day       int
	lastSent  string
	quota     int
	unlimited bool
	remaining int
}

func (w *warmupSubject) table() string {
	if w.kind == "domain" {
		return "domains"
	}
	return "sending_ips"
}

// prepareToday advances the subject's plan day on its first send of a new
// calendar day (held while the last day's bounce or complaint rate was too
// high), then reads today's quota and what is left of it, locking the usage
// row so concurrent claims cannot both spend the last of it.
func (s *Queue) prepareToday(tx *gorm.DB, w *warmupSubject, today string) error {
	if w.unlimited {
		return nil
	}
	if w.lastSent < today {
		var prev WarmupUsage
		err := tx.Where("subject = ? AND subject_id = ? AND day = ?", w.kind, w.id, w.lastSent).Take(&prev).Error
		if err != nil && db.NotFound(err) != models.ErrNotFound {
			return err
		}
		day, hold := nextSendingDay(w.day, prev)
		res := tx.Table(w.table()).Where("id = ? AND warmup_last_sent_on = ?", w.id, w.lastSent).
			Updates(map[string]any{"warmup_day": day, "warmup_last_sent_on": today, "warmup_hold_reason": hold})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			w.day, w.lastSent = day, today
		} else if err := tx.Table(w.table()).Select("warmup_day").Where("id = ?", w.id).Scan(&w.day).Error; err != nil {
			return err // another claimer advanced it first
		}
	}
	quota, unlimited, err := planQuota(tx, w.plan, w.day)
	if err != nil {
		return err
	}
	w.quota, w.unlimited = quota, unlimited
	if unlimited {
		return nil
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&WarmupUsage{Subject: w.kind, SubjectID: w.id, Day: today, Quota: quota}).Error; err != nil {
		return err
	}
	var u WarmupUsage
	q := tx.Where("subject = ? AND subject_id = ? AND day = ?", w.kind, w.id, today)
	if s.Dialect() == db.Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(&u).Error; err != nil {
		return err
	}
	w.remaining = max(0, quota-u.Sent)
	return nil
}

// assignSources chooses each candidate's source IP and spends warm-up
// quota for bulk ones; those over today's quota go to quota_wait, and
// those of a domain that cannot send (CanSend) are held until it can. It
// returns the others grouped by route, to be leased.
func (s *Queue) assignSources(tx *gorm.DB, msgs []claimCandidate, now time.Time) ([]route, error) {
	today := s.Day(now)
	domainIDs := map[uint64]bool{}
	for _, m := range msgs {
		domainIDs[m.DomainID] = true
	}
	ids := make([]uint64, 0, len(domainIDs))
	for id := range domainIDs {
		ids = append(ids, id)
	}
	var domains []identity.Domain
	if err := tx.Where("id IN ?", ids).Find(&domains).Error; err != nil {
		return nil, err
	}
	var assigned []struct {
		DomainID uint64
		IPID     uint64
	}
	if err := tx.Table("domain_ips").Select("domain_id, ip_id").Where("domain_id IN ?", ids).Scan(&assigned).Error; err != nil {
		return nil, err
	}
	var allIPs []identity.SendingIP
	if err := tx.Order("address").Find(&allIPs).Error; err != nil {
		return nil, err
	}
	dedicated := map[uint64][]uint64{}
	for _, a := range assigned {
		dedicated[a.DomainID] = append(dedicated[a.DomainID], a.IPID)
	}
	candidates := map[uint64][]*identity.SendingIP{}
	domainSubj := map[uint64]*warmupSubject{}
	held := map[uint64]string{}
	for _, d := range domains {
		domainSubj[d.ID] = &warmupSubject{kind: "domain", id: d.ID, plan: d.WarmupPlan, day: d.WarmupDay, lastSent: d.WarmupLastSentOn, unlimited: d.WarmupPlan == WarmupNone}
		candidates[d.ID] = identity.SourcePool(allIPs, dedicated[d.ID])
		if !s.domains.CanSend(&d) {
			held[d.ID] = "Held: " + d.Name + " is not verified for sending, so nothing leaves for it; it goes once its DNS records are verified."
		}
	}
	ipSubj := map[uint64]*warmupSubject{}
	for _, ip := range allIPs {
		ipSubj[ip.ID] = &warmupSubject{kind: "ip", id: ip.ID, plan: ip.WarmupPlan, day: ip.WarmupDay, lastSent: ip.WarmupLastSentOn, unlimited: ip.WarmupPlan == WarmupNone}
	}
	prepared := map[*warmupSubject]bool{}
	prepare := func(w *warmupSubject) error {
		if prepared[w] {
			return nil
		}
		prepared[w] = true
		return s.prepareToday(tx, w, today)
	}

	var waiting []uint64
	holding := map[uint64][]uint64{} // by domain
	routes := map[[2]string]*route{} // by source IP and warm-up day
	spent := map[*warmupSubject]int{}
	for _, m := range msgs {
		if _, ok := held[m.DomainID]; ok {
			holding[m.DomainID] = append(holding[m.DomainID], m.ID)
			continue
		}
		pool := candidates[m.DomainID]
		if len(pool) == 0 {
			return nil, fmt.Errorf("no sending IP at all: the default route entry is missing")
		}
		start := int(m.ID % uint64(len(pool)))
		var chosen *identity.SendingIP
		if m.Transactional {
			chosen = pool[start]
		} else {
			dom := domainSubj[m.DomainID]
			if err := prepare(dom); err != nil {
				return nil, err
			}
			if dom.unlimited || dom.remaining > 0 {
				for k := range pool {
					ip := pool[(start+k)%len(pool)]
					w := ipSubj[ip.ID]
					if err := prepare(w); err != nil {
						return nil, err
					}
					if w.unlimited || w.remaining > 0 {
						chosen = ip
						if !w.unlimited {
							w.remaining--
							spent[w]++
						}
						break
					}
				}
				if chosen != nil && !dom.unlimited {
					dom.remaining--
					spent[dom]++
				}
			}
		}
		if chosen == nil {
			waiting = append(waiting, m.ID)
			continue
		}
		r := route{sourceIP: chosen.Address}
		if !m.Transactional {
			r.sentOn = today
		}
		key := [2]string{r.sourceIP, r.sentOn}
		if routes[key] == nil {
			routes[key] = &r
		}
		routes[key].ids = append(routes[key].ids, m.ID)
		routes[key].created.Add(m.CreatedAt)
	}
	for w, n := range spent {
		if err := tx.Model(&WarmupUsage{}).Where("subject = ? AND subject_id = ? AND day = ?", w.kind, w.id, today).
			Updates(map[string]any{"sent": gorm.Expr("sent + ?", n), "quota": w.quota}).Error; err != nil {
			return nil, err
		}
	}
	if len(waiting) > 0 {
		inIDs, idList := s.IDsIn("id", waiting)
		if err := tx.Model(&Message{}).Where(inIDs, idList).Updates(map[string]any{
			"status": models.StatusQuotaWait, "next_attempt_at": now.Add(QuotaWaitDelay), "lease_owner": "", "lease_until": nil,
			"last_reply": "Today's warm-up quota is used up; released in 24 hours.",
		}).Error; err != nil {
			return nil, err
		}
	}
	for domainID, ids := range holding {
		inIDs, idList := s.IDsIn("id", ids)
		if err := tx.Model(&Message{}).Where(inIDs, idList).Updates(map[string]any{
			"next_attempt_at": now.Add(identity.PendingRecheckEvery), "lease_owner": "", "lease_until": nil, "last_reply": held[domainID],
		}).Error; err != nil {
			return nil, err
		}
	}
	out := make([]route, 0, len(routes))
	for _, r := range routes {
		out = append(out, *r)
	}
	return out, nil
}

// ExtendLeases keeps the messages owner is still working on leased: it
// renews those with less than two thirds of a lease left. The engine calls
// it every third of a lease, so each lease is renewed while a third of it
// remains at least, and the messages claimed since the last call (nearly
// all of them: most are sent within seconds) are not written again. A
// renewal of every lease rewrote thousands of rows, which held up the
// result writes waiting for their locks.
func (s *Queue) ExtendLeases(ctx context.Context, owner string, lease time.Duration) error {
	now := s.Now()
	return s.Gorm.WithContext(ctx).Model(&Message{}).
		Where("status = ? AND lease_owner = ? AND lease_until < ?", models.StatusSending, owner, now.Add(lease*2/3)).
		Update("lease_until", now.Add(lease)).Error
}
