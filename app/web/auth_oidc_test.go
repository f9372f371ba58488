package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
)

// fakeOIDC is a local OpenID Provider: discovery, an /authorize endpoint
// that approves at once, /token returning an RS256-signed id_token,
// /userinfo and the JWKS.
type fakeOIDC struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	signWith *rsa.PrivateKey // normally key; another key forges the signature
	clientID string

	mu    sync.Mutex
	email string
	codes map[string]string // code → email
}

func newFakeOIDC(t *testing.T, clientID string) *fakeOIDC {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeOIDC{key: key, signWith: key, clientID: clientID, codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{
			"issuer": f.srv.URL, "authorization_endpoint": f.srv.URL + "/authorize", "token_endpoint": f.srv.URL + "/token",
			"userinfo_endpoint": f.srv.URL + "/userinfo", "jwks_uri": f.srv.URL + "/jwks",
		})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != f.clientID || q.Get("response_type") != "code" || !strings.Contains(q.Get("scope"), "openid") {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		code := "code-" + base64.RawURLEncoding.EncodeToString(big.NewInt(time.Now().UnixNano()).Bytes())
		f.mu.Lock()
		f.codes[code] = f.email
		f.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.FormValue("client_id"), r.FormValue("client_secret")
		}
		f.mu.Lock()
		email, known := f.codes[r.FormValue("code")]
		delete(f.codes, r.FormValue("code"))
		f.mu.Unlock()
		if id != f.clientID || secret != "oidc-secret" || !known || r.FormValue("grant_type") != "authorization_code" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": f.srv.URL, "sub": "sub-" + email, "aud": f.clientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"email": email, "email_verified": true, "name": "Olivia Idp",
		})
		tok.Header["kid"] = "k1"
		signed, err := tok.SignedString(f.signWith)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + email, "token_type": "Bearer", "expires_in": 3600, "id_token": signed})
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		email, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer at-")
		if !ok {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"sub": "sub-" + email, "email": email, "name": "Olivia Idp"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		pub := f.key.PublicKey
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// signInWithOIDC runs the whole browser flow for email and returns the
// callback's response.
func signInWithOIDC(t *testing.T, e *portalEnv, f *fakeOIDC, b *browser, email string) *http.Response {
	t.Helper()
	f.mu.Lock()
	f.email = email
	f.mu.Unlock()
	resp, _ := b.get("/auth/oidc/begin?next=%2Fcases")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("begin = %d, want 302 to the provider", resp.StatusCode)
	}
	authorize := resp.Header.Get("Location")
	if !strings.HasPrefix(authorize, f.srv.URL+"/authorize?") {
		t.Fatalf("begin redirects to %q, want the provider's authorize endpoint", authorize)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ar, err := noFollow.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	ar.Body.Close()
	cb, err := url.Parse(ar.Header.Get("Location"))
	if err != nil || cb.Path != "/auth/oidc/callback" {
		t.Fatalf("provider redirected to %q (status %d), want the callback", ar.Header.Get("Location"), ar.StatusCode)
	}
	r, _ := b.get(cb.RequestURI())
	return r
}

func oidcPortal(t *testing.T) (*portalEnv, *fakeOIDC) {
	f := newFakeOIDC(t, "herald-client")
	e := newPortal(t, func(d *web.Deps) {
		d.Services.Portal.DevLogin = false
		d.Services.Portal.Providers = auth.NewProviders(config.OAuth{OIDCClientID: "herald-client", OIDCClientSecret: "oidc-secret",
			OIDCDiscoveryURL: f.srv.URL + "/.well-known/openid-configuration", OIDCName: "Firm SSO"}, "http://herald.test", nil)
		d.Services.Portal.Policy = auth.Policy{AllowedDomains: []string{"firm.test"}, DefaultRole: auth.RoleAttorney}
	})
	return e, f
}

func TestOIDCSignInEndToEnd(t *testing.T) {
	e, f := oidcPortal(t)
	b := e.browser()
	_, doc := b.get("/login")
	if got := text(doc, `[data-testid="login-oidc"]`); got != "Sign in with Firm SSO" {
		t.Errorf("login button = %q, want Sign in with Firm SSO", got)
	}
	if doc.Find(`[data-testid="dev-login"]`).Length() != 0 {
		t.Error("dev sign-in form shown while DevLogin is off")
	}
	resp := signInWithOIDC(t, e, f, b, "Olivia@Firm.test")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cases" {
		t.Fatalf("callback = %d → %q, want 303 → /cases", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, ok := b.cookies["herald_oauth"]; ok {
		t.Error("the state cookie outlived the callback")
	}
	_, doc = b.get("/cases")
	if got := text(doc, `[data-testid="who"]`); got != "Olivia Idp" {
		t.Errorf("signed in as %q, want Olivia Idp", got)
	}
	if got := e.scalar(`SELECT role || ' ' || provider FROM staff_users WHERE email = 'olivia@firm.test'`); got != "attorney oidc" {
		t.Errorf("stored user = %v, want the default role attorney via oidc", got)
	}
}

func TestOIDCRefusals(t *testing.T) {
	tests := []struct {
		name       string
		email      string
		forge      bool
		wantStatus int
	}{
		{"outside the allowlist", "mallory@elsewhere.test", false, http.StatusForbidden},
		{"forged id_token signature", "olivia@firm.test", true, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, f := oidcPortal(t)
			if tt.forge {
				other, _ := rsa.GenerateKey(rand.Reader, 2048)
				f.signWith = other
			}
			b := e.browser()
			resp := signInWithOIDC(t, e, f, b, tt.email)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("callback = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if n := e.scalar(`SELECT count(*) FROM staff_users`); n != int64(0) {
				t.Errorf("%d staff users stored, want none", n)
			}
			if resp, _ := b.get("/cases"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("GET /cases after a refused sign-in = %d, want 303 to sign-in", resp.StatusCode)
			}
		})
	}
}

func TestOIDCStateMismatch(t *testing.T) {
	e, _ := oidcPortal(t)
	b := e.browser()
	b.get("/auth/oidc/begin")
	resp, _ := b.get("/auth/oidc/callback?code=x&state=not-the-state")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("callback with a wrong state = %d, want 401", resp.StatusCode)
	}
	other := e.browser() // no state cookie at all
	if resp, _ := other.get("/auth/oidc/callback?code=x&state=y"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("callback without the state cookie = %d, want 401", resp.StatusCode)
	}
}
