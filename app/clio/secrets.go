package clio

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// SecretBox seals Clio webhook shared secrets for the clio_webhooks table
// with AES-256-GCM. Herald must keep them readable (it checks every
// delivery's HMAC with them), so they are encrypted rather than hashed; a
// plain SHA-256 of each secret (secret_hash) finds a row by secret without
// decrypting, which is safe because Clio's secrets are random.
//
// Keys come from HERALD_DATA_KEY. The first key seals; every key opens, so a
// key can be rotated by putting the new one first, running
// `herald clio webhook reseal`, and then dropping the old one.
type SecretBox struct {
	aeads []cipher.AEAD
}

// sealedPrefix marks a sealed value: version 1 is base64(nonce ‖ ciphertext)
// under the first key that opens it. A stored value without it is a
// plaintext secret from before encryption (migration 00100), still accepted
// until resealed.
const sealedPrefix = "v1:"

// secretAAD binds a sealed value to its column, so it cannot be replayed
// into another encrypted field.
const secretAAD = "herald clio_webhooks.secret"

// ErrSealed is wrapped by every failure to open a stored secret.
var ErrSealed = errors.New("clio: stored webhook secret cannot be decrypted")

// NewSecretBox derives one AES-256 key per entry of keys (HKDF-SHA256).
// Each key must be at least 32 characters; config.Validate checks the same.
func NewSecretBox(keys []string) (*SecretBox, error) {
	if len(keys) == 0 {
		return nil, errors.New("clio: HERALD_DATA_KEY is not set; it encrypts Clio webhook secrets (openssl rand -hex 32)")
	}
	b := &SecretBox{}
	for i, k := range keys {
		if len(k) < 32 {
			return nil, fmt.Errorf("clio: HERALD_DATA_KEY key %d is %d characters; use at least 32", i+1, len(k))
		}
		key, err := hkdf.Key(sha256.New, []byte(k), nil, "herald data key: clio webhook secrets", 32)
		if err != nil {
			return nil, fmt.Errorf("clio: derive data key: %w", err)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("clio: data key: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("clio: data key: %w", err)
		}
		b.aeads = append(b.aeads, aead)
	}
	return b, nil
}

// Seal encrypts secret under the first key with a fresh random nonce.
func (b *SecretBox) Seal(secret string) (string, error) {
	a := b.aeads[0]
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(secret)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("clio: nonce: %w", err)
	}
	out := a.Seal(nonce, nonce, []byte(secret), []byte(secretAAD))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a stored value with whichever key sealed it. current is
// false when the value needs resealing: it is legacy plaintext or was
// sealed under an older key.
func (b *SecretBox) Open(stored string) (secret string, current bool, err error) {
	enc, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, false, nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return "", false, fmt.Errorf("%w: not base64: %w", ErrSealed, err)
	}
	for i, a := range b.aeads {
		if len(raw) < a.NonceSize() {
			break
		}
		plain, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], []byte(secretAAD))
		if err == nil {
			return string(plain), i == 0, nil
		}
	}
	return "", false, fmt.Errorf("%w with any of the %d HERALD_DATA_KEY key(s); restore the key it was sealed with or register the webhook again",
		ErrSealed, len(b.aeads))
}

// secretHash is how clio_webhooks finds a row by its secret.
func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
