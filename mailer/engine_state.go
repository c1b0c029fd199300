package mailer

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models/queue"
)

// The engine's caches: contents never change once written, so their
// compiled templates live as long as they are in use; signing keys and IP
// names are re-read every minute so a rotated key or a renamed IP is
// picked up; throttles are shared through the store with other processes.

const (
	keyCacheTTL      = time.Minute
	maxCachedContent = 1024
)

// prepare returns the message's compiled content and its domain's keys.
func (e *Engine) prepare(ctx context.Context, m *queue.Message) (*compiled, domainKeys, error) {
	c, err := e.content(ctx, m.ContentID)
	if err != nil {
		return nil, domainKeys{}, err
	}
	dk, err := e.domainKeys(ctx, m.DomainID)
	return c, dk, err
}

func (e *Engine) content(ctx context.Context, id uint64) (*compiled, error) {
	e.mu.Lock()
	c, ok := e.contents[id]
	row := e.prefetched[id]
	delete(e.prefetched, id)
	e.mu.Unlock()
	if ok {
		return c, c.err
	}
	if row == nil {
		var err error
		if row, err = e.store.Queue.GetMessageContent(ctx, id); err != nil {
			return nil, err // not cached: a database hiccup is worth retrying
		}
	}
	c = &compiled{row: row}
	if row.Raw == nil {
		c.template, c.err = outgoing.Compile(row.Subject, row.HTML, row.Text)
	}
	e.mu.Lock()
	if len(e.contents) >= maxCachedContent {
		e.contents = map[uint64]*compiled{}
	}
	e.contents[id] = c
	e.mu.Unlock()
	return c, c.err
}

