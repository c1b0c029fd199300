package identity

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/db"
	"golang.org/x/crypto/bcrypt"
)

// SenderAddress is an address mail is sent from, under a verified domain.
// Its SMTP password (for the SMTP interface) is stored as a bcrypt hash.
type SenderAddress struct {
	ID                uint64
	DomainID          uint64
	Email             string
	DisplayName       string
	SMTPPasswordHash  string `json:"-"`
	SMTPPasswordSetAt *time.Time
	CreatedAt         time.Time
	// UnsubscribeConfig is the unsubscribe link (Tencent's language code)
	// added to mail from this address when a send does not choose one,
	// while UnsubscribeEnabled; "" when the address has no such setting.
	UnsubscribeConfig  string
	UnsubscribeEnabled bool

	Domain *Domain `gorm:"foreignKey:DomainID"`
}

// HasSMTPPassword reports whether the address can authenticate over SMTP.
func (a *SenderAddress) HasSMTPPassword() bool { return a.SMTPPasswordHash != "" }

// CreateSender adds a sender address under a verified domain.
func (s *Senders) CreateSender(ctx context.Context, rawEmail, displayName string) (*SenderAddress, error) {
	verr := &models.ValidationError{}
	email, err := models.NormalizeEmail(rawEmail)
	if err != nil {
		verr.Add("email", "The address "+err.Error()+".")
	}
	name := models.ValidateDisplayName(displayName, email, verr)
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	domainName := models.DomainOf(email)
	d, err := s.domains.GetDomainByName(ctx, domainName)
	if err == models.ErrNotFound {
		return nil, models.Invalid("email", domainName+" is not a sending domain here. An admin must add and verify it first.")
	}
	if err != nil {
		return nil, err
	}
	if !s.domains.CanSend(d) {
		return nil, models.Invalid("email", domainName+" is not verified yet: publish its DNS records and check again.")
	}
	a := &SenderAddress{DomainID: d.ID, Email: email, DisplayName: name, CreatedAt: s.Now()}
	if err := s.Gorm.WithContext(ctx).Omit("Domain").Create(a).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return nil, models.Invalid("email", email+" is already a sender address.")
		}
		return nil, err
	}
	a.Domain = d
	return a, nil
}

// ListSenders returns every sender address with its domain.
func (s *Senders) ListSenders(ctx context.Context) ([]SenderAddress, error) {
	var out []SenderAddress
	err := s.Gorm.WithContext(ctx).Preload("Domain").Order("email").Find(&out).Error
	return out, err
}

// ListSendableSenders returns the sender addresses whose domain can send
// now (CanSend), the choices of forms that send.
func (s *Senders) ListSendableSenders(ctx context.Context) ([]SenderAddress, error) {
	all, err := s.ListSenders(ctx)
	return slices.DeleteFunc(all, func(a SenderAddress) bool { return !s.domains.CanSend(a.Domain) }), err
}

