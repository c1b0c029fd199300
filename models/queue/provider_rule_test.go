package queue_test

import (
	"testing"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/queue"
)

// A message's recipient domain and mailbox provider are worked out in Go
// for single sends (Enqueue) and in SQL for a task's whole group
// (db.DomainOfSQL, queue.ProviderSQL). One table runs through both.
func TestRecipientDomainAndProviderAgreeInGoAndSQL(t *testing.T) {
	st, _ := fixtures.Store(t)
	for _, c := range []struct{ email, domain, provider string }{
		{"ann@gmail.com", "gmail.com", "gmail.com"},
		{"bob@googlemail.com", "googlemail.com", "gmail.com"},
		{"carl@hotmail.com", "hotmail.com", "outlook.com"},
		{"dee@yahoo.co.uk", "yahoo.co.uk", "yahoo.com"},
		{"eve@ymail.com", "ymail.com", "yahoo.com"},
		{"fay@foxmail.com", "foxmail.com", "qq.com"},
		{"gus@126.com", "126.com", "163.com"},
		{"hal@me.com", "me.com", "icloud.com"},
		{"\"odd@local\"@example.org", "example.org", "other"},
		{"ivy@notyahoo.com", "notyahoo.com", "other"},
	} {
		domain := models.DomainOf(c.email)
		inGo := queue.Provider(domain)
		var row struct{ Domain, Provider string }
		err := st.DB.Gorm.Raw("SELECT "+db.DomainOfSQL(st.DB.Dialect(), "m.email")+" AS domain, "+
			queue.ProviderSQL(db.DomainOfSQL(st.DB.Dialect(), "m.email"))+" AS provider FROM (SELECT @email AS email) m",
			map[string]any{"email": c.email}).Scan(&row).Error
		if err != nil {
			t.Fatal(err)
		}
		if domain != c.domain || inGo != c.provider || row.Domain != c.domain || row.Provider != c.provider {
			t.Errorf("%s: want %s, %s; Go %s, %s; SQL %s, %s", c.email, c.domain, c.provider, domain, inGo, row.Domain, row.Provider)
		}
	}
}
