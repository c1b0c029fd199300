package rsasign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/sesame-email/sesame/internal/benchmeter"
)

// mustLoad is priv loaded into libcrypto; the test is skipped where libcrypto
// 3 is not there to load into (a build without cgo, a system without it).
func mustLoad(t testing.TB, priv *rsa.PrivateKey) *Key {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("no libcrypto to compare with crypto/rsa: %v", err)
	}
	k, err := Load(priv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k
}

func generate(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// Thousands of random digests signed by libcrypto and by crypto/rsa give
// the same bytes, from two goroutines sharing the key, and they verify.
func TestSignaturesAreCryptoRSAs(t *testing.T) {
	for _, bits := range []int{1024, 2048} {
		priv := generate(t, bits)
		key := mustLoad(t, priv)
		seed := mrand.Uint64()
		t.Logf("RSA-%d, digests from seed %d", bits, seed)
		var wg sync.WaitGroup
		for g := range uint64(2) {
			wg.Go(func() {
				digests := mrand.New(mrand.NewPCG(seed, g))
				digest := make([]byte, sha256.Size)
				for i := range 1000 {
					for j := 0; j < len(digest); j += 8 {
						binary.LittleEndian.PutUint64(digest[j:], digests.Uint64())
					}
					got, err := key.Sign(rand.Reader, digest, crypto.SHA256)
					if err != nil {
						t.Error(err)
						return
					}
					want, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest)
					if err != nil {
						t.Error(err)
						return
					}
					if !bytes.Equal(got, want) {
						t.Errorf("RSA-%d, goroutine %d, digest %d %x:\nlibcrypto %x\ncrypto/rsa %x", bits, g, i, digest, got, want)
						return
					}
					if i == 0 {
						if err := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, digest, got); err != nil {
							t.Errorf("RSA-%d: %v", bits, err)
						}
					}
				}
			})
		}
		wg.Wait()
	}
}

// Signatures asked of a key being closed, and after, are made all the same
// (by crypto/rsa once it is closed), and closing twice is harmless.
func TestCloseWhileSigning(t *testing.T) {
	priv := generate(t, 1024)
	key := mustLoad(t, priv)
	digest := sha256.Sum256([]byte("a message"))
	want, _ := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest[:])
	var signing, wg sync.WaitGroup
	for range 4 {
		signing.Add(1)
		wg.Go(func() {
			for i := range 50 {
				if got, err := key.Sign(nil, digest[:], crypto.SHA256); err != nil || !bytes.Equal(got, want) {
					t.Errorf("%x, %v", got, err)
				}
				if i == 0 {
					signing.Done()
				}
			}
		})
	}
	signing.Wait() // every goroutine signed through libcrypto once
	key.Close()
	wg.Wait()
	if key.Loaded() {
		t.Error("a closed key is still loaded")
	}
	key.Close()
	if got, err := key.Sign(nil, digest[:], crypto.SHA256); err != nil || !bytes.Equal(got, want) {
		t.Errorf("after Close: %x, %v", got, err)
	}
}

// What DKIM does not use still works: the key is a whole crypto.Signer.
func TestOtherOptionsAreCryptoRSAs(t *testing.T) {
	priv := generate(t, 1024)
	key := mustLoad(t, priv)
	digest := sha256.Sum256([]byte("a message"))
	pss := &rsa.PSSOptions{Hash: crypto.SHA256}
	sig, err := key.Sign(rand.Reader, digest[:], pss)
	if err != nil || rsa.VerifyPSS(&priv.PublicKey, crypto.SHA256, digest[:], sig, pss) != nil {
		t.Errorf("PSS: %v", err)
	}
	sha1 := digest[:20]
	sig, err = key.Sign(rand.Reader, sha1, crypto.SHA1)
	if err != nil || rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA1, sha1, sig) != nil {
		t.Errorf("SHA-1: %v", err)
	}
}

