package smtpd_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"

	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer/smtpd"
	"github.com/sesame-email/sesame/models"
)

const (
	benchConnections = 8
	benchSubmissions = 10_000
)

// BenchmarkSMTPSubmission: 8 connections each open STARTTLS, authenticate
// once (bcrypt at its production cost) and submit their share of 10,000
// messages of about 4 KB, one recipient each; every message is queued
// durably before its 250. Reports messages/s, connecting included.
func BenchmarkSMTPSubmission(b *testing.B) {
	for range b.N {
		benchSubmission(b)
	}
}

func benchSubmission(b *testing.B) {
	b.StopTimer()
	dbcfg := testdb.Config(b)
	dbcfg.PasswordCost = bcrypt.DefaultCost
	h := startSubmissionWith(b, smtpd.Config{}, dbcfg)
	msg := letter + strings.Repeat("All the news that fits, and then some more of it, line after line.\r\n", 56)

	start := time.Now()
	b.StartTimer()
	var wg sync.WaitGroup
	errs := make(chan error, benchConnections)
	for i := range benchConnections {
		wg.Go(func() {
			c, err := smtp.DialStartTLS(h.addr, h.clientTLS)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if err := c.Auth(sasl.NewPlainClient("", h.sender.Email, smtpPassword)); err != nil {
				errs <- err
				return
			}
			for n := i; n < benchSubmissions; n += benchConnections {
				if _, err := submit(c, h.sender.Email, []string{"user" + strconv.Itoa(n) + "@dest.test"}, msg); err != nil {
					errs <- err
					return
				}
			}
			errs <- c.Quit()
		})
	}
	wg.Wait()
	b.StopTimer()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	if got := h.counts(); got[models.StatusQueued] != benchSubmissions {
		b.Fatalf("queued %v", got)
	}
	b.ReportMetric(float64(benchSubmissions)/elapsed.Seconds(), "msgs/s")
}
