package smtpd

import (
	"context"
	"errors"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
)

// AUTH's refusals. A refused AUTH leaves the session as it was: the bounce
// mailbox.
var (
	errStartTLSFirst = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	errAuthInTx      = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "AUTH is not allowed during a mail transaction"}
	errAuthTryLater  = &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Temporary authentication failure, try again later"}
)

// authAllowed: passwords travel only inside TLS, unless the operator allows
// them in clear text for local tests.
func (ss *session) authAllowed() bool { return ss.tls || ss.srv.cfg.InsecureAuth }

// AuthMechanisms offers PLAIN (RFC 4616) and LOGIN, which Outlook and many
// devices still insist on; none before STARTTLS, so AUTH is not advertised.
func (ss *session) AuthMechanisms() []string {
	if !ss.authAllowed() {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// Auth starts an AUTH exchange. go-smtp would answer AUTH in clear text
// with 523; RFC 3207 and clients expect 530, so the server lets every AUTH
// through to here and this decides.
func (ss *session) Auth(mech string) (sasl.Server, error) {
	if !ss.authAllowed() {
		return nil, errStartTLSFirst
	}
	if ss.inTx {
		return nil, errAuthInTx // RFC 4954, section 4
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return smtp.ErrAuthFailed // nobody may act for another address
			}
			return ss.login(username, password)
		}), nil
	case sasl.Login:
		return &loginServer{authenticate: ss.login}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// login checks a sender address and its SMTP password, throttled like
// console sign-ins; bcrypt runs here, once per connection, not per message.
func (ss *session) login(username, password string) error {
	ctx, cancel := context.WithTimeout(ss.ctx, storeTimeout)
	defer cancel()
	sender, err := ss.srv.store.Senders.LoginSMTP(ctx, accounts.LoginInput{Email: username, Password: password, ClientIP: ss.ip})
	var throttled *models.ThrottledError
	switch {
	case errors.Is(err, models.ErrInvalidCredentials):
		ss.log().Info("SMTP authentication failed", "user", username)
		return smtp.ErrAuthFailed
	case errors.As(err, &throttled):
		ss.log().Warn("SMTP authentication throttled", "user", username, "until", throttled.RetryAt)
		return &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0},
			Message: "Too many failed attempts, try again after " + throttled.RetryAt.UTC().Format(time.TimeOnly) + " UTC"}
	case err != nil:
		ss.log().Error("SMTP authentication", "err", err)
		return errAuthTryLater
	}
	ss.sender, ss.senderRead = sender, ss.srv.cfg.Clock.Now()
	ss.log().Info("SMTP client authenticated", "user", sender.Email)
	return nil
}

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login), which go-sasl offers only as a client: it
// asks for the user name, then the password. A client may send the user
// name with the AUTH command (Windows does), and then is asked only for the
// password.
type loginServer struct {
	authenticate func(username, password string) error
	username     []byte
	step         int
}

func (s *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch s.step {
	case 0:
		s.step = 1
		if len(response) == 0 {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		s.username, s.step = response, 2
		return []byte("Password:"), false, nil
	case 2:
		s.step = 3
		return nil, true, s.authenticate(string(s.username), string(response))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}