// smallKey is a 512-bit key, which crypto/rsa parses but will not sign with.
const smallKey = `-----BEGIN RSA PRIVATE KEY-----
MIIBOgIBAAJBAK+E3Wpxb6cErd7MlStRkgfBcOupa7sfBNkdjZR3Er+Gh/YJoi2g
2q7t96QPUF1n61CDEqaYFQHQ0AZyOAspKo0CAwEAAQJASeHw3jSf3jtPAUE27YQp
p1AbO2gWrC7TeJ1DEqLI5ouFE5O3RXzq09w+uLMUG/Suf0P7lgE1weSK1y1Xia7m
4QIhAN7Ubk3U/dAn6/CdPbdX+cIOs/ixKQvRaMubMH69F2kFAiEAyaWFJJ5hsLhd
u9CeH/UeVStUOtZBdyAIueVit0ggUekCIDqnil18ek8nowiUK2Gui7TUL/V/lMFi
nwYxVIOX/KiNAiBibY8eHslkr7nhUaW9x7J0tF+7EJaIBXT8+MFE4coU8QIhAJ17
zj4FVVPOqfF+hlJzQ2GfogTOIhdrM7gOJcdihlP/
-----END RSA PRIVATE KEY-----`

// Keys crypto/rsa will not sign with are not loaded either: one too short,
// one whose halves do not match.
func TestLoadRefusesWhatCryptoRSARefuses(t *testing.T) {
	if err := Available(); err != nil {
		t.Skip(err)
	}
	block, _ := pem.Decode([]byte(smallKey))
	small, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(nil)
	if _, err := small.Sign(nil, digest[:], crypto.SHA256); err == nil {
		t.Fatal("crypto/rsa signs with a 512-bit key: the premise changed")
	}
	if _, err := Load(small); err == nil {
		t.Error("a 512-bit key was loaded")
	}
	broken := *generate(t, 1024)
	broken.D = small.D
	if _, err := Load(&broken); err == nil {
		t.Error("a key with a wrong private exponent was loaded")
	}
}

// fuzzKeys are keys of odd sizes, made once per process.
var fuzzKeys = sync.OnceValues(func() ([]*rsa.PrivateKey, error) {
	var keys []*rsa.PrivateKey
	for _, bits := range []int{1024, 1031, 1536, 2047, 2048, 2056} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
})

// fuzzOptions are what a caller may ask of a crypto.Signer.
var fuzzOptions = []crypto.SignerOpts{crypto.SHA256, crypto.SHA1, crypto.SHA512, crypto.Hash(0)}

// Whatever the input (a digest of any length, empty or huge, keys of odd
// sizes, other hashes), the binding neither crashes nor differs from
// crypto/rsa: the same error or the same bytes.
func FuzzSign(f *testing.F) {
	f.Fuzz(func(t *testing.T, keyIndex, optIndex uint8, digest []byte) {
		keys, err := fuzzKeys()
		if err != nil {
			t.Fatal(err)
		}
		priv := keys[int(keyIndex)%len(keys)]
		opts := fuzzOptions[int(optIndex)%len(fuzzOptions)]
		key := mustLoad(t, priv)
		got, gotErr := key.Sign(nil, digest, opts)
		want, wantErr := priv.Sign(nil, digest, opts)
		if (gotErr == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("RSA-%d, %v, digest %x: libcrypto %x, %v; crypto/rsa %x, %v", priv.N.BitLen(), opts.HashFunc(), digest, got, gotErr, want, wantErr)
		}
		// Below Sign's length check, libcrypto itself signs only what is
		// as long as a SHA-256 digest.
		if len(digest) > 0 {
			got, gotErr = key.k.sign(digest)
			if (gotErr == nil) != (len(digest) == sha256.Size) {
				t.Fatalf("RSA-%d, digest %x: libcrypto %x, %v", priv.N.BitLen(), digest, got, gotErr)
			}
		}
	})
}

// BenchmarkSign: RSA signatures a second on every core (b.RunParallel),
// by crypto/rsa and by libcrypto, and the CPU time each takes.
func BenchmarkSign(b *testing.B) {
	for _, bits := range []int{1024, 2048} {
		priv := generate(b, bits)
		signers := []struct {
			name string
			crypto.Signer
		}{{"go", priv}}
		if Available() == nil {
			signers = append(signers, struct {
				name string
				crypto.Signer
			}{"openssl", mustLoad(b, priv)})
		}
		for _, s := range signers {
			b.Run("signer="+s.name+"/rsa="+strconv.Itoa(bits), func(b *testing.B) {
				digest := sha256.Sum256([]byte("a message"))
				cpu := benchmeter.ProcessCPU()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := s.Sign(nil, digest[:], crypto.SHA256); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
				b.ReportMetric(float64((benchmeter.ProcessCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/sig")
			})
		}
	}
}
