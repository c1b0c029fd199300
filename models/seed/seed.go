package seed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/models/tracking"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// SeedOptions says how much made-up sending history SeedEvents writes.
type SeedOptions struct {
	Events int // about how many message events
	Days   int // spread over the whole hours of this many days before now
}

// SeedResult is what SeedEvents wrote.
type SeedResult struct {
	Messages, Events, StatsRows int64
	Domains, Tasks              []uint64
}

// The seeded history: seedDomains sending domains, seedTasks campaigns one
// after the other (each on one domain, over its share of the hours), and
// transactional mail from every domain all along. Recipients are spread
// over the mailbox providers.
const (
	seedDomains     = 4
	seedTasks       = 12
	seedBatch       = 400_000 // messages per transaction
	seedCycle       = 25      // message i behaves as seedPattern says for i % seedCycle
	seedUnsubEvery  = 500     // message i unsubscribes when i % seedUnsubEvery == 2
	seedComplaintOf = 2000    // message i complains when i % seedComplaintOf == 3
	seedMaxOffset   = 3000    // a message is created this many seconds into its hour at most…
	// …and its events follow within 600 seconds: all in the same hour, so
	// the rollup can be summed from the messages.
)

var (
	seedRecipientDomains = []string{"gmail.com", "gmail.com", "gmail.com", "googlemail.com", "outlook.com", "hotmail.com",
		"yahoo.com", "qq.com", "qq.com", "163.com", "icloud.com", "example.org", "example.net"}
	// No "?" in these: gorm would take it for a placeholder in the SQL they are quoted into.
	seedURLs = []string{"https://shop.example/sale", "https://shop.example/new", "https://blog.example/spring",
		"https://shop.example/account", "https://help.example/faq", "https://shop.example/gift-cards"}
)

const (
	seedPerson  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	seedProxy   = "Mozilla/5.0 (compatible; Proofpoint URL Defense)"
	seedScanner = "Mozilla/5.0 (compatible; Barracuda Sentinel)"
)

// seedEvent is one event of every message of a kind.
type seedEvent struct {
	Kind    int
	Seq     int
	Type    string
	Secs    int // after the message was created
	Machine bool
	Click   bool
	Agent   string
}

// seedPattern is what happens to each kind of message: 4% bounce after a
// deferral, 4% are delivered after one, the rest at once; 36% are opened
// three times and 12% clicked twice, by people; 24% are fetched by a
// privacy proxy and 4% clicked by a link scanner.
var seedPattern = func() []seedEvent {
	var out []seedEvent
	add := func(k int, typ string, after int, machine, click bool, agent string) {
		out = append(out, seedEvent{Kind: k, Seq: len(out), Type: typ, Secs: after, Machine: machine, Click: click, Agent: agent})
	}
	for k := range seedCycle {
		switch k {
		case 0:
			add(k, string(models.StatusDeferred), 60, false, false, "")
			add(k, string(models.StatusBounced), 600, false, false, "")
			continue
		case 1:
			add(k, string(models.StatusDeferred), 60, false, false, "")
			add(k, string(models.StatusDelivered), 400, false, false, "")
		default:
			add(k, string(models.StatusDelivered), 5, false, false, "")
		}
		if k >= 2 && k <= 10 {
			for _, after := range []int{120, 300, 500} {
				add(k, string(tracking.EngagementOpen), after, false, false, seedPerson)
			}
		}
		if k >= 2 && k <= 4 {
			for _, after := range []int{180, 420} {
				add(k, string(tracking.EngagementClick), after, false, true, seedPerson)
			}
		}
		if k >= 11 && k <= 16 {
			add(k, string(tracking.EngagementOpen), 7, true, false, seedProxy)
		}
		if k == 5 {
			add(k, string(tracking.EngagementClick), 8, true, true, seedScanner)
		}
	}
	return out
}()

// seedFirst maps each kind to the offset of its first event matching keep.
func seedFirst(keep func(seedEvent) bool) map[int]int {
	out := map[int]int{}
	for _, e := range seedPattern {
		if _, seen := out[e.Kind]; !seen && keep(e) {
			out[e.Kind] = e.Secs
		}
	}
	return out
}

