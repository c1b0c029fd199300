package mailer

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// EngineStores are what the delivery engine reads and writes.
type EngineStores struct {
	Queue        EngineQueue
	Domains      EngineDomains
	IPs          EngineIPs
	Suppressions EngineSuppressions
}

// EngineQueue is the queue the engine claims from and records into, with
// the destinations' throttles.
type EngineQueue interface {
	ClaimMessages(ctx context.Context, owner string, limit int, lease time.Duration) ([]queue.Message, error)
	RecordResults(ctx context.Context, owner string, results []queue.DeliveryResult) error
	ExtendLeases(ctx context.Context, owner string, lease time.Duration) error
	GetMessageContent(ctx context.Context, id uint64) (*queue.MessageContent, error)
	GetMessageContents(ctx context.Context, ids []uint64) ([]queue.MessageContent, error)
	ThrottleDestination(ctx context.Context, t queue.DestinationThrottle) error
	EndThrottle(ctx context.Context, destination, sourceIP string) error
	ThrottlesUntil(ctx context.Context, t time.Time) ([]queue.DestinationThrottle, error)
}

// EngineDomains gives a domain's name and signing keys.
type EngineDomains interface {
	GetDomain(ctx context.Context, id uint64) (*identity.Domain, error)
	SigningKeys(ctx context.Context, domainID uint64) ([]identity.SigningKey, error)
}

// EngineIPs gives the sending addresses' HELO names.
type EngineIPs interface {
	ListSendingIPs(ctx context.Context) ([]identity.SendingIP, error)
}

// EngineSuppressions says which recipients must not be sent to.
type EngineSuppressions interface {
	SuppressedAmong(ctx context.Context, senderDomain string, emails []string) (map[string]audience.Suppression, error)
}

// EngineConfig tunes the engine; zero values take the defaults.
type EngineConfig struct {
	Owner       string        // lease owner: unique per process
	BatchSize   int           // messages per claim (200)
	MaxInFlight int           // claimed and not yet recorded (4,000)
	Lease       time.Duration // how long a claim holds (1 minute, renewed)
	MaxSessions int           // connections at once, all destinations (64)
	MaxPerDest  int           // connections per destination (10)
	Idle        time.Duration // wait between empty claims (1 second)
	// ClaimPause is the wait after a claim that came back short of a full
	// batch (25 ms): what falls due meanwhile is claimed together, not a
	// few messages per claim, each claim a write transaction beside the
	// API's (on SQLite, the one writer's turn).
	ClaimPause     time.Duration
	ConnIdle       time.Duration // an unused connection closes after (5 seconds)
	Retry          RetryPolicy
	BounceHost     string             // HELO name of the default route
	RecordInterval time.Duration      // longest a result waits to be written (100 ms)
	Signer         outgoing.RSASigner // SignerGo: RSA signatures by crypto/rsa even where libcrypto 3 loads
	// ShutdownTimeout is how long deliveries under way and the writing of
	// their results may outlast the end of Run's context (30 seconds).
	ShutdownTimeout time.Duration
}

func (c *EngineConfig) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.BatchSize, 200)
	def(&c.MaxInFlight, 4000)
	def(&c.MaxSessions, 64)
	def(&c.MaxPerDest, 10)
	durations := []struct {
		v *time.Duration
		d time.Duration
	}{{&c.Lease, time.Minute}, {&c.Idle, time.Second}, {&c.ConnIdle, 5 * time.Second}, {&c.RecordInterval, 100 * time.Millisecond},
		{&c.ShutdownTimeout, 30 * time.Second}}
	for _, x := range durations {
		if *x.v <= 0 {
			*x.v = x.d
		}
	}
	if c.ClaimPause == 0 { // negative stays: no pause
		c.ClaimPause = 25 * time.Millisecond
	}
	if len(c.Retry.Schedule) == 0 {
		c.Retry.Schedule = DefaultRetryPolicy.Schedule
	}
	if c.Retry.MaxAge <= 0 {
		c.Retry.MaxAge = DefaultRetryPolicy.MaxAge
	}
	if c.BounceHost == "" { // an empty HELO is a syntax error to every server
		c.BounceHost, _ = os.Hostname()
		if c.BounceHost == "" {
			c.BounceHost = "localhost"
		}
	}
}

