//go:build !(cgo && unix)

package rsasign

import (
	"crypto/rsa"
	"errors"
)

// Without cgo there is no libcrypto to call, Available says so, and Load
// never reaches loadKey: every signature goes through crypto/rsa.

var errNoCgo = errors.New("rsasign: built without cgo")

func load() error { return errNoCgo }

type cKey struct{}

func loadKey(*rsa.PrivateKey) (*cKey, error) { return nil, errNoCgo }

func (*cKey) sign([]byte) ([]byte, error) { return nil, errNoCgo }

func (*cKey) free() {}
