//go:build cgo && unix

package rsasign

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

// The few OpenSSL 3 functions the signer calls, declared here and looked up
// in libcrypto.so.3 at run time rather than linked with -lcrypto: building
// then needs a C compiler but not libssl-dev, and a binary built where
// OpenSSL is runs where it is not, signing with crypto/rsa. The types are
// opaque to this file; the signatures are OpenSSL 3's stable ABI.
static void *(*d2i_PrivateKey_)(int, void **, const unsigned char **, long);
static void (*EVP_PKEY_free_)(void *);
static int (*EVP_PKEY_get_size_)(const void *);
static void *(*EVP_PKEY_CTX_new_)(void *, void *);
static void (*EVP_PKEY_CTX_free_)(void *);
static int (*EVP_PKEY_sign_init_)(void *);
static int (*EVP_PKEY_CTX_set_rsa_padding_)(void *, int);
static int (*EVP_PKEY_CTX_set_signature_md_)(void *, const void *);
static const void *(*EVP_sha256_)(void);
static int (*EVP_PKEY_sign_)(void *, unsigned char *, size_t *, const unsigned char *, size_t);
static unsigned long (*ERR_get_error_)(void);
static void (*ERR_error_string_n_)(unsigned long, char *, size_t);
static void (*ERR_clear_error_)(void);
static unsigned long (*OpenSSL_version_num_)(void);

enum { evp_pkey_rsa = 6, rsa_pkcs1_padding = 1 }; // NID_rsaEncryption, RSA_PKCS1_PADDING

// sesame_load opens libcrypto.so.3 and finds the functions: NULL when all
// are there, else what is wrong.
static const char *sesame_load(void) {
	void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		return dlerror();
	}
#define FIND(name) if ((*(void **)&name##_ = dlsym(lib, #name)) == NULL) return "libcrypto.so.3 lacks " #name;
	FIND(d2i_PrivateKey) FIND(EVP_PKEY_free) FIND(EVP_PKEY_get_size)
	FIND(EVP_PKEY_CTX_new) FIND(EVP_PKEY_CTX_free) FIND(EVP_PKEY_sign_init)
	FIND(EVP_PKEY_CTX_set_rsa_padding) FIND(EVP_PKEY_CTX_set_signature_md) FIND(EVP_sha256)
	FIND(EVP_PKEY_sign) FIND(ERR_get_error) FIND(ERR_error_string_n) FIND(ERR_clear_error)
	FIND(OpenSSL_version_num)
#undef FIND
	if (OpenSSL_version_num_() < 0x30000000UL) {
		return "libcrypto.so.3 is older than OpenSSL 3.0";
	}
	return NULL;
}

// sesame_reason is why the call that just failed on this thread failed,
// as OpenSSL's error code (-1 when it queued none), and empties the queue
// so that a later failure does not report it.
static unsigned long sesame_reason(void) {
	unsigned long e = ERR_get_error_();
	ERR_clear_error_();
	return e != 0 ? e : (unsigned long)-1;
}

static void sesame_reason_string(unsigned long e, char *buf, size_t len) { ERR_error_string_n_(e, buf, len); }

static void *sesame_key(const unsigned char *der, long len, int *size, unsigned long *err) {
	void *pkey = d2i_PrivateKey_(evp_pkey_rsa, NULL, &der, len);
	if (pkey == NULL) {
		*err = sesame_reason();
		return NULL;
	}
	*size = EVP_PKEY_get_size_(pkey);
	return pkey;
}

static void sesame_key_free(void *pkey) { EVP_PKEY_free_(pkey); }