// Engine delivers the queue: it claims due messages in batches, builds and
// signs each in a bounded pool of workers that reuse connections per
// destination, and records outcomes in batches.
type Engine struct {
	store     EngineStores
	transport Transport
	builder   *outgoing.Builder
	clock     models.Clock
	log       *slog.Logger
	cfg       EngineConfig

	results  chan queue.DeliveryResult
	inFlight atomic.Int64
	freed    chan struct{} // signalled when results are recorded

	mu        sync.Mutex
	lanes     map[laneKey]*lane
	perDest   map[string]int
	sessions  int
	throttles map[laneKey]throttleState
	contents  map[uint64]*compiled
	// prefetched holds contents a claim loaded, until their first message
	// compiles them into contents.
	prefetched map[uint64]*queue.MessageContent
	keys       map[uint64]domainKeys
	helos      map[string]string
	workers    sync.WaitGroup
}

type compiled struct {
	row      *queue.MessageContent
	template *outgoing.Template
	err      error
}

type domainKeys struct {
	name    string
	keys    []identity.SigningKey
	fetched time.Time
}

// backlogPerConnection is how many waiting messages justify opening
// another connection to a destination.
const backlogPerConnection = 4

// lane is the queue of one destination from one source IP: its workers
// each hold one connection.
type lane struct {
	laneKey
	jobs    chan *queue.Message
	workers int
}

// NewEngine builds an engine.
func NewEngine(store EngineStores, transport Transport, builder *outgoing.Builder, clock models.Clock, log *slog.Logger, cfg EngineConfig) *Engine {
	cfg.defaults()
	return &Engine{
		store: store, transport: transport, builder: builder, clock: clock, log: log.With("component", "delivery"), cfg: cfg,
		freed: make(chan struct{}, 1),
		lanes: map[laneKey]*lane{}, perDest: map[string]int{}, throttles: map[laneKey]throttleState{},
		contents: map[uint64]*compiled{}, prefetched: map[uint64]*queue.MessageContent{}, keys: map[uint64]domainKeys{}, helos: map[string]string{},
	}
}

// Busy reports that messages are claimed and not yet recorded: the engine
// is delivering, and whatever else the process does gives way to it.
func (e *Engine) Busy() bool { return e.inFlight.Load() > 0 }

// Run delivers until ctx ends, then lets the connections in use finish,
// hands back what was claimed but not started, and records every outcome,
// all within ShutdownTimeout: after it, deliveries under way are cut and
// outcomes not yet written are given up. Their messages stay leased and
// are delivered again once the lease runs out, with the same Message-ID.
func (e *Engine) Run(ctx context.Context) error { return e.run(ctx, false) }

// RunUntilIdle delivers until no message is due and every outcome is
// recorded: a whole delivery round, for tests and tools.
func (e *Engine) RunUntilIdle(ctx context.Context) error { return e.run(ctx, true) }

func (e *Engine) run(ctx context.Context, untilIdle bool) error {
	e.results = make(chan queue.DeliveryResult, e.cfg.MaxInFlight)
	// workCtx outlives ctx by ShutdownTimeout at most: deliveries under way
	// and the recorder finish in it.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	defer context.AfterFunc(ctx, func() { time.AfterFunc(e.cfg.ShutdownTimeout, stopWork) })()
	recorded := make(chan struct{})
	go func() {
		e.record(workCtx)
		close(recorded)
	}()
	heartbeat := time.NewTicker(e.cfg.Lease / 3)
	defer heartbeat.Stop()
	for ctx.Err() == nil {
		select {
		case <-heartbeat.C:
			if err := e.store.Queue.ExtendLeases(ctx, e.cfg.Owner, e.cfg.Lease); err != nil && ctx.Err() == nil {
				e.log.ErrorContext(ctx, "extend leases", "err", err)
			}
		default:
		}
		if e.inFlight.Load()+int64(e.cfg.BatchSize) > int64(e.cfg.MaxInFlight) {
			select {
			case <-ctx.Done():
			case <-e.freed:
			case <-heartbeat.C:
				_ = e.store.Queue.ExtendLeases(ctx, e.cfg.Owner, e.cfg.Lease)
			}
			continue
		}
		n, cerr := e.claim(ctx, workCtx)
		if cerr != nil && ctx.Err() == nil {
			e.log.ErrorContext(ctx, "claim", "err", cerr)
		}
		if untilIdle && n == 0 && cerr == nil {
			if e.inFlight.Load() == 0 {
				break
			}
			select {
			case <-ctx.Done():
			case <-e.freed:
			}
			continue
		}
		switch {
		case n == 0 || cerr != nil:
			select {
			case <-ctx.Done():
			case <-e.clock.After(e.cfg.Idle):
			}
		case n < e.cfg.BatchSize && !untilIdle && e.cfg.ClaimPause > 0:
			// Pacing, not a schedule: in real time, so that a test's
			// manual clock does not hold delivery up.
			pause := time.NewTimer(e.cfg.ClaimPause)
			select {
			case <-ctx.Done():
			case <-pause.C:
			}
			pause.Stop()
		}
	}
	e.drain()
	e.workers.Wait()
	close(e.results)
	<-recorded
	if untilIdle {
		return ctx.Err()
	}
	return nil
}

