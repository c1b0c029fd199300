package mailer_test

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strconv"
	"sync"
	"testing"

	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/store"
)

// Two engines, each with its own connection pool, share one database, as
// two `sesame serve` processes would: no message may go out twice, and the
// day's warm-up quota holds across both.
func TestTwoEnginesShareTheQueue(t *testing.T) {
	cfg := testdb.Config(t)
	p := newPipelineWith(t, cfg)
	second := testdb.OpenConfig(t, withClock(cfg, p.clock))

	recipients := make([]string, 800)
	for i := range recipients {
		recipients[i] = "r" + strconv.Itoa(i) + "@dest.test"
	}
	p.enqueue(false, recipients...)

	links := outgoing.NewLinks("https://sesame.example", []byte("link key"))
	engines := []*mailer.Engine{p.engine(p.relay(), "one"), newEngineOn(second, p, links, "two")}
	var wg sync.WaitGroup
	for _, e := range engines {
		wg.Go(func() {
			if err := e.RunUntilIdle(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	seen := map[string]int{}
	for _, m := range p.sink.Mails() {
		seen[messageID(t, m.Data)]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	c := p.counts()
	if len(seen) != 500 || c[models.StatusDelivered] != 500 || c[models.StatusQuotaWait] != 300 {
		t.Errorf("%d distinct delivered (day 1 quota 500); statuses %v", len(seen), c)
	}
}

func withClock(cfg store.Config, clock models.Clock) store.Config {
	cfg.Clock = clock
	return cfg
}

func newEngineOn(st *store.Store, p *pipeline, links *outgoing.Links, owner string) *mailer.Engine {
	return mailer.NewEngine(compose.Engine(st), p.relay(), outgoing.NewBuilder(links), p.clock, discard(),
		mailer.EngineConfig{Owner: owner, BounceHost: testdb.BounceHost, BatchSize: 50, RecordInterval: 5e6})
}

func messageID(t *testing.T, data []byte) string {
	t.Helper()
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(data))).ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	return h.Get("Message-Id")
}
