package engagement

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Intents of an inbound SMS; they are inbound_messages.intent values.
const (
	IntentReply   = "reply"
	IntentOptOut  = "opt_out"
	IntentOptIn   = "opt_in"
	IntentHelp    = "help"
	IntentConfirm = "confirm"
	IntentScore   = "score"
)

// Keywords Twilio's opt-out handling recognises (CTIA, plus REVOKE and
// OPTOUT added for the FCC's 2025 revocation rule). A message that is exactly
// one of them, in any case and with trailing punctuation, is a keyword.
var (
	optOutKeywords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
	optInKeywords  = []string{"START", "YES", "UNSTOP"}
	helpKeywords   = []string{"HELP", "INFO"}
	confirmWords   = []string{"C", "CONFIRM", "CONFIRMED", "CONFIRMO", "CONFIRMAR", "CONFIRMADO"}
)

// naturalOptOut matches replies that revoke consent "by any reasonable
// means" without using a keyword. They lean towards opting out: a false
// positive costs one SMS conversation (staff are told and can call), a false
// negative is a TCPA violation.
var naturalOptOut = []*regexp.Regexp{
	regexp.MustCompile(`\bunsubscribe\b`),
	regexp.MustCompile(`\bopt(ing)?[\s-]?out\b`),
	regexp.MustCompile(`\bstop sending\b`),
	regexp.MustCompile(`\b(stop|quit|cease)\b.{0,30}\b(text|texts|texting|messag\w*|sms|contacting)\b`),
	regexp.MustCompile(`\b(don'?t|dont|do not|never)\s+(ever\s+)?(text|message|sms|contact|send me)\b`),
	regexp.MustCompile(`\b(no longer|no more|enough)\b.{0,20}\b(texts?|messages?|sms)\b`),
	regexp.MustCompile(`\b(remove|take)\b.{0,15}\b(me|my number)\b.{0,25}\b(list|off|from)\b`),
	regexp.MustCompile(`\bleave me alone\b`),
	// Spanish, the second language Herald ships templates in.
	regexp.MustCompile(`\b(no|ya no)\b.{0,20}\b(me )?(env[ií]en|manden|mande|escriban|textee?n)\b`),
	regexp.MustCompile(`\b(dejen|deje) de\b.{0,30}\b(mensajes|textos|escribir|enviar)\b`),
	regexp.MustCompile(`\b(darme de baja|dar de baja|cancelar (la )?suscripci[oó]n)\b`),
}

var scoreRE = regexp.MustCompile(`^(10|[0-9])(\s*(/|out of|de)\s*10)?$`)

// Classification is what an inbound SMS says.
type Classification struct {
	Intent string
	// Keyword is true when the intent came from a standard keyword (which
	// Twilio's opt-out handling also recognises and answers).
	Keyword bool
	// Natural is true for an opt-out found in free text.
	Natural bool
	// Score is the 0-10 value of a score reply.
	Score int
}

// Classify reads one inbound SMS body. optOutType is Twilio's OptOutType
// parameter (STOP, START or HELP, sent when Advanced Opt-Out recognised a
// keyword, including the firm's custom ones); when present it wins.
// Confirm and Score are candidates only: the caller decides from context
// (a court-date reminder, a check-in) whether they are answers or plain
// replies.
func Classify(body, optOutType string) Classification {
	switch strings.ToUpper(strings.TrimSpace(optOutType)) {
	case "STOP":
		return Classification{Intent: IntentOptOut, Keyword: true}
	case "START":
		return Classification{Intent: IntentOptIn, Keyword: true}
	case "HELP":
		return Classification{Intent: IntentHelp, Keyword: true}
	}
	word := strings.ToUpper(strings.Trim(strings.TrimSpace(body), ".!?¡¿ \t\r\n\"'"))
	switch {
	case slices.Contains(optOutKeywords, word):
		return Classification{Intent: IntentOptOut, Keyword: true}
	case slices.Contains(optInKeywords, word):
		return Classification{Intent: IntentOptIn, Keyword: true}
	case slices.Contains(helpKeywords, word):
		return Classification{Intent: IntentHelp, Keyword: true}
	case slices.Contains(confirmWords, word):
		return Classification{Intent: IntentConfirm}
	}
	if m := scoreRE.FindStringSubmatch(strings.ToLower(word)); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Classification{Intent: IntentScore, Score: n}
	}
	if IsNaturalOptOut(body) {
		return Classification{Intent: IntentOptOut, Natural: true}
	}
	return Classification{Intent: IntentReply}
}

// IsNaturalOptOut reports whether free text asks Herald to stop messaging.
func IsNaturalOptOut(body string) bool {
	text := strings.ToLower(strings.Join(strings.Fields(body), " "))
	text = strings.NewReplacer("’", "'", "‘", "'").Replace(text)
	for _, re := range naturalOptOut {
		if re.MatchString(text) {
			return true
		}
	}
	return false
}