// claim takes a batch and hands each message to its lane.
func (e *Engine) claim(ctx, workCtx context.Context) (int, error) {
	msgs, err := e.store.Queue.ClaimMessages(ctx, e.cfg.Owner, e.cfg.BatchSize, e.cfg.Lease)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	e.inFlight.Add(int64(len(msgs)))
	e.prefetchContents(ctx, msgs)
	if err := e.refreshIPs(ctx); err != nil {
		e.log.WarnContext(ctx, "sending IPs", "err", err)
	}
	byDomain := map[uint64][]*queue.Message{}
	for i := range msgs {
		byDomain[msgs[i].DomainID] = append(byDomain[msgs[i].DomainID], &msgs[i])
	}
	for domainID, group := range byDomain {
		dk, err := e.domainKeys(ctx, domainID)
		if err != nil {
			for _, m := range group {
				e.finish(m, models.StatusDeferred, "signing keys unavailable: "+err.Error(), nil)
			}
			continue
		}
		emails := make([]string, len(group))
		for i, m := range group {
			emails[i] = m.Recipient
		}
		suppressed, err := e.store.Suppressions.SuppressedAmong(ctx, dk.name, emails)
		if err != nil {
			for _, m := range group {
				e.finish(m, models.StatusDeferred, "suppression list unavailable: "+err.Error(), nil)
			}
			continue
		}
		for _, m := range group {
			if s, ok := suppressed[m.Recipient]; ok {
				e.finish(m, models.StatusSuppressed, "on the suppression list: "+s.Reason.Label(), nil)
				continue
			}
			e.dispatch(workCtx, m)
		}
	}
	return len(msgs), nil
}

// finish hands an outcome to the recorder.
func (e *Engine) finish(m *queue.Message, status models.MessageStatus, reply string, mutate func(*queue.DeliveryResult)) {
	r := queue.DeliveryResult{Message: m, Status: status, Reply: reply}
	if mutate != nil {
		mutate(&r)
	}
	e.results <- r
}

func (e *Engine) dispatch(ctx context.Context, m *queue.Message) {
	d := &Delivery{Message: m, SourceIP: m.SourceIP}
	dest := e.transport.Destination(d)
	key := laneKey{dest, m.SourceIP}
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.lanes[key]
	if l == nil {
		l = &lane{laneKey: key, jobs: make(chan *queue.Message, e.cfg.MaxInFlight)}
		e.lanes[key] = l
	}
	l.jobs <- m
	// One connection per lane, and another whenever the backlog outgrows
	// what the open ones will clear soon, up to the per-destination cap.
	backlogged := len(l.jobs) > backlogPerConnection*l.workers
	if l.workers == 0 || (backlogged && e.perDest[dest] < e.cfg.MaxPerDest && e.sessions < e.cfg.MaxSessions) {
		l.workers++
		e.perDest[dest]++
		e.sessions++
		e.workers.Add(1)
		go e.work(ctx, l)
	}
}

// work delivers a lane's messages over one connection until the lane has
// been idle for ConnIdle.
func (e *Engine) work(ctx context.Context, l *lane) {
	defer e.workers.Done()
	var sess Session
	defer func() {
		if sess != nil {
			sess.Close()
		}
	}()
	idle := time.NewTimer(e.cfg.ConnIdle)
	defer idle.Stop()
	for {
		var m *queue.Message
		select {
		case m = <-l.jobs:
		case <-idle.C:
			e.mu.Lock()
			if len(l.jobs) > 0 {
				e.mu.Unlock()
				idle.Reset(e.cfg.ConnIdle)
				continue
			}
			e.leave(l)
			e.mu.Unlock()
			return
		}
		if m == nil { // drained: the engine is stopping
			e.mu.Lock()
			e.leave(l)
			e.mu.Unlock()
			return
		}
		sess = e.deliver(ctx, l, m, sess)
		idle.Reset(e.cfg.ConnIdle)
	}
}

// leave takes a worker off its lane; the caller holds mu.
func (e *Engine) leave(l *lane) {
	l.workers--
	e.perDest[l.dest]--
	e.sessions--
}

