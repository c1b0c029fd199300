package main

import (
	"os"
	"testing"

	"github.com/sesame-email/sesame/internal/smtpsink"
)

func TestMain(m *testing.M) {
	smtpsink.ServeIfChild() // BenchmarkAPISendEmail's sink runs in a child process
	os.Exit(m.Run())
}
