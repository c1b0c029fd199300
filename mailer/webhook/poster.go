// Package webhook posts events to webhook endpoints: the HTTP client with
// its address rule (client.go), the signature (sign.go) and the poster,
// which reads each endpoint's feed forward and records what it posted
// (models/webhooks keeps the state).
package webhook

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/webhooks"
)

// Contents gives a message's content, for the subject and Message-ID a
// callback names, and the uid its request was answered with.
type Contents interface {
	GetMessageContent(ctx context.Context, id uint64) (*queue.MessageContent, error)
	RequestUIDs(ctx context.Context, msgs []queue.Message) (map[uint64]string, error)
}

// content is what a callback takes from a message content, kept between
// batches: thousands of events share one content, and its request's uid
// costs a search among the request's messages.
type content struct {
	row *queue.MessageContent
	// requestUID is the uid of the request's first message; empty where
	// each message is a request of its own (a task's).
	requestUID string
}

// maxCachedContents bounds the poster's cache of contents.
const maxCachedContents = 1024

// Config tunes a poster.
type Config struct {
	// Owner names this process in the leases it takes on endpoints.
	Owner string
	// Allow opens address ranges the address rule refuses
	// (SESAME_WEBHOOK_ALLOW).
	Allow []netip.Prefix
	// Lease is how long an endpoint stays this process's without renewal:
	// longer than a round.
	Lease time.Duration
	// Interval is the pause between rounds when there was nothing to post.
	Interval time.Duration
	// Batch is how many events are read and recorded at a time; Parallel
	// how many of them are posted at once to one endpoint.
	Batch, Parallel int
	// Delivering, when set, reports that the process is delivering mail.
	// Posting then gives way to it, keeping to DeliveringRate posts a
	// second over all endpoints, so that webhooks take little of the
	// machine from sending; what waits in the feed follows once delivery
	// is done.
	Delivering     func() bool
	DeliveringRate int
}

// DefaultConfig is what `sesame serve` runs with, Owner, Allow and
// Delivering aside.
var DefaultConfig = Config{Lease: time.Minute, Interval: time.Second, Batch: 500, Parallel: 32, DeliveringRate: 1000}

// Poster posts every enabled endpoint's events, sharing the endpoints with
// the other processes on the database by lease.
type Poster struct {
	store    *webhooks.Store
	contents Contents
	client   *http.Client
	clock    models.Clock
	log      *slog.Logger
	cfg      Config

	mu     sync.Mutex
	cached map[uint64]*content
}

// NewPoster builds a poster.
func NewPoster(store *webhooks.Store, contents Contents, clock models.Clock, log *slog.Logger, cfg Config) *Poster {
	return &Poster{store: store, contents: contents, client: NewClient(cfg.Allow, cfg.Parallel), clock: clock,
		log: log.With("component", "webhooks"), cfg: cfg, cached: map[uint64]*content{}}
}

// Run posts until ctx ends, then gives its endpoints up for another
// process to take at once.
func (p *Poster) Run(ctx context.Context) error {
	defer func() {
		release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = p.store.ReleaseEndpoints(release, p.cfg.Owner)
	}()
	for {
		start := p.clock.Now()
		posted, more, err := p.Round(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.Error("webhook round failed", "err", err)
		}
		pause := p.pause(posted, more, p.cfg.Delivering != nil && p.cfg.Delivering(), p.clock.Now().Sub(start))
		if pause <= 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.clock.After(pause):
		}
	}
}

// pause is how long Run waits after a round that made posted posts in
// elapsed: none when more are waiting, else Interval; and while the
// process is delivering, long enough to keep to DeliveringRate.
func (p *Poster) pause(posted int, more, delivering bool, elapsed time.Duration) time.Duration {
	var d time.Duration
	if !more {
		d = p.cfg.Interval
	}
	if delivering {
		d = max(d, time.Duration(posted)*time.Second/time.Duration(max(1, p.cfg.DeliveringRate))-elapsed)
	}
	return d
}