// deliver builds and sends one message, returning the session to reuse.
func (e *Engine) deliver(ctx context.Context, l *lane, m *queue.Message, sess Session) Session {
	now := e.clock.Now()
	if t, ok := e.throttled(l.laneKey, now); ok {
		reply := "not sent: " + l.dest + " asked to slow down until " + t.until.UTC().Format("15:04:05 UTC") +
			" (source: " + identity.SourceLabel(l.source) + "; reply: " + t.reason + ")"
		e.finish(m, models.StatusDeferred, reply, func(r *queue.DeliveryResult) { r.NextAttemptAt = t.until })
		return sess
	}
	c, dk, err := e.prepare(ctx, m)
	if err != nil {
		e.finish(m, models.StatusFailed, err.Error(), nil)
		return sess
	}
	built, err := e.builder.Build(&outgoing.Outgoing{Message: m, Content: c.row, Template: c.template, Domain: dk.name, Keys: dk.keys})
	if err != nil {
		e.finish(m, models.StatusFailed, "cannot build the message: "+err.Error(), nil)
		return sess
	}
	d := &Delivery{Message: m, From: outgoing.EnvelopeFrom(m.UID, dk.name), Data: built.Data, SourceIP: m.SourceIP, Helo: e.helo(m.SourceIP)}
	var out Outcome
	if sess == nil {
		var oerr error
		if sess, oerr = e.transport.Open(ctx, l.dest, d); oerr != nil {
			sess = nil
			var open *OpenError
			out = Outcome{Status: models.StatusDeferred, Reply: oerr.Error()}
			if errors.As(oerr, &open) {
				out.Throttle = open.Throttle
				if open.Permanent {
					out.Status = models.StatusBounced
				}
			}
		}
	}
	if sess != nil {
		out = sess.Send(ctx, d)
		if out.Broken {
			sess.Close()
			sess = nil
		}
	}
	switch {
	case ctx.Err() != nil:
		// Cut short at shutdown: says nothing about the destination.
	case out.Throttle:
		e.throttle(ctx, l.laneKey, out.Reply, now)
	case out.Status == models.StatusDelivered:
		e.delivered(ctx, l.laneKey, now)
	}
	e.finish(m, out.Status, out.Reply, func(r *queue.DeliveryResult) {
		switch out.Status {
		case models.StatusBounced:
			r.HardBounce = true
		case models.StatusDeferred:
			next := now.Add(e.cfg.Retry.Delay(m.Attempts, out.Reply))
			if next.Sub(m.CreatedAt) > e.cfg.Retry.MaxAge {
				r.Status = models.StatusFailed
				r.Reply = "gave up after " + formatAttempts(m.Attempts) + " over " + e.cfg.Retry.MaxAge.String() + ": " + out.Reply
			}
			r.NextAttemptAt = next
		}
		if out.KeepCopy {
			r.Sandbox, r.SandboxSubject, r.EnvelopeFrom = built.Data, built.Subject, d.From
		}
	})
	if !out.KeepCopy {
		built.Release()
	}
	return sess
}

func formatAttempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return itoa(n) + " attempts"
}

// drain hands back messages claimed but not started: they go back to the
// queue at once instead of waiting for their lease to run out.
func (e *Engine) drain() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range e.lanes {
		for n := len(l.jobs); n > 0; n-- {
			m := <-l.jobs
			e.results <- queue.DeliveryResult{Message: m, Status: models.StatusQueued, Reply: "handed back at shutdown", NextAttemptAt: m.NextAttemptAt}
		}
		for i := 0; i < l.workers; i++ {
			l.jobs <- nil
		}
	}
}

// record writes outcomes in batches until the results channel closes. A
// failed write is retried until ctx ends: the messages stay leased
// meanwhile, and outcomes given up only mean they are delivered again.
func (e *Engine) record(ctx context.Context) {
	batch := make([]queue.DeliveryResult, 0, 500)
	ticker := time.NewTicker(e.cfg.RecordInterval)
	defer ticker.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		for attempt := 1; ; attempt++ {
			err := e.store.Queue.RecordResults(ctx, e.cfg.Owner, batch)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				e.log.Error("delivery results not recorded at shutdown: their messages are delivered again once their lease runs out",
					"messages", len(batch), "err", err)
				break
			}
			e.log.Error("record delivery results", "err", err, "attempt", attempt)
			select {
			case <-ctx.Done():
			case <-time.After(min(time.Duration(attempt)*time.Second, 10*time.Second)):
			}
		}
		e.inFlight.Add(-int64(len(batch)))
		batch = batch[:0]
		select {
		case e.freed <- struct{}{}:
		default:
		}
	}
	for {
		select {
		case r, ok := <-e.results:
			if !ok {
				flush()
				return
			}
			batch = append(batch, r)
			if len(batch) >= cap(batch) {
				flush()
			}
		case <-ticker.C:
			flush()
		}
	}
}