// sqlCase is CASE expr WHEN k THEN v … ELSE otherwise END over the keys in order.
func sqlCase(expr string, values map[int]string, otherwise string) string {
	keys := make([]int, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("CASE " + expr)
	for _, k := range keys {
		b.WriteString(" WHEN " + strconv.Itoa(k) + " THEN " + values[k])
	}
	b.WriteString(" ELSE " + otherwise + " END")
	return b.String()
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// seedList is CASE expr WHEN 0 THEN items[0] … over a list.
func seedList[T any](expr string, items []T, format func(T) string) string {
	m := make(map[int]string, len(items))
	for i, it := range items {
		m[i] = format(it)
	}
	return sqlCase(expr, m, "NULL")
}

// SeedEvents writes made-up sending history for benchmarks and demos: about
// opts.Events message events, with their messages and the rollup rows they
// would have produced (hourly counts, link clicks, warm-up usage), over the
// whole hours of opts.Days days before now. Everything is written by
// set-based statements, a batch of messages per transaction, so millions
// take seconds to minutes. Run it on a quiet database: it relies on the
// messages of one statement getting consecutive ids, and says so when not.
func (s *Seeder) SeedEvents(ctx context.Context, opts SeedOptions) (SeedResult, error) {
	var res SeedResult
	if opts.Events < 1 || opts.Days < 1 {
		return res, errors.New("seed: give a positive number of events and days")
	}
	perCycle := len(seedPattern)
	messages := int64(float64(opts.Events) * seedCycle / (float64(perCycle) + seedCycle/float64(seedUnsubEvery) + seedCycle/float64(seedComplaintOf)))
	messages = max(messages, 1)
	hours := int64(opts.Days) * 24
	start := s.Now().Truncate(time.Hour).Add(-time.Duration(hours) * time.Hour)

	domains, tasks, runs, content, err := s.seedParts(ctx, start, hours)
	if err != nil {
		return res, err
	}
	res.Domains, res.Tasks = domains, tasks
	names := make([]string, len(domains))
	if err := s.Gorm.WithContext(ctx).Model(&identity.Domain{}).Where("id IN ?", domains).Order("id").Pluck("name", &names).Error; err != nil {
		return res, err
	}
	links := map[tracking.LinkKey]int64{}
	bulk := map[queue.UsageKey]int{}
	for lo := int64(1); lo <= messages; lo += seedBatch {
		hi := min(lo+seedBatch-1, messages)
		// Its statements take seconds by design: no slow-query warnings
		// (each would print a page of SQL).
		quiet := s.Gorm.WithContext(ctx).Session(&gorm.Session{Logger: s.Gorm.Logger.LogMode(logger.Error)})
		err := quiet.Transaction(func(tx *gorm.DB) error {
			return s.seedBatch(tx, seedSpan{lo: lo, hi: hi, total: messages, hours: hours, start: start,
				domains: domains, names: names, tasks: tasks, runs: runs, content: content}, &res, links, bulk)
		})
		if err != nil {
			return res, err
		}
	}
	if err := tracking.WriteLinkClicks(s.Gorm.WithContext(ctx), links); err != nil {
		return res, err
	}
	return res, s.seedWarmupUsage(ctx, bulk)
}

// seedParts makes (or finds, when seeded before) the domains, the
// campaigns with a run each, and the content the messages share.
func (s *Seeder) seedParts(ctx context.Context, start time.Time, hours int64) (domains, taskIDs, runs []uint64, content uint64, err error) {
	db := s.Gorm.WithContext(ctx)
	now := s.Now()
	for i := range seedDomains {
		d := identity.Domain{Name: "seed-" + string(rune('a'+i)) + ".example", VerifyToken: "seed", Status: identity.DomainVerified, VerifiedAt: &now,
			NextCheckAt: now.AddDate(10, 0, 0), WarmupPlan: queue.WarmupStandard, WarmupDay: 1, CreatedAt: now, UpdatedAt: now}
		if err := db.Where("name = ?", d.Name).FirstOrCreate(&d).Error; err != nil {
			return nil, nil, nil, 0, err
		}
		domains = append(domains, d.ID)
	}
	for i := range seedTasks {
		at := start.Add(time.Duration(int64(i)*hours/seedTasks) * time.Hour)
		t := tasks.Task{Name: fmt.Sprintf("Seed campaign %d", i+1), Kind: tasks.TaskBatch, StartAt: at, TimeZone: "UTC", VariableDefaults: "{}",
			TrackOpens: true, TrackClicks: true, Status: tasks.TaskCompleted, RunsStarted: 1, CreatedAt: at, UpdatedAt: now}
		if err := db.Where("name = ?", t.Name).FirstOrCreate(&t).Error; err != nil {
			return nil, nil, nil, 0, err
		}
		r := tasks.TaskRun{TaskID: t.ID, ScheduledFor: t.StartAt, Status: tasks.RunCompleted, StartedAt: &t.StartAt, FinishedAt: &now, CreatedAt: t.StartAt}
		if err := db.Where("task_id = ?", t.ID).FirstOrCreate(&r).Error; err != nil {
			return nil, nil, nil, 0, err
		}
		taskIDs, runs = append(taskIDs, t.ID), append(runs, r.ID)
	}
	c := queue.MessageContent{Subject: "Seeded message", HTML: "<p>Seeded</p>", TrackOpens: true, TrackClicks: true, CreatedAt: now}
	err = db.Create(&c).Error
	return domains, taskIDs, runs, c.ID, err
}

// seedSpan is one batch of seeded messages, i from lo to hi of total.
type seedSpan struct {
	lo, hi, total, hours int64
	start                time.Time
	domains, tasks, runs []uint64
	names                []string
	content              uint64
}

// Dialect-specific pieces of the seeding statements.

// seriesSQL yields i from ? to ? as the table g.
func (s *Seeder) seriesSQL() (with, from string) {
	if s.Dialect() == db.Postgres {
		return "", "generate_series(CAST(? AS BIGINT), CAST(? AS BIGINT)) AS g(i)"
	}
	return "WITH RECURSIVE g(i) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM g WHERE i < ?) ", "g"
}

// plusSeconds is the time base plus secs seconds, stored as the store
// stores times (SQLite: text in the driver's format, UTC).
func (s *Seeder) plusSeconds(base, secs string) string {
	if s.Dialect() == db.Postgres {
		return "(" + base + " + (" + secs + ") * INTERVAL '1 second')"
	}
	return "(strftime('%Y-%m-%d %H:%M:%S', " + base + ", '+' || (" + secs + ") || ' seconds') || '+00:00')"
}

// hourOf is the UTC hour a stored time falls in, as stats_hourly stores it.
func (s *Seeder) hourOf(col string) string {
	if s.Dialect() == db.Postgres {
		return "(date_trunc('hour', " + col + " AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
	}
	return "(substr(" + col + ", 1, 13) || ':00:00+00:00')"
}

// hourText is the same hour as text, "2006-01-02 15:00:00" in UTC, which
// both databases return alike.
func (s *Seeder) hourText(col string) string {
	if s.Dialect() == db.Postgres {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00:00')"
	}
	return "(substr(" + col + ", 1, 13) || ':00:00')"
}

func (s *Seeder) hexOf(expr string) string {
	if s.Dialect() == db.Postgres {
		return "lpad(to_hex(" + expr + "), 18, '0')"
	}
	return "printf('%018x', " + expr + ")"
}

// seedBatch writes messages lo to hi, their events and rollup rows, and
// adds their link clicks and bulk sends to links and bulk.
func (s *Seeder) seedBatch(tx *gorm.DB, sp seedSpan, res *SeedResult, links map[tracking.LinkKey]int64, bulk map[queue.UsageKey]int) error {
	var before uint64
	if err := tx.Model(&queue.Message{}).Select("COALESCE(MAX(id), 0)").Scan(&before).Error; err != nil {
		return err
	}
	with, from := s.seriesSQL()
	created := sqlQuote(sp.start.UTC().Format("2006-01-02 15:04:05+00:00"))
	if s.Dialect() == db.Postgres {
		created = "CAST(" + created + " AS TIMESTAMPTZ)"
	}
	created = s.plusSeconds(created, "h * 3600 + (i * 37) % "+strconv.Itoa(seedMaxOffset))
	// Per message i: its hour h of the span, its campaign t (odd i, the
	// campaign whose share of the hours h falls in; -1 for transactional
	// mail), its sending domain d and when it was created, c.
	inner := fmt.Sprintf(`SELECT i, h, t, CASE WHEN t >= 0 THEN t %% %[1]d ELSE (i / 2) %% %[1]d END AS d, %[6]s AS c FROM (
		SELECT i, h, CASE WHEN i %% 2 = 1 THEN h * %[2]d / %[3]d ELSE -1 END AS t FROM (
			SELECT i, ((i - 1) * %[3]d) / %[4]d AS h FROM %[5]s) AS a) AS b`, seedDomains, seedTasks, sp.hours, sp.total, from, created)
	formatID := func(id uint64) string { return strconv.FormatUint(id, 10) }
	rcptDomain := seedList("i % "+strconv.Itoa(len(seedRecipientDomains)), seedRecipientDomains, sqlQuote)
	provider := seedList("i % "+strconv.Itoa(len(seedRecipientDomains)), seedRecipientDomains, func(d string) string { return sqlQuote(queue.Provider(d)) })
	kind := "i % " + strconv.Itoa(seedCycle)
	at := func(secs string) string { return s.plusSeconds("c", secs) }
	bounced := map[int]string{}
	tries := map[int]int{}
	for _, e := range seedPattern {
		switch models.MessageStatus(e.Type) {
		case models.StatusBounced:
			bounced[e.Kind] = "'bounced'"
			tries[e.Kind]++
		case models.StatusDeferred, models.StatusDelivered:
			tries[e.Kind]++
		}
	}
	attempts := map[int]string{}
	for k, n := range tries {
		attempts[k] = strconv.Itoa(n)
	}
	delivered := seedFirst(func(e seedEvent) bool { return e.Type == string(models.StatusDelivered) })
	opened := seedFirst(func(e seedEvent) bool { return e.Type == string(tracking.EngagementOpen) && !e.Machine })
	clicked := seedFirst(func(e seedEvent) bool { return e.Type == string(tracking.EngagementClick) && !e.Machine })
	atOr := func(offsets map[int]int) string {
		m := map[int]string{}
		for k, v := range offsets {
			m[k] = at(strconv.Itoa(v))
		}
		return sqlCase(kind, m, "NULL")
	}
	// A tag of this batch makes its uids and recipients its own, so seeding
	// again adds messages rather than clashing with the last ones.
	// The random end of a uid: its start is the time, the same for seeds
	// made in the same quarter of a second.
	tag := queue.NewMessageUID()[18:]
	// Recipients (and uids) grow with i, so their indexes are appended to
	// rather than split all over.
	rcpt := "'u' || " + s.hexOf("i") + " || '-" + tag + "@' || " + rcptDomain
	msgSQL := with + `INSERT INTO messages (uid, content_id, variables, domain_id, from_email, from_name, recipient, recipient_domain, provider,
		task_id, run_id, transactional, status, attempts, next_attempt_at, lease_owner, last_reply, source_ip, sent_on,
		created_at, updated_at, delivered_at, opened_at, clicked_at, unsubscribed_at)
	SELECT '` + tag + `' || ` + s.hexOf("i") + `, ` + formatID(sp.content) + `, '{}', ` + seedList("d", sp.domains, formatID) + `,
		'news@' || ` + seedList("d", sp.names, sqlQuote) + `, 'Seed', ` + rcpt + `, ` + rcptDomain + `, ` + provider + `,
		` + seedList("t", sp.tasks, formatID) + `, ` + seedList("t", sp.runs, formatID) + `, t < 0,
		` + sqlCase(kind, bounced, "'delivered'") + `, ` + sqlCase(kind, attempts, "1") + `, c, '',
		` + sqlCase(kind, map[int]string{0: "CASE WHEN (i / 50) % 2 = 0 THEN '550 5.1.1 <' || " + rcpt + " || '>: Recipient address rejected: User unknown' " +
		"ELSE '552 5.2.2 <' || " + rcpt + " || '>: Mailbox full' END"}, "'250 2.0.0 Ok: queued'") + `, '', '',
		c, c, ` + atOr(delivered) + `, ` + atOr(opened) + `, ` + atOr(clicked) + `,
		CASE WHEN i % ` + strconv.Itoa(seedUnsubEvery) + ` = 2 THEN ` + at("540") + ` ELSE NULL END
	FROM (` + inner + `) AS m`
	r := tx.Exec(msgSQL, sp.lo, sp.hi)
	if r.Error != nil {
		return fmt.Errorf("seed messages: %w", r.Error)
	}
	var span struct{ Lo, Hi, N int64 }
	if err := tx.Model(&queue.Message{}).Select("MIN(id) AS lo, MAX(id) AS hi, COUNT(*) AS n").Where("id > ?", before).Scan(&span).Error; err != nil {
		return err
	}
	if span.N != sp.hi-sp.lo+1 || span.Hi-span.Lo+1 != span.N {
		return errors.New("seed: other messages were written while seeding; run it on a quiet database")
	}
	res.Messages += span.N
	// Message i is the row with id i + offset.
	offset := span.Lo - sp.lo
	i := "(m.id - " + strconv.FormatInt(offset, 10) + ")"

	if err := tx.Exec(`CREATE TEMP TABLE seed_pattern (kind INTEGER NOT NULL, seq INTEGER NOT NULL, type VARCHAR(16) NOT NULL,
		secs INTEGER NOT NULL, machine BOOLEAN NOT NULL, click BOOLEAN NOT NULL, agent VARCHAR(200) NOT NULL, PRIMARY KEY (kind, seq))`).Error; err != nil {
		return fmt.Errorf("seed pattern table: %w", err)
	}
	if err := tx.Table("seed_pattern").Create(seedPattern).Error; err != nil {
		return fmt.Errorf("seed pattern rows: %w", err)
	}
	url := seedList("("+i+" / "+strconv.Itoa(seedCycle)+") % "+strconv.Itoa(len(seedURLs)), seedURLs, sqlQuote)
	events := []string{`INSERT INTO message_events (message_id, type, at, detail, source_ip, url, user_agent, client_ip, machine)
		SELECT m.id, p.type, ` + s.plusSeconds("m.created_at", "p.secs") + `,
			CASE p.type WHEN 'bounced' THEN m.last_reply WHEN 'deferred' THEN '451 4.7.1 Greylisted: try again later'
				WHEN 'delivered' THEN '250 2.0.0 Ok: queued' ELSE '' END,
			'', CASE WHEN p.click THEN ` + url + ` ELSE '' END, p.agent,
			CASE WHEN p.agent = '' THEN '' ELSE '198.51.100.' || (m.id % 250) END, p.machine
		FROM messages m JOIN seed_pattern p ON p.kind = ` + i + ` % ` + strconv.Itoa(seedCycle) + `
		WHERE m.id >= ? AND m.id <= ?`,
		`INSERT INTO message_events (message_id, type, at, detail) SELECT m.id, 'unsubscribed', m.unsubscribed_at, 'one-click'
		FROM messages m WHERE m.id >= ? AND m.id <= ? AND m.unsubscribed_at IS NOT NULL`,
		`INSERT INTO message_events (message_id, type, at, detail) SELECT m.id, 'complained', ` + s.plusSeconds("m.created_at", "590") + `, 'abuse report from seed'
		FROM messages m WHERE m.id >= ? AND m.id <= ? AND ` + i + ` % ` + strconv.Itoa(seedComplaintOf) + ` = 3`,
	}
	for _, q := range events {
		r := tx.Exec(q, span.Lo, span.Hi)
		if r.Error != nil {
			return fmt.Errorf("seed events: %w", r.Error)
		}
		res.Events += r.RowsAffected
	}
	if err := tx.Exec("DROP TABLE seed_pattern").Error; err != nil {
		return fmt.Errorf("seed pattern table: %w", err)
	}

	// The rollups, summed from the messages: all their events fall in the
	// hour they were created.
	one := func(cond string) string { return "SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END)" }
	key := map[string]string{"hour": s.hourOf("m.created_at"), "domain_id": "m.domain_id", "provider": "m.provider", "task_id": "COALESCE(m.task_id, 0)"}
	count := map[string]string{"requested": "COUNT(*)", "accepted": "COUNT(*)", "delivered": one("m.status = 'delivered'"), "deferred": "SUM(m.attempts - 1)",
		"bounced": one("m.status = 'bounced'"), "opened": one("m.opened_at IS NOT NULL"), "clicked": one("m.clicked_at IS NOT NULL"),
		"unsubscribed": one("m.unsubscribed_at IS NOT NULL"), "complained": one(i + " % " + strconv.Itoa(seedComplaintOf) + " = 3")}
	for _, t := range queue.StatsTables {
		groups := make([]string, len(t.Keys))
		for j := range groups {
			groups[j] = strconv.Itoa(j + 1)
		}
		r = tx.Exec(t.UpsertSQL(key, count, "FROM messages m WHERE m.id >= ? AND m.id <= ?", strings.Join(groups, ", ")), span.Lo, span.Hi)
		if r.Error != nil {
			return fmt.Errorf("seed %s: %w", t.Name, r.Error)
		}
		if t.Name == queue.HourlyStats.Name {
			res.StatsRows += r.RowsAffected
		}
	}

	// Link clicks and bulk sends are kept per day of the configured zone,
	// which SQLite cannot work out: they are summed per hour here and per
	// day in Go.
	var clicks []struct {
		Hour     string
		DomainID uint64
		TaskID   uint64
		URL      string `gorm:"column:url"`
		N        int64
	}
	if err := tx.Raw(`SELECT `+s.hourText("e.at")+` AS hour, m.domain_id, COALESCE(m.task_id, 0) AS task_id, e.url, COUNT(*) AS n
		FROM message_events e JOIN messages m ON m.id = e.message_id
		WHERE e.message_id >= ? AND e.message_id <= ? AND e.type = 'clicked' AND NOT e.machine GROUP BY 1, 2, 3, 4`, span.Lo, span.Hi).Scan(&clicks).Error; err != nil {
		return fmt.Errorf("seed link clicks: %w", err)
	}
	for _, c := range clicks {
		h, err := time.Parse(time.DateTime, c.Hour)
		if err != nil {
			return err
		}
		links[tracking.LinkKey{Day: s.Day(h), DomainID: c.DomainID, TaskID: c.TaskID, Url: c.URL}] += c.N
	}
	var sends []struct {
		Hour     string
		DomainID uint64
		N        int
	}
	if err := tx.Raw(`SELECT `+s.hourText("m.created_at")+` AS hour, m.domain_id, COUNT(*) AS n FROM messages m
		WHERE m.id >= ? AND m.id <= ? AND m.task_id IS NOT NULL GROUP BY 1, 2`, span.Lo, span.Hi).Scan(&sends).Error; err != nil {
		return fmt.Errorf("seed bulk sends: %w", err)
	}
	for _, c := range sends {
		h, err := time.Parse(time.DateTime, c.Hour)
		if err != nil {
			return err
		}
		bulk[queue.UsageKey{Kind: queue.WarmupDomain, Id: c.DomainID, Day: s.Day(h)}] += c.N
	}
	return nil
}

// seedWarmupUsage records the seeded bulk sends as warm-up usage, each
// day's quota the first step of the standard plan that covers it.
func (s *Seeder) seedWarmupUsage(ctx context.Context, bulk map[queue.UsageKey]int) error {
	rows := make([]queue.WarmupUsage, 0, len(bulk))
	for k, sent := range bulk {
		quota := queue.StandardWarmupPlan[len(queue.StandardWarmupPlan)-1]
		for _, q := range queue.StandardWarmupPlan {
			if q >= sent {
				quota = q
				break
			}
		}
		rows = append(rows, queue.WarmupUsage{Subject: string(k.Kind), SubjectID: k.Id, Day: k.Day, Quota: max(quota, sent), Sent: sent})
	}
	if len(rows) == 0 {
		return nil
	}
	return s.Gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "subject"}, {Name: "subject_id"}, {Name: "day"}},
		DoUpdates: clause.Assignments(map[string]any{"sent": gorm.Expr("warmup_usage.sent + excluded.sent"), "quota": gorm.Expr("excluded.quota")}),
	}).CreateInBatches(&rows, s.RowsPerStatement(5)).Error
}
