package db

import (
	"sync"
	"time"
)

// Cache keeps values read on a hot path (a template per SendEmail) for a
// short time. The store that owns it calls Forget when it changes a value,
// so this process sees its own changes at once; a change made by another
// process sharing the database is seen within the time a value is kept.
type Cache[K comparable, V any] struct {
	keep    time.Duration
	mu      sync.Mutex
	entries map[K]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v       V
	expires time.Time
}

// cacheMaxEntries bounds a cache: when full, it starts again empty.
const cacheMaxEntries = 10_000

// NewCache keeps values for keep.
func NewCache[K comparable, V any](keep time.Duration) *Cache[K, V] {
	return &Cache[K, V]{keep: keep, entries: map[K]cacheEntry[V]{}}
}

// Get is the value kept for k at now, if it has not expired.
func (c *Cache[K, V]) Get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put keeps v for k from now.
func (c *Cache[K, V]) Put(k K, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= cacheMaxEntries {
		clear(c.entries)
	}
	c.entries[k] = cacheEntry[V]{v, now.Add(c.keep)}
}

// Forget drops k's value.
func (c *Cache[K, V]) Forget(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}