// Round switches off the endpoints failing for a day, takes the endpoints
// this process posts for, and posts each one's due retries and a batch of
// its new events. It returns how many posts it made, and whether an
// endpoint has more waiting.
func (p *Poster) Round(ctx context.Context) (posted int, more bool, err error) {
	off, err := p.store.SwitchOffFailing(ctx)
	if err != nil {
		return 0, false, err
	}
	for _, ep := range off {
		p.log.Warn("webhook endpoint switched off after a day of failures", "endpoint", ep.ID, "url", ep.URL)
	}
	eps, err := p.store.ClaimEndpoints(ctx, p.cfg.Owner, p.cfg.Lease, 8)
	if err != nil {
		return 0, false, err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	// Posting to a slow receiver can outlast the lease: renew it meanwhile,
	// or another process would take the endpoint and post the same events.
	renewed := make(chan struct{})
	defer close(renewed)
	go func() {
		for {
			select {
			case <-renewed:
				return
			case <-time.After(p.cfg.Lease / 3):
				if err := p.store.RenewEndpoints(ctx, p.cfg.Owner, p.cfg.Lease); err != nil && ctx.Err() == nil {
					p.log.Error("webhook lease renewal failed", "err", err)
				}
			}
		}
	}()
	for i := range eps {
		wg.Go(func() {
			n, full, err := p.serve(ctx, &eps[i])
			mu.Lock()
			defer mu.Unlock()
			posted += n
			more = more || full
			errs = append(errs, err)
		})
	}
	wg.Wait()
	return posted, more, errors.Join(errs...)
}

// serve posts one endpoint's due retries, then, unless it is failing, its
// next batch of events, and returns how many posts it made and whether a
// full batch was read.
func (p *Poster) serve(ctx context.Context, ep *webhooks.Endpoint) (posted int, full bool, err error) {
	secrets, err := p.store.SigningSecrets(ep)
	if err != nil {
		return 0, false, err
	}
	retries, err := p.store.DueRetries(ctx, ep.ID, p.cfg.Batch)
	if err != nil {
		return 0, false, err
	}
	if len(retries) > 0 {
		posts := make([]webhooks.Post, len(retries))
		for i := range retries {
			posts[i].Delivery = &retries[i]
		}
		p.postAll(ctx, ep, secrets, posts)
		posted += len(posts)
		if err := p.store.RecordPosts(ctx, p.cfg.Owner, ep.ID, nil, posts); err != nil {
			return posted, false, err
		}
		for _, post := range posts {
			if post.Attempt.OK() {
				ep.FailingSince = nil // it answers again: read on
			}
		}
	}
	// A failing endpoint's new events wait in the feed (the cursor does not
	// move) until a retry succeeds: they are not lost, and not piled up as
	// retries against a receiver that is down.
	if ep.FailingSince != nil {
		return posted, false, nil
	}
	events, next, err := p.store.ReadFeed(ctx, ep, p.cfg.Batch)
	if err != nil {
		return posted, false, err
	}
	posts, err := p.bodies(ctx, ep, events)
	if err != nil {
		return posted, false, err
	}
	p.postAll(ctx, ep, secrets, posts)
	posted += len(posts)
	if len(posts) == 0 && next == (webhooks.Position{Txid: ep.CursorTxid, ID: ep.CursorID}) {
		return posted, false, nil
	}
	if err := p.store.RecordPosts(ctx, p.cfg.Owner, ep.ID, &next, posts); err != nil {
		return posted, false, err
	}
	return posted, len(events) == p.cfg.Batch, nil
}

// bodies are the deliveries of events to ep, with their bodies.
func (p *Poster) bodies(ctx context.Context, ep *webhooks.Endpoint, events []webhooks.FeedEvent) ([]webhooks.Post, error) {
	contents, err := p.contentsOf(ctx, events)
	if err != nil {
		return nil, err
	}
	posts := make([]webhooks.Post, len(events))
	for i := range events {
		e := &events[i]
		c := contents[e.Message.ContentID]
		m := webhooks.Message{RequestUID: e.Message.UID}
		if c.requestUID != "" {
			m.RequestUID = c.requestUID
		}
		if c.row.TemplateID != nil {
			m.TemplateID = *c.row.TemplateID
		}
		if m.Subject, m.MessageID, err = outgoing.Headline(&e.Message, c.row); err != nil {
			// The message was sent, so this does not happen; if it did, the
			// event still goes out, without them.
			p.log.Warn("webhook: message headline", "message", e.Message.UID, "err", err)
		}
		body := webhooks.NewBody(ep, e, m)
		posts[i].Delivery = &webhooks.Delivery{EventID: e.EventID(), Event: body.Event, MessageUID: e.Message.UID,
			Body: body.JSON(), OccurredAt: e.At}
	}
	return posts, nil
}

// contentsOf returns the content of each event's message, from the cache
// or else read in one look-up of request uids for the batch.
func (p *Poster) contentsOf(ctx context.Context, events []webhooks.FeedEvent) (map[uint64]*content, error) {
	out := map[uint64]*content{}
	var missing []queue.Message // one message of each content not cached
	p.mu.Lock()
	for i := range events {
		m := &events[i].Message
		if _, ok := out[m.ContentID]; ok {
			continue
		}
		c := p.cached[m.ContentID]
		if c == nil {
			missing = append(missing, *m)
		}
		out[m.ContentID] = c
	}
	p.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	requests, err := p.contents.RequestUIDs(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, m := range missing {
		row, err := p.contents.GetMessageContent(ctx, m.ContentID)
		if err != nil {
			return nil, err
		}
		out[m.ContentID] = &content{row: row, requestUID: requests[m.ContentID]}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.cached)+len(missing) > maxCachedContents {
		p.cached = map[uint64]*content{}
	}
	for _, m := range missing {
		p.cached[m.ContentID] = out[m.ContentID]
	}
	return out, nil
}

// postAll posts each delivery once, Parallel at a time, and fills in its
// attempt.
func (p *Poster) postAll(ctx context.Context, ep *webhooks.Endpoint, secrets [][]byte, posts []webhooks.Post) {
	sem := make(chan struct{}, max(1, p.cfg.Parallel))
	var wg sync.WaitGroup
	for i := range posts {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d := posts[i].Delivery
			posts[i].Attempt = p.post(ctx, ep, secrets, d.EventID, d.Body)
		})
	}
	wg.Wait()
}