// prefetchContents loads in one query the contents of a claim's messages
// that are neither compiled nor loaded already; each is compiled by the
// worker that first needs it, and leaves prefetched then. Messages sent
// through the API or SMTP each have their own content, and loading each
// as its message came up cost a query per message. A failure is left to
// each message's own load.
func (e *Engine) prefetchContents(ctx context.Context, msgs []queue.Message) {
	missing := map[uint64]bool{}
	e.mu.Lock()
	for _, m := range msgs {
		if _, ok := e.contents[m.ContentID]; !ok && e.prefetched[m.ContentID] == nil {
			missing[m.ContentID] = true
		}
	}
	e.mu.Unlock()
	if len(missing) < 2 {
		return
	}
	rows, err := e.store.Queue.GetMessageContents(ctx, slices.Collect(maps.Keys(missing)))
	if err != nil {
		e.log.WarnContext(ctx, "load the claim's contents", "err", err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// Those of messages that never came to be sent (suppressed, or handed
	// back at shutdown) would stay: at most what may be in flight is kept.
	if len(e.prefetched)+len(rows) > e.cfg.MaxInFlight {
		clear(e.prefetched)
	}
	for i := range rows {
		e.prefetched[rows[i].ID] = &rows[i]
	}
}

func (e *Engine) domainKeys(ctx context.Context, domainID uint64) (domainKeys, error) {
	now := e.clock.Now()
	e.mu.Lock()
	dk, ok := e.keys[domainID]
	e.mu.Unlock()
	if ok && now.Sub(dk.fetched) < keyCacheTTL {
		return dk, nil
	}
	d, err := e.store.Domains.GetDomain(ctx, domainID)
	if err != nil {
		return dk, err
	}
	keys, err := e.store.Domains.SigningKeys(ctx, domainID)
	if err != nil {
		return dk, err
	}
	dk = domainKeys{name: d.Name, keys: e.loadSigners(keys, dk.keys), fetched: now}
	e.mu.Lock()
	e.keys[domainID] = dk
	e.mu.Unlock()
	return dk, nil
}

// refreshIPs re-reads the HELO names and the throttles other processes
// set or ended.
func (e *Engine) refreshIPs(ctx context.Context) error {
	read := e.clock.Now()
	ips, err := e.store.IPs.ListSendingIPs(ctx)
	if err != nil {
		return err
	}
	throttles, err := e.store.Queue.ThrottlesUntil(ctx, read.Add(-throttleMemory))
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ip := range ips {
		e.helos[ip.Address] = ip.HeloHost
	}
	stored := map[laneKey]bool{}
	for _, t := range throttles {
		k := laneKey{t.Destination, t.SourceIP}
		stored[k] = true
		if t.Until.After(e.throttles[k].until) {
			e.throttles[k] = throttleState{until: t.Until, since: read, backoff: time.Duration(t.BackoffSeconds) * time.Second, reason: t.Reason}
		}
	}
	// A throttle gone from the store was ended by a delivery elsewhere (or
	// is long over); one set here after the read began may simply not have
	// been read.
	for k, t := range e.throttles {
		if !stored[k] && t.since.Before(read) {
			delete(e.throttles, k)
		}
	}
	return nil
}

// helo is the name a connection from source greets with: the IP's HELO
// name, else the bounce host.
func (e *Engine) helo(source string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if h := e.helos[source]; h != "" {
		return h
	}
	return e.cfg.BounceHost
}

// laneKey is a destination as seen from one source IP: throttles apply
// to it, since reputation belongs to the IP.
type laneKey struct{ dest, source string }

// throttleState is a destination that told a source IP to slow down. It is
// kept after it ends, so that the next throttle can grow, until a delivery
// there succeeds.
type throttleState struct {
	until   time.Time
	since   time.Time // when it began
	backoff time.Duration
	reason  string
}

// throttled returns the throttle holding k at now, if any.
func (e *Engine) throttled(k laneKey, now time.Time) (throttleState, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.throttles[k]
	return t, ok && t.until.After(now)
}

// throttleMemory is how long after a throttle ends the next one still
// grows from it.
const throttleMemory = time.Hour

// throttle slows a destination down for a source IP: for a minute (or the
// reply's "try again in" hint, up to an hour) at first, twice as long each
// time it answers so again within throttleMemory of the last throttle
// ending, up to an hour. Replies to attempts made before the throttle began do not
// extend it. It is shared with other processes through the store.
func (e *Engine) throttle(ctx context.Context, k laneKey, reply string, now time.Time) {
	e.mu.Lock()
	t := e.throttles[k]
	if t.until.After(now) {
		e.mu.Unlock()
		return
	}
	backoff := time.Minute
	if t.backoff > 0 && now.Sub(t.until) < throttleMemory {
		backoff = min(2*t.backoff, time.Hour)
	}
	backoff = max(backoff, min(retryHintIn(reply), time.Hour))
	t = throttleState{until: now.Add(backoff), since: now, backoff: backoff, reason: reply}
	e.throttles[k] = t
	e.mu.Unlock()
	err := e.store.Queue.ThrottleDestination(ctx, queue.DestinationThrottle{Destination: k.dest, SourceIP: k.source, Until: t.until,
		BackoffSeconds: int(backoff / time.Second), Reason: reply})
	if err != nil {
		e.log.WarnContext(ctx, "record throttle", "destination", k.dest, "source", k.source, "err", err)
	}
}

// delivered ends k's throttle, and the growth of the next one, after a
// delivery there that began at started: the destination takes mail from
// this address again. A delivery that began before the throttle proves
// nothing.
func (e *Engine) delivered(ctx context.Context, k laneKey, started time.Time) {
	e.mu.Lock()
	t, ok := e.throttles[k]
	if ok && !started.Before(t.since) {
		delete(e.throttles, k)
	}
	e.mu.Unlock()
	if !ok || started.Before(t.since) {
		return
	}
	if err := e.store.Queue.EndThrottle(ctx, k.dest, k.source); err != nil {
		e.log.WarnContext(ctx, "end throttle", "destination", k.dest, "source", k.source, "err", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