// GetSender loads a sender address by id.
func (s *Senders) GetSender(ctx context.Context, id uint64) (*SenderAddress, error) {
	var a SenderAddress
	if err := s.Gorm.WithContext(ctx).Preload("Domain").Take(&a, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &a, nil
}

// GetSenderByEmail loads a sender address by its address.
func (s *Senders) GetSenderByEmail(ctx context.Context, raw string) (*SenderAddress, error) {
	email, err := models.NormalizeEmail(raw)
	if err != nil {
		return nil, models.ErrNotFound
	}
	var a SenderAddress
	if err := s.Gorm.WithContext(ctx).Joins("Domain").Where("sender_addresses.email = ?", email).Take(&a).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &a, nil
}

// DeleteSender removes a sender address.
func (s *Senders) DeleteSender(ctx context.Context, id uint64) error {
	res := s.Gorm.WithContext(ctx).Delete(&SenderAddress{}, id)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return res.Error
}

// ErrSamePassword is a new SMTP password equal to the previous one, which
// Tencent's UpdateEmailSmtpPassWord refuses (OperationDenied.RepeatPassWord).
var ErrSamePassword = models.Invalid("smtp_password", "Choose a password different from the current one.")

// SMTP passwords are 10 to 64 printable ASCII characters (spaces
// included), as Tencent accepts up to 64: what a password manager makes
// passes, and every byte survives SMTP AUTH and bcrypt (72 bytes at most).
const (
	minSMTPPassword = 10
	maxSMTPPassword = 64
)

func validateSMTPPassword(pw string) error {
	if len(pw) < minSMTPPassword || len(pw) > maxSMTPPassword {
		return models.Invalid("smtp_password", "Use 10 to 64 characters.")
	}
	for i := 0; i < len(pw); i++ {
		if pw[i] < ' ' || pw[i] > '~' {
			return models.Invalid("smtp_password", "Use letters, digits, punctuation and spaces only.")
		}
	}
	return nil
}

// SetSMTPPassword sets the password the address authenticates with over
// SMTP; it must differ from the previous one.
func (s *Senders) SetSMTPPassword(ctx context.Context, id uint64, password string) error {
	if err := validateSMTPPassword(password); err != nil {
		return err
	}
	a, err := s.GetSender(ctx, id)
	if err != nil {
		return err
	}
	if a.HasSMTPPassword() && bcrypt.CompareHashAndPassword([]byte(a.SMTPPasswordHash), []byte(password)) == nil {
		return ErrSamePassword
	}
	hash, err := s.accounts.HashPassword(password)
	if err != nil {
		return err
	}
	now := s.Now()
	return s.Gorm.WithContext(ctx).Model(&SenderAddress{ID: id}).
		Updates(map[string]any{"smtp_password_hash": hash, "smtp_password_set_at": now}).Error
}

// AuthenticateSMTP returns the sender address whose SMTP password matches.
func (s *Senders) AuthenticateSMTP(ctx context.Context, email, password string) (*SenderAddress, error) {
	a, err := s.GetSenderByEmail(ctx, email)
	if err == models.ErrNotFound || (err == nil && !a.HasSMTPPassword()) {
		s.accounts.EqualiseTiming(password)
		return nil, models.ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(a.SMTPPasswordHash), []byte(password)) != nil {
		return nil, models.ErrInvalidCredentials
	}
	return a, nil
}

// SendingAs is a, writing as another address of its own domain: what an
// SMTP client authenticated as a may put in MAIL FROM or the From header.
// Any address of the domain is allowed, since DKIM signs for the domain and
// the domain is what receivers judge; another domain's address is refused,
// so one customer's password never sends in another's name, and so is a
// display name that shows another address (the phishing shape). name is
// the display name the message shows, kept for the record.
func (a *SenderAddress) SendingAs(rawEmail, name string) (*SenderAddress, error) {
	email, err := models.NormalizeEmail(rawEmail)
	if err != nil {
		return nil, models.Invalid("from", "This is not a valid email address.")
	}
	domain := models.DomainOf(a.Email)
	if models.DomainOf(email) != domain {
		return nil, models.Invalid("from", a.Email+" may only send from addresses @"+domain+".")
	}
	if models.ShowsOtherAddress(name, email) {
		return nil, models.Invalid("from", "The display name cannot show an email address other than "+email+".")
	}
	as := *a
	as.Email = email
	as.DisplayName = models.Truncate(strings.TrimSpace(models.PlainText(name)), 100)
	return &as, nil
}

// LoginSMTP checks an SMTP AUTH attempt as Login checks a sign-in, with the
// sender address as the account: refused while the client is throttled or
// the address's pace says wait, then the address's SMTP password. The
// client's count is the one sign-ins use, so guessing cannot switch between
// the console and SMTP to get more attempts.
func (s *Senders) LoginSMTP(ctx context.Context, in accounts.LoginInput) (*SenderAddress, error) {
	email := strings.TrimSpace(in.Email)
	// The key ignores case, so guesses at News@ and news@ count together,
	// though the local part of a sender address is case-sensitive.
	account := "smtp:" + strings.ToLower(email)
	if len(email) > models.MaxEmailLength {
		account = "" // no address that long exists, nor fits a throttle key
	}
	var a *SenderAddress
	err := s.accounts.ThrottledLogin(ctx, accounts.NewLoginKeys(account, in.ClientIP), func() (err error) {
		a, err = s.AuthenticateSMTP(ctx, email, in.Password)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