// sesame_context is a context that signs SHA-256 digests with pkey and
// PKCS#1 v1.5 padding, any number of times.
static void *sesame_context(void *pkey, unsigned long *err) {
	void *ctx = EVP_PKEY_CTX_new_(pkey, NULL);
	if (ctx != NULL && EVP_PKEY_sign_init_(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding_(ctx, rsa_pkcs1_padding) == 1 &&
		EVP_PKEY_CTX_set_signature_md_(ctx, EVP_sha256_()) == 1) {
		return ctx;
	}
	*err = sesame_reason();
	EVP_PKEY_CTX_free_(ctx);
	return NULL;
}

static void sesame_context_free(void *ctx) { EVP_PKEY_CTX_free_(ctx); }

// sesame_sign signs digest into sig: 0, or why it failed.
static unsigned long sesame_sign(void *ctx, const unsigned char *digest, size_t digest_len, unsigned char *sig, size_t *sig_len) {
	return EVP_PKEY_sign_(ctx, sig, sig_len, digest, digest_len) == 1 ? 0 : sesame_reason();
}
*/
import "C"

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"sync"
	"unsafe"
)

func load() error {
	if msg := C.sesame_load(); msg != nil {
		return errors.New("rsasign: " + C.GoString(msg))
	}
	return nil
}

// opensslError is what failed and OpenSSL's reason.
func opensslError(what string, reason C.ulong) error {
	if reason == ^C.ulong(0) {
		return errors.New("rsasign: " + what + " failed")
	}
	var buf [256]C.char
	C.sesame_reason_string(reason, &buf[0], C.size_t(len(buf)))
	return errors.New("rsasign: " + what + ": " + C.GoString(&buf[0]))
}

// cKey is an EVP_PKEY and the signing contexts made for it that are not
// in use. The key is shared between threads, a context is not: each
// signature takes one. Keeping them rather than making one per signature
// saves 7 µs of a 290 µs RSA-2048 signature; there are never more than
// the signatures ever made at once.
type cKey struct {
	pkey unsafe.Pointer
	size int // of a signature, in bytes

	mu   sync.Mutex
	idle []unsafe.Pointer // EVP_PKEY_CTX
}

func loadKey(priv *rsa.PrivateKey) (*cKey, error) {
	der := x509.MarshalPKCS1PrivateKey(priv)
	defer clear(der) // the key's only other copy outside crypto/rsa is libcrypto's
	var size C.int
	var reason C.ulong
	pkey := C.sesame_key((*C.uchar)(unsafe.Pointer(&der[0])), C.long(len(der)), &size, &reason)
	if pkey == nil {
		return nil, opensslError("loading the key", reason)
	}
	return &cKey{pkey: pkey, size: int(size)}, nil
}

func (k *cKey) sign(digest []byte) ([]byte, error) {
	sig := make([]byte, k.size)
	n := C.size_t(len(sig))
	d := (*C.uchar)(unsafe.Pointer(&digest[0]))
	s := (*C.uchar)(unsafe.Pointer(&sig[0]))
	ctx, err := k.context()
	if err != nil {
		return nil, err
	}
	if reason := C.sesame_sign(ctx, d, C.size_t(len(digest)), s, &n); reason != 0 {
		C.sesame_context_free(ctx) // in whatever state the failure left it
		return nil, opensslError("signing", reason)
	}
	k.mu.Lock()
	k.idle = append(k.idle, ctx)
	k.mu.Unlock()
	return sig[:n], nil
}

// context takes an idle context, or makes one.
func (k *cKey) context() (unsafe.Pointer, error) {
	k.mu.Lock()
	if n := len(k.idle); n > 0 {
		ctx := k.idle[n-1]
		k.idle = k.idle[:n-1]
		k.mu.Unlock()
		return ctx, nil
	}
	k.mu.Unlock()
	var reason C.ulong
	ctx := C.sesame_context(k.pkey, &reason)
	if ctx == nil {
		return nil, opensslError("making a signing context", reason)
	}
	return ctx, nil
}

// free frees the contexts and the key; none may be signing.
func (k *cKey) free() {
	for _, ctx := range k.idle {
		C.sesame_context_free(ctx)
	}
	k.idle = nil
	C.sesame_key_free(k.pkey)
}
