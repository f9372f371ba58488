package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/azureadv2"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/openidConnect"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/config"
)

// Provider keys as they appear in sign-in URLs (/auth/<key>/begin).
const (
	ProviderGoogle    = "google"
	ProviderMicrosoft = "microsoft"
	ProviderOIDC      = "oidc"
	ProviderDev       = "dev"
)

// ErrUnknownProvider is returned for a provider that is not configured.
var ErrUnknownProvider = fmt.Errorf("sign-in provider %w", derrors.NotFound)

// ProviderInfo is one sign-in button.
type ProviderInfo struct {
	Key   string
	Label string
}

// Providers are the OAuth/OpenID Connect sign-in providers enabled in the
// configuration. They are built with goth but never use gothic's global
// session store: the caller keeps the state and goth's session data in its
// own sealed cookie between Begin and Complete.
type Providers struct {
	cfg    config.OAuth
	base   string
	client *http.Client

	mu    sync.Mutex
	built map[string]goth.Provider
	jwks  *jwksVerifier
}

// NewProviders returns the providers configured in cfg; callbacks go to
// publicURL + "/auth/<key>/callback". client is used for every call to a
// provider (nil means a client with a 10-second timeout).
func NewProviders(cfg config.OAuth, publicURL string, client *http.Client) *Providers {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Providers{cfg: cfg, base: strings.TrimRight(publicURL, "/"), client: client, built: map[string]goth.Provider{}}
}

// Enabled lists the configured providers in display order.
func (p *Providers) Enabled() []ProviderInfo {
	var out []ProviderInfo
	if p.cfg.GoogleClientID != "" {
		out = append(out, ProviderInfo{ProviderGoogle, "Google"})
	}
	if p.cfg.MicrosoftClientID != "" {
		out = append(out, ProviderInfo{ProviderMicrosoft, "Microsoft"})
	}
	if p.cfg.OIDCClientID != "" {
		label := p.cfg.OIDCName
		if label == "" {
			label = "Single sign-on"
		}
		out = append(out, ProviderInfo{ProviderOIDC, label})
	}
	return out
}

func (p *Providers) callback(key string) string { return p.base + "/auth/" + key + "/callback" }

// provider builds (once) the goth provider for key. OpenID Connect discovery
// happens here, so an identity provider that is down fails the sign-in with
// Unavailable rather than the start-up.
func (p *Providers) provider(key string) (goth.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if gp, ok := p.built[key]; ok {
		return gp, nil
	}
	var gp goth.Provider
	switch {
	case key == ProviderGoogle && p.cfg.GoogleClientID != "":
		g := google.New(p.cfg.GoogleClientID, p.cfg.GoogleClientSecret, p.callback(key), "email", "profile")
		g.HTTPClient = p.client
		gp = g
	case key == ProviderMicrosoft && p.cfg.MicrosoftClientID != "":
		tenant := p.cfg.MicrosoftTenant
		if tenant == "" {
			tenant = string(azureadv2.CommonTenant)
		}
		m := azureadv2.New(p.cfg.MicrosoftClientID, p.cfg.MicrosoftSecret, p.callback(key),
			azureadv2.ProviderOptions{Tenant: azureadv2.TenantType(tenant)})
		m.HTTPClient = p.client
		gp = m
	case key == ProviderOIDC && p.cfg.OIDCClientID != "":
		o, err := p.discoverOIDC()
		if err != nil {
			return nil, err
		}
		gp = o
	default:
		return nil, ErrUnknownProvider
	}
	p.built[key] = gp
	return gp, nil
}

