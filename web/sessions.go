package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
)

// SessionRepo persists console sessions.
type SessionRepo interface {
	CreateSession(ctx context.Context, s *accounts.Session) error
	GetSession(ctx context.Context, id string) (*accounts.Session, error)
	UpdateSession(ctx context.Context, id string, data []byte, lastSeen time.Time) error
	DeleteSession(ctx context.Context, id string) error
}

const (
	sessionName = "sesame"
	userIDKey   = "uid"
	// touchEvery limits last-seen writes to one a minute per session.
	touchEvery = time.Minute
)

// SessionStore is a gorilla/sessions store whose sessions live in the
// database: the cookie carries only a signed random token, so logging out,
// disabling a user or changing a password ends a session for real. Only
// signed-in sessions are stored; anonymous visitors leave no rows.
type SessionStore struct {
	repo       SessionRepo
	codec      securecookie.Codec
	cookieName string
	secure     bool
	idle       time.Duration
	absolute   time.Duration
	clock      models.Clock
}

// SessionOptions configure a SessionStore.
type SessionOptions struct {
	HashKey  []byte        // signs the cookie
	Secure   bool          // https: Secure cookie with the __Host- prefix
	Idle     time.Duration // a session unused this long ends
	Absolute time.Duration // no session lives longer than this
	Clock    models.Clock
}

// NewSessionStore builds the store.
func NewSessionStore(repo SessionRepo, o SessionOptions) *SessionStore {
	name := "sesame_session"
	if o.Secure {
		name = "__Host-" + name
	}
	codec := securecookie.New(o.HashKey, nil)
	codec.MaxAge(int(o.Absolute / time.Second))
	return &SessionStore{repo: repo, codec: codec, cookieName: name, secure: o.Secure, idle: o.Idle, absolute: o.Absolute, clock: o.Clock}
}

// Get returns the request's session, cached per request.
func (s *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or starts an empty
// one. A missing, tampered, unknown or expired cookie is not an error: the
// visitor is simply signed out.
func (s *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	sess.Options = s.options(0)
	sess.IsNew = true
	cookie, err := r.Cookie(s.cookieName)
	if err != nil {
		return sess, nil
	}
	var token string
	if err := s.codec.Decode(s.cookieName, cookie.Value, &token); err != nil || token == "" {
		return sess, nil
	}
	ctx := r.Context()
	row, err := s.repo.GetSession(ctx, tokenID(token))
	if errors.Is(err, models.ErrNotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	now := s.clock.Now()
	if now.After(row.ExpiresAt) || now.Sub(row.LastSeenAt) > s.idle {
		return sess, s.repo.DeleteSession(ctx, row.ID)
	}
	if len(row.Data) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(row.Data)).Decode(&sess.Values); err != nil {
			sess.Values = map[any]any{}
		}
	}
	sess.Values[userIDKey] = row.UserID
	sess.ID = token
	sess.IsNew = false
	sess.Options = s.options(row.ExpiresAt.Sub(now))
	if now.Sub(row.LastSeenAt) > touchEvery {
		if err := s.repo.UpdateSession(ctx, row.ID, row.Data, now); err != nil {
			return sess, err
		}
	}
	return sess, nil
}

// Save persists a signed-in session, creating it (with a fresh token) when
// new, or deletes it when Options.MaxAge is negative.
func (s *SessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.repo.DeleteSession(ctx, tokenID(sess.ID)); err != nil {
				return err
			}
		}
		http.SetCookie(w, s.cookie("", -1))
		return nil
	}
	uid, _ := sess.Values[userIDKey].(uint64)
	if uid == 0 {
		return nil
	}
	values := make(map[any]any, len(sess.Values))
	for k, v := range sess.Values {
		if k != userIDKey {
			values[k] = v
		}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(values); err != nil {
		return err
	}
	now := s.clock.Now()
	if sess.ID == "" {
		sess.ID = rand.Text() + rand.Text()
		row := &accounts.Session{ID: tokenID(sess.ID), UserID: uid, Data: buf.Bytes(), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.absolute)}
		if err := s.repo.CreateSession(ctx, row); err != nil {
			return err
		}
		sess.Options = s.options(s.absolute)
	} else if err := s.repo.UpdateSession(ctx, tokenID(sess.ID), buf.Bytes(), now); err != nil {
		return err
	}
	encoded, err := s.codec.Encode(s.cookieName, sess.ID)
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(encoded, int(sess.Options.MaxAge)))
	return nil
}

func (s *SessionStore) options(remaining time.Duration) *sessions.Options {
	return &sessions.Options{Path: "/", MaxAge: int(remaining / time.Second), Secure: s.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

func (s *SessionStore) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: s.cookieName, Value: value, Path: "/", MaxAge: maxAge, Secure: s.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// tokenID is what the database keeps of a session token: its SHA-256, so a
// copy of the sessions table cannot be replayed as cookies.
func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// SessionID returns the stored id of the request's session ("" when signed
// out), e.g. to keep the current session when others are ended.
func SessionID(sess *sessions.Session) string {
	if sess == nil || sess.ID == "" {
		return ""
	}
	return tokenID(sess.ID)
}