// post makes one attempt: the signed body to the endpoint's URL, and what
// came back.
func (p *Poster) post(ctx context.Context, ep *webhooks.Endpoint, secrets [][]byte, eventID, body string) webhooks.Attempt {
	at := p.clock.Now()
	a := webhooks.Attempt{At: at}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, strings.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Sesame-Webhooks/1")
	req.Header.Set("X-Sesame-Event-Id", eventID)
	req.Header.Set("X-Sesame-Signature", Signature(secrets, at.Unix(), body))
	if ep.CustomValue != "" {
		req.Header.Set("X-Tencentcloudses-Cb-Custom", ep.CustomValue)
	}
	start := time.Now()
	resp, err := p.client.Do(req)
	a.LatencyMS = int(time.Since(start).Milliseconds())
	if err != nil {
		a.Error = err.Error()
		if refused(err) {
			p.log.Warn("webhook refused", "endpoint", ep.ID, "url", ep.URL, "err", err)
		}
		return a
	}
	defer resp.Body.Close()
	a.StatusCode = resp.StatusCode
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, webhooks.MaxResponse))
	a.Response = strings.ToValidUTF8(string(answer), "?")
	// Read a little more so the connection can serve the next post.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return a
}

// Test posts a test event to an endpoint, once (not retried), records it
// in its log and returns the attempt.
func (p *Poster) Test(ctx context.Context, ep *webhooks.Endpoint) (webhooks.Attempt, error) {
	secrets, err := p.store.SigningSecrets(ep)
	if err != nil {
		return webhooks.Attempt{}, err
	}
	body := webhooks.TestBody(ep, p.clock.Now())
	d := &webhooks.Delivery{EventID: "evt_test_" + strings.ToLower(rand.Text()[:12]), Event: body.Event, Body: body.JSON(), OccurredAt: p.clock.Now()}
	a := p.post(ctx, ep, secrets, d.EventID, d.Body)
	return a, p.store.RecordTest(ctx, ep.ID, d, a)
}