func (p *Providers) discoverOIDC() (*openidConnect.Provider, error) {
	// openidConnect.NewNamed fetches discovery with the default client, so
	// fetch it through ours first (timeouts) and build without a round trip.
	doc, err := fetchDiscovery(p.client, p.cfg.OIDCDiscoveryURL)
	if err != nil {
		return nil, fmt.Errorf("%w: OpenID Connect discovery at %s: %w", derrors.Unavailable, p.cfg.OIDCDiscoveryURL, err)
	}
	o, err := openidConnect.NewCustomisedURL(p.cfg.OIDCClientID, p.cfg.OIDCClientSecret, p.callback(ProviderOIDC),
		doc.AuthEndpoint, doc.TokenEndpoint, doc.Issuer, doc.UserInfoEndpoint, "", "openid", "email", "profile")
	if err != nil {
		return nil, fmt.Errorf("%w: OpenID Connect provider: %w", derrors.Unavailable, err)
	}
	o.HTTPClient = p.client
	p.jwks = &jwksVerifier{url: doc.JWKSURI, client: p.client, issuer: doc.Issuer, audience: p.cfg.OIDCClientID}
	return o, nil
}

// Begin starts a sign-in with provider key: it returns the URL to send the
// browser to and goth's session data, which the caller must keep (sealed)
// until Complete. state must be random and is checked again by Complete.
func (p *Providers) Begin(key, state string) (authURL, sessionData string, err error) {
	gp, err := p.provider(key)
	if err != nil {
		return "", "", err
	}
	sess, err := gp.BeginAuth(state)
	if err != nil {
		return "", "", fmt.Errorf("%w: begin %s sign-in: %w", derrors.Unavailable, key, err)
	}
	authURL, err = sess.GetAuthURL()
	if err != nil {
		return "", "", fmt.Errorf("%w: begin %s sign-in: %w", derrors.Unavailable, key, err)
	}
	return authURL, sess.Marshal(), nil
}

// Complete finishes a sign-in: params are the callback's query values,
// wantState the state Begin used. It exchanges the code, verifies the
// identity and returns who signed in.
func (p *Providers) Complete(ctx context.Context, key, sessionData, wantState string, params url.Values) (Identity, error) {
	if e := params.Get("error"); e != "" {
		return Identity{}, fmt.Errorf("%w: the sign-in provider refused: %s %s", derrors.Unauthorized, e, params.Get("error_description"))
	}
	if wantState == "" || params.Get("state") != wantState {
		return Identity{}, fmt.Errorf("%w: sign-in state does not match; start again", derrors.Unauthorized)
	}
	gp, err := p.provider(key)
	if err != nil {
		return Identity{}, err
	}
	sess, err := gp.UnmarshalSession(sessionData)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: sign-in session: %w", derrors.Unauthorized, err)
	}
	if _, err := sess.Authorize(gp, params); err != nil {
		return Identity{}, fmt.Errorf("%w: exchange sign-in code: %w", derrors.Unauthorized, err)
	}
	if os, ok := sess.(*openidConnect.Session); ok && p.jwks != nil {
		// goth only decodes the id_token; verify its signature too.
		if err := p.jwks.verify(ctx, os.IDToken); err != nil {
			return Identity{}, fmt.Errorf("%w: id_token: %w", derrors.Unauthorized, err)
		}
	}
	u, err := gp.FetchUser(sess)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: fetch signed-in user: %w", derrors.Unauthorized, err)
	}
	return identityFrom(key, u)
}

// identityFrom turns goth's user into an Identity, refusing addresses the
// provider says are unverified.
func identityFrom(key string, u goth.User) (Identity, error) {
	email := u.Email
	if email == "" {
		if upn, ok := u.RawData["userPrincipalName"].(string); ok && strings.Contains(upn, "@") {
			email = upn
		}
	}
	for _, claim := range []string{"email_verified", "verified_email"} {
		if v, ok := u.RawData[claim].(bool); ok && !v {
			return Identity{}, fmt.Errorf("%w: the provider has not verified %s", derrors.Forbidden, email)
		}
	}
	if email == "" {
		return Identity{}, errors.Join(derrors.Forbidden, errors.New("the sign-in provider returned no e-mail address"))
	}
	name := u.Name
	if name == "" {
		name = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	return Identity{Provider: key, Email: email, Name: name}, nil
}
