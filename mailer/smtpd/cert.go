package smtpd

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Names of the self-signed certificate's files in the data directory.
const (
	SelfSignedCertFile = "smtp-tls.crt"
	SelfSignedKeyFile  = "smtp-tls.key"
)

// selfSignedValidity is long: nobody can renew a self-signed certificate
// for its clients, and clients that pinned it should keep working.
const selfSignedValidity = 10 * 365 * 24 * time.Hour

// Certificate returns the TLS certificate for STARTTLS and implicit TLS: the
// operator's files when certFile and keyFile are given; otherwise a
// self-signed certificate for hostname kept in dir, made on the first start
// and reused after, so clients that trust it once keep trusting it. A kept
// certificate is made again when it no longer names hostname or has
// expired.
func Certificate(certFile, keyFile, dir, hostname string, now time.Time) (tls.Certificate, error) {
	if certFile != "" || keyFile != "" {
		return tls.LoadX509KeyPair(certFile, keyFile)
	}
	certFile, keyFile = filepath.Join(dir, SelfSignedCertFile), filepath.Join(dir, SelfSignedKeyFile)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err == nil && cert.Leaf.VerifyHostname(hostname) == nil && now.Before(cert.Leaf.NotAfter) {
		return cert, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return cert, fmt.Errorf("the self-signed certificate in %s: %w (remove %s and %s to make a new one)", dir, err, SelfSignedCertFile, SelfSignedKeyFile)
	}
	certPEM, keyPEM, err := selfSigned(hostname, now)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := writeFile(keyFile, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := writeFile(certFile, certPEM, 0o600); err != nil { // the data directory is private
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// selfSigned makes an ECDSA P-256 certificate for hostname and localhost.
func selfSigned(hostname string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hostname, Organization: []string{"Sesame (self-signed)"}},
		DNSNames:     []string{hostname, "localhost"},
		NotBefore:    now.Add(-time.Hour), // clients whose clock is a little behind
		NotAfter:     now.Add(selfSignedValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// writeFile replaces path through a rename, so a crash never leaves half a
// key behind.
func writeFile(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
