package simulate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// stages is the path a simulated case walks, each canonical status with
// the raw spellings a real CMS user types for it.
var stages = []struct {
	key      string
	variants []string
}{
	{"intake_complete", []string{"Intake Complete", "intake completed", "INTAKE DONE", "Intake finished "}},
	{"consultation_scheduled", []string{"Consultation Scheduled", "consult set", "Consult Scheduled"}},
	{"retained", []string{"Retained", "retainer signed", "Signed"}},
	{"investigation", []string{"Investigation", "under investigation", "Investigating"}},
	{"discovery_initiated", []string{"Discovery Initiated", "in discovery", "Discovery started"}},
	{"mediation_scheduled", []string{"Mediation Scheduled", "mediation set"}},
	{"settlement_offer_received", []string{"Settlement Offer Received", "settlement offer rec'd", "Offer Recd", "offer received"}},
	{"settled", []string{"Settled", "settlement reached", "Case Settled"}},
	{"closed", []string{"Closed", "case closed", "Closed - Complete"}},
}

// unknownStatuses are raw values no alias covers; Herald must flag them,
// never guess.
var unknownStatuses = []string{"Pending Review", "On Hold??", "Lien Negotiation"}

var firstNames = []string{"Jane", "Luis", "Amara", "Wei", "Fatima", "Tom", "María", "Olu", "Priya", "Sean"}
var lastNames = []string{"Smith", "García", "Okafor", "Chen", "Haddad", "O'Brien", "Núñez", "Adeyemi", "Patel", "Murphy"}

// emailDomains mixes real domains with the typos clients and intake staff make.
var emailDomains = []string{"gmail.com", "gmial.com", "yahoo.com", "yaho.com", "outlook.com", "hotmial.com", "icloud.com"}

// phoneFormats renders a 7-digit subscriber number in the ways CMS users
// type phone numbers.
var phoneFormats = []string{"(312) %s-%s", "312-%s-%s", "312.%s.%s", "+1 312 %s %s", "(312) %s-%s (cell)", "312%s%s", "1-312-%s-%s x"}

// dateFormats are the ways a court date arrives.
var dateFormats = []string{"2006-01-02", "01/02/2006", "1/2/06", "January 2, 2006", "Jan 2 2006 3:04 PM", "2006-01-02T15:04:05-07:00", "02-Jan-2006"}

var courtEvents = []string{"Hearing", "Status Conference", "Deposition", "Mediation", "Trial", "motion hrg"}

// simCase is the simulator's idea of one case in the CMS.
type simCase struct {
	id, clientID     string
	first, last      string
	email, phone     string
	stage            int
	court            time.Time
	lang             string
	version          int
	lastSentOccurred time.Time
}

// generator builds deterministic, messy generic-envelope events.
type generator struct {
	rng   *rand.Rand
	cases []*simCase
	seq   int
	loc   *time.Location
}

func newGenerator(seed int64, n int, now time.Time) *generator {
	g := &generator{rng: rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)), loc: time.FixedZone("CST", -6*3600)}
	for i := range n {
		c := &simCase{id: fmt.Sprintf("SIM-%04d", i+1), clientID: fmt.Sprintf("SIM-CL-%04d", i+1),
			first: pick(g.rng, firstNames), last: pick(g.rng, lastNames), stage: -1, lang: "en"}
		c.email = strings.ToLower(strings.NewReplacer("'", "", " ", "").Replace(c.first)) + "." +
			strings.ToLower(strings.NewReplacer("'", "").Replace(c.last)) + "@" + pick(g.rng, emailDomains)
		sub := fmt.Sprintf("%07d", 5550100+g.rng.IntN(99))
		c.phone = fmt.Sprintf(pick(g.rng, phoneFormats), sub[:3], sub[3:])
		if g.rng.IntN(5) == 0 {
			c.lang = pick(g.rng, []string{"es", "Spanish", "español"})
		}
		c.court = now.In(g.loc).AddDate(0, 0, 14+g.rng.IntN(90)).Truncate(time.Hour)
		g.cases = append(g.cases, c)
	}
	return g
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// event is one webhook body with what the test harness needs to know.
type event struct {
	id         string
	caseID     string
	occurredAt time.Time
	body       []byte
}

// next advances a random case by one change at occurredAt and renders it.
func (g *generator) next(occurredAt time.Time) event {
	c := g.cases[g.rng.IntN(len(g.cases))]
	return g.change(c, occurredAt)
}

// change renders the next change of c: usually a status step, sometimes a
// moved court date or a contact-detail edit.
func (g *generator) change(c *simCase, occurredAt time.Time) event {
	g.seq++
	c.version++
	prev := map[string]any{}
	cur := map[string]any{
		"case_number": strings.TrimPrefix(c.id, "SIM-") + "-PI", "client_first_name": c.first,
		"client_last_name": c.last, "client_email": c.email, "client_mobile_phone": c.phone,
		"preferred_language": c.lang, "attorney_id": "ATTY-7", "updated_at": occurredAt.UTC().Format(time.RFC3339Nano),
	}
	switch roll := g.rng.IntN(10); {
	case roll < 6 || c.stage < 0:
		if c.stage >= 0 {
			prev["status"] = stages[c.stage].variants[0]
		}
		if c.stage < len(stages)-1 {
			c.stage++
		}
	case roll < 8:
		prev["next_court_date"] = c.court.Format("2006-01-02")
		c.court = c.court.AddDate(0, 0, 3+g.rng.IntN(30))
		cur["next_court_event_type"] = pick(g.rng, courtEvents)
	default:
		prev["client_email"] = c.email
		c.email = strings.Replace(c.email, "@", pick(g.rng, []string{"@", "@@", " @", "@"}), 1)
	}
	status := pick(g.rng, stages[c.stage].variants)
	if g.rng.IntN(25) == 0 {
		status = pick(g.rng, unknownStatuses)
	}
	cur["status"] = status
	cur["next_court_date"] = c.court.Format(pick(g.rng, dateFormats))
	body, _ := json.Marshal(map[string]any{
		"id": fmt.Sprintf("sim_%s_%d", c.id, c.version), "type": "case.updated",
		"occurred_at": occurredAt.UTC().Format(time.RFC3339Nano),
		"data": map[string]any{"case_id": c.id, "client_id": c.clientID,
			"previous_attributes": prev, "current_attributes": cur},
	})
	return event{id: fmt.Sprintf("sim_%s_%d", c.id, c.version), caseID: c.id, occurredAt: occurredAt, body: body}
}
