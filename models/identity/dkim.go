package identity

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// DKIMAlgorithm is the key type of a DKIM key.
type DKIMAlgorithm string

const (
	DKIMRSA     DKIMAlgorithm = "rsa"
	DKIMEd25519 DKIMAlgorithm = "ed25519"
)

// DKIMKeyState is where a key is in its life: published and awaiting
// verification, signing, or replaced by a newer key.
type DKIMKeyState string

const (
	DKIMPending DKIMKeyState = "pending"
	DKIMActive  DKIMKeyState = "active"
	DKIMRetired DKIMKeyState = "retired"
)

// DKIMKey is one selector of a domain. PrivateKey is sealed; the store never
// returns it in clear except to the signer (SigningKeys).
type DKIMKey struct {
	ID          uint64
	DomainID    uint64
	Selector    string
	Algorithm   DKIMAlgorithm
	Bits        int
	PrivateKey  []byte `json:"-"`
	PublicKey   string // base64, the p= tag
	State       DKIMKeyState
	CreatedAt   time.Time
	ActivatedAt *time.Time
	RetiredAt   *time.Time
}

func (DKIMKey) TableName() string { return "dkim_keys" }

// RecordName is where the key is published.
func (k *DKIMKey) RecordName(domain string) string { return k.Selector + "._domainkey." + domain }

// RecordValue is the TXT value to publish (RFC 6376, RFC 8463).
func (k *DKIMKey) RecordValue() string {
	return "v=DKIM1; k=" + string(k.Algorithm) + "; p=" + k.PublicKey
}

// Label names the key for people.
func (k *DKIMKey) Label() string {
	if k.Algorithm == DKIMEd25519 {
		return "Ed25519"
	}
	return "RSA-" + strconv.Itoa(k.Bits)
}

const dkimSealPurpose = "dkim private key"

func (s *Domains) newDKIMKey(alg DKIMAlgorithm, bits int) (*DKIMKey, error) {
	var (
		priv crypto.Signer
		pub  []byte
		err  error
	)
	switch alg {
	case DKIMRSA:
		if bits != 1024 && bits != 2048 {
			return nil, models.Invalid("dkim", "RSA DKIM keys are 1024 or 2048 bits.")
		}
		var k *rsa.PrivateKey
		if k, err = rsa.GenerateKey(rand.Reader, bits); err == nil {
			priv = k
			pub, err = x509.MarshalPKIXPublicKey(&k.PublicKey)
		}
	case DKIMEd25519:
		var p ed25519.PublicKey
		if p, priv, err = ed25519.GenerateKey(rand.Reader); err == nil {
			pub = p // RFC 8463: the raw 32-byte key, not SPKI
			bits = 256
		}
	default:
		return nil, models.Invalid("algorithm", "Choose an RSA or an Ed25519 key.")
	}
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return &DKIMKey{
		Algorithm: alg, Bits: bits, PrivateKey: s.Sealer.Seal(dkimSealPurpose, der),
		PublicKey: base64.StdEncoding.EncodeToString(pub), State: DKIMPending, CreatedAt: s.Now(),
	}, nil
}

// DKIMKeys returns a domain's keys that are published or signing.
func (s *Domains) DKIMKeys(ctx context.Context, domainID uint64) ([]DKIMKey, error) {
	var keys []DKIMKey
	err := s.Gorm.WithContext(ctx).Where("domain_id = ? AND state <> ?", domainID, DKIMRetired).
		Order("id").Find(&keys).Error
	return keys, err
}

// nextSelector numbers selectors sesame1, sesame2, … per domain.
func nextSelector(tx *gorm.DB, domainID uint64) (string, error) {
	var selectors []string
	if err := tx.Model(&DKIMKey{}).Where("domain_id = ?", domainID).Pluck("selector", &selectors).Error; err != nil {
		return "", err
	}
	max := 0
	for _, sel := range selectors {
		if n, err := strconv.Atoi(strings.TrimPrefix(sel, "sesame")); err == nil && n > max {
			max = n
		}
	}
	return "sesame" + strconv.Itoa(max+1), nil
}

// AddDKIMKey publishes a new key beside the current ones: an RSA key to
// rotate to (it replaces the signing RSA key once its record verifies), or
// an Ed25519 key for dual signing. One pending key of each kind at a time.
func (s *Domains) AddDKIMKey(ctx context.Context, domainID uint64, alg DKIMAlgorithm) (*DKIMKey, error) {
	bits := 2048
	key, err := s.newDKIMKey(alg, bits)
	if err != nil {
		return nil, err
	}
	err = s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Domain
		if err := tx.Take(&d, domainID).Error; err != nil {
			return db.NotFound(err)
		}
		var existing []DKIMKey
		if err := tx.Where("domain_id = ? AND algorithm = ? AND state <> ?", domainID, alg, DKIMRetired).Find(&existing).Error; err != nil {
			return err
		}
		for _, k := range existing {
			if k.State == DKIMPending {
				return models.Conflictf("A new %s key (selector %s) is already waiting for its DNS record.", k.Label(), k.Selector)
			}
			if alg == DKIMEd25519 {
				return models.Conflictf("%s already has an Ed25519 key (selector %s).", d.Name, k.Selector)
			}
		}
		sel, err := nextSelector(tx, domainID)
		if err != nil {
			return err
		}
		key.DomainID, key.Selector = domainID, sel
		return tx.Create(key).Error
	})
	if err != nil {
		return nil, err
	}
	return key, nil
}

// SigningKey is a decrypted key for the DKIM signer.
type SigningKey struct {
	Selector  string
	Algorithm DKIMAlgorithm
	Signer    crypto.Signer
}

// SigningKeys returns the active keys of a domain, decrypted: the RSA key
// and, for dual signing, the Ed25519 key; none when the relay signs
// (IdentityConfig.RelaySigns).
func (s *Domains) SigningKeys(ctx context.Context, domainID uint64) ([]SigningKey, error) {
	if s.config.Relay != "" {
		d, err := s.GetDomain(ctx, domainID)
		if err != nil {
			return nil, err
		}
		if s.config.RelaySigns(d) {
			return nil, nil
		}
	}
	var keys []DKIMKey
	if err := s.Gorm.WithContext(ctx).Where("domain_id = ? AND state = ?", domainID, DKIMActive).Order("algorithm DESC").Find(&keys).Error; err != nil {
		return nil, err
	}
	out := make([]SigningKey, 0, len(keys))
	for _, k := range keys {
		der, err := s.Sealer.Open(dkimSealPurpose, k.PrivateKey)
		if err != nil {
			return nil, err
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, err
		}
		signer, ok := priv.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("DKIM key %s is not a signer", k.Selector)
		}
		out = append(out, SigningKey{Selector: k.Selector, Algorithm: k.Algorithm, Signer: signer})
	}
	return out, nil
}
