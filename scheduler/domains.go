// Package scheduler runs Sesame's time-driven work: firing tasks, rolling
// the warm-up day over, re-checking sending domains' DNS. Every loop takes
// the injected clock and stops when its context ends.
package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
)

// DomainCheckStore is what the DNS re-check needs from the store.
type DomainCheckStore interface {
	ClaimDomainsDue(ctx context.Context, limit int) ([]uint64, error)
	VerifyDomain(ctx context.Context, dns identity.DNSLookup, id uint64) (*identity.Domain, []identity.DNSRecord, error)
}

// DomainChecker re-checks domains whose check is due: pending ones every 10
// minutes, verified ones daily (the store sets each domain's next check).
type DomainChecker struct {
	store DomainCheckStore
	dns   identity.DNSLookup
	clock models.Clock
	log   *slog.Logger
	// Poll is how often due domains are looked for.
	Poll time.Duration
}

// NewDomainChecker builds the re-check loop.
func NewDomainChecker(store DomainCheckStore, dns identity.DNSLookup, clock models.Clock, log *slog.Logger) *DomainChecker {
	return &DomainChecker{store: store, dns: dns, clock: clock, log: log.With("component", "dns-recheck"), Poll: time.Minute}
}

// RunOnce checks every domain due now and returns how many it checked.
func (c *DomainChecker) RunOnce(ctx context.Context) (int, error) {
	checked := 0
	for {
		ids, err := c.store.ClaimDomainsDue(ctx, 20)
		if err != nil || len(ids) == 0 {
			return checked, err
		}
		for _, id := range ids {
			checkCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			d, _, err := c.store.VerifyDomain(checkCtx, c.dns, id)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return checked, nil
				}
				c.log.WarnContext(ctx, "domain re-check failed", "domain_id", id, "err", err)
				continue
			}
			checked++
			if d.Drift {
				c.log.WarnContext(ctx, "DNS drift", "domain", d.Name, "reason", d.DriftReason)
			}
		}
	}
}

// Run checks due domains until ctx ends.
func (c *DomainChecker) Run(ctx context.Context) error {
	for {
		if _, err := c.RunOnce(ctx); err != nil && ctx.Err() == nil {
			c.log.ErrorContext(ctx, "domain re-check", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.clock.After(c.Poll):
		}
	}
}
