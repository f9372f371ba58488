package delivery

import (
	"net/http"
	"strconv"
)

// Provider names used in SendError.Provider, Receipt.Provider and CodeInfo.
const (
	ProviderSendGrid = "sendgrid"
	ProviderTwilio   = "twilio"
	ProviderSandbox  = "sandbox"
)

// codeInfo is one row of the classification table.
type codeInfo struct {
	class       Class
	reason, fix string
}

const fixRetry = "none needed; Herald retries automatically"

// twilioCodes maps Twilio error codes, whether returned by the Messages API or
// reported later in a status callback's ErrorCode, to a class and advice.
// See https://www.twilio.com/docs/api/errors.
var twilioCodes = map[string]codeInfo{
	"20003": {Permanent, "Twilio credentials rejected", "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"},
	"20404": {Permanent, "Twilio resource not found", "check TWILIO_ACCOUNT_SID and TWILIO_MESSAGING_SERVICE_SID"},
	"20429": {Transient, "Twilio rate limit reached (too many requests)", fixRetry},
	"21211": {Permanent, "invalid 'To' phone number", "fix the client's mobile number in the CMS"},
	"21222": {Permanent, "Twilio account SID contains illegal characters", "check TWILIO_ACCOUNT_SID"},
	"21224": {Permanent, "Twilio auth token contains illegal characters", "check TWILIO_AUTH_TOKEN"},
	"21408": {Permanent, "SMS to this country is not enabled on the Twilio account", "enable the region in Twilio's geo permissions, or use email"},
	"21602": {Permanent, "the SMS body is empty", "fix the template so it renders text"},
	"21606": {Permanent, "the 'From' number cannot send SMS", "check TWILIO_FROM_NUMBER or use a messaging service"},
	"21610": {Permanent, "the client replied STOP", "they must text START to opt back in; use email"},
	"21612": {Permanent, "Twilio cannot route to this number", "confirm the number with the client and fix it in the CMS, or use email"},
	"21614": {Permanent, "the 'To' number is not a mobile number", "switch to email or fix the number in the CMS"},
	"21617": {Permanent, "the SMS body is longer than 1600 characters", "shorten the template"},
	"30001": {Transient, "Twilio's queue for this sender overflowed", fixRetry},
	"30002": {Permanent, "the Twilio account is suspended", "contact Twilio support; no SMS can be sent until it is resolved"},
	"30003": {Transient, "the client's handset is unreachable (off or out of coverage)", fixRetry},
	"30004": {Permanent, "the message was blocked by the recipient or their carrier", "contact the client by phone or email"},
	"30005": {Permanent, "unknown or inactive number", "confirm the number with the client and fix it in the CMS"},
	"30006": {Permanent, "landline or unreachable carrier", "switch to email or fix the number in the CMS"},
	"30007": {Permanent, "the carrier filtered the message as spam", "review the template wording and the A2P 10DLC registration; use email meanwhile"},
	"30008": {Transient, "unknown carrier error", fixRetry},
	"30022": {Transient, "A2P 10DLC throughput limit exceeded", fixRetry},
	"30034": {Permanent, "the sender number is not registered for A2P 10DLC", "complete the A2P 10DLC registration in Twilio"},
}

// sendgridCodes maps SendGrid HTTP statuses (the Mail Send API has no error
// codes) and event types reported by the event webhook.
var sendgridCodes = map[string]codeInfo{
	"400":        {Permanent, "SendGrid rejected the request", "fix the field named in the reason (address, sender or template)"},
	"401":        {Permanent, "SendGrid API key rejected", "check SENDGRID_API_KEY"},
	"403":        {Permanent, "SendGrid refused the sender or the key lacks mail.send permission", "verify the sender identity in SendGrid and the key's permissions"},
	"404":        {Permanent, "SendGrid endpoint not found", "check SENDGRID_BASE_URL"},
	"413":        {Permanent, "message too large", "shorten the template"},
	"bounce":     {Permanent, "hard bounce: the mailbox does not exist", "fix the client's email in the CMS"},
	"dropped":    {Permanent, "SendGrid dropped the message (the address is suppressed or invalid)", "check the client's email in the CMS and SendGrid's suppression lists"},
	"spamreport": {Permanent, "the client marked a message as spam", "stop emailing this address; contact the client another way"},
	"blocked":    {Transient, "the receiving mail server temporarily blocked the message", fixRetry},
	"deferred":   {Transient, "the receiving mail server deferred the message", "none needed; SendGrid keeps retrying"},
}

// CodeInfo returns the class, a human-readable reason and a suggested fix for a
// provider error code: Twilio error codes ("21211"), SendGrid HTTP statuses
// ("401") or event types ("bounce"). Status callback and event webhook
// handlers use it so asynchronous failures read like synchronous ones.
// An unknown code returns an empty Class; callers then fall back on the HTTP
// status, or on their own judgement.
func CodeInfo(provider, code string) (class Class, reason, fix string) {
	var table map[string]codeInfo
	switch provider {
	case ProviderTwilio:
		table = twilioCodes
	case ProviderSendGrid:
		table = sendgridCodes
	}
	if info, ok := table[code]; ok {
		return info.class, info.reason, info.fix
	}
	return "", "", ""
}

// StatusInfo classifies an HTTP error status from provider for which no more
// specific code is known: 408, 429 and 5xx are transient, other 4xx permanent.
// Statuses below 400 are not errors and return an empty Class.
func StatusInfo(provider string, status int) (class Class, reason, fix string) {
	if class, reason, fix := CodeInfo(provider, strconv.Itoa(status)); class != "" {
		return class, reason, fix
	}
	name := provider
	if name == "" {
		name = "the provider"
	}
	text := http.StatusText(status)
	switch {
	case status == http.StatusTooManyRequests:
		return Transient, name + " rate limit reached (too many requests)", fixRetry
	case status == http.StatusRequestTimeout:
		return Transient, name + " timed out reading the request", fixRetry
	case status >= 500:
		return Transient, name + " is unavailable (" + strconv.Itoa(status) + " " + text + ")", fixRetry
	case status == http.StatusUnauthorized:
		return Permanent, name + " rejected the credentials", "check the " + name + " credentials in the configuration"
	case status >= 400:
		return Permanent, name + " rejected the request (" + strconv.Itoa(status) + " " + text + ")", "read the reason, fix the message or configuration, then resend"
	}
	return "", "", ""
}
