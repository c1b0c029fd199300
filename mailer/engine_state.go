package mailer

import (
	"context"
	"strconv"
	"time"

	"github.com/sesame-email/sesame/models"
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
func (e *Engine) prepare(ctx context.Context, m *models.Message) (*content, domainKeys, error) {
	c, err := e.content(ctx, m.ContentID)
	if err != nil {
		return nil, domainKeys{}, err
	}
	dk, err := e.domainKeys(ctx, m.DomainID)
	return c, dk, err
}

func (e *Engine) content(ctx context.Context, id uint64) (*content, error) {
	e.mu.Lock()
	c, ok := e.contents[id]
	e.mu.Unlock()
	if ok {
		return c, c.err
	}
	row, err := e.store.GetMessageContent(ctx, id)
	if err != nil {
		return nil, err // not cached: a database hiccup is worth retrying
	}
	c = &content{row: row}
	if row.Raw == nil {
		c.template, c.err = Compile(row.Subject, row.HTML, row.Text)
	}
	e.mu.Lock()
	if len(e.contents) >= maxCachedContent {
		e.contents = map[uint64]*content{}
	}
	e.contents[id] = c
	e.mu.Unlock()
	return c, c.err
}

func (e *Engine) domainKeys(ctx context.Context, domainID uint64) (domainKeys, error) {
	now := e.clock.Now()
	e.mu.Lock()
	dk, ok := e.keys[domainID]
	e.mu.Unlock()
	if ok && now.Sub(dk.fetched) < keyCacheTTL {
		return dk, nil
	}
	d, err := e.store.GetDomain(ctx, domainID)
	if err != nil {
		return dk, err
	}
	keys, err := e.store.SigningKeys(ctx, domainID)
	if err != nil {
		return dk, err
	}
	dk = domainKeys{name: d.Name, keys: e.loadSigners(keys, dk.keys), fetched: now}
	e.mu.Lock()
	e.keys[domainID] = dk
	e.mu.Unlock()
	return dk, nil
}

// refreshIPs re-reads the HELO names and the throttled destinations.
func (e *Engine) refreshIPs(ctx context.Context) error {
	ips, err := e.store.ListSendingIPs(ctx)
	if err != nil {
		return err
	}
	throttles, err := e.store.ActiveThrottles(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ip := range ips {
		e.helos[ip.Address] = ip.HeloHost
	}
	for _, t := range throttles {
		if t.Until.After(e.throttled[t.Domain].until) {
			e.throttled[t.Domain] = throttleState{until: t.Until, backoff: time.Duration(t.BackoffSeconds) * time.Second}
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

// throttleState is a destination that asked to slow down.
type throttleState struct {
	until   time.Time
	backoff time.Duration
}

func (e *Engine) throttledUntil(dest string, now time.Time) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.throttled[dest]
	return t.until, ok && t.until.After(now)
}

// throttle slows a destination that asked for it: 5 minutes, doubling while
// it keeps asking, up to an hour; shared with other processes through the
// store.
func (e *Engine) throttle(ctx context.Context, dest, reply string, now time.Time) {
	e.mu.Lock()
	t := e.throttled[dest]
	backoff := 5 * time.Minute
	if now.Sub(t.until) < time.Hour && t.backoff > 0 {
		backoff = min(2*t.backoff, time.Hour)
	}
	t = throttleState{until: now.Add(backoff), backoff: backoff}
	e.throttled[dest] = t
	e.mu.Unlock()
	err := e.store.ThrottleDestination(ctx, models.DestinationThrottle{Domain: dest, Until: t.until, BackoffSeconds: int(backoff / time.Second), Reason: reply})
	if err != nil {
		e.log.WarnContext(ctx, "record throttle", "destination", dest, "err", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
