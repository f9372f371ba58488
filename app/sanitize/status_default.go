package sanitize

// DefaultStatuses returns the canonical statuses a new firm starts with. It
// mirrors config/statuses.yaml (a test keeps the two identical) so commands
// that run without a database or a statuses file still have a status map.
func DefaultStatuses() []Status {
	return []Status{
		{Key: "intake_complete", Label: "Intake Complete", Aliases: []string{"Intake Completed", "Intake Done", "Intake Finished"}},
		{Key: "consultation_scheduled", Label: "Consultation Scheduled", Aliases: []string{"Consult Scheduled", "Consultation Set", "Consult Set"}},
		{Key: "retained", Label: "Retained", Aliases: []string{"Signed", "Retainer Signed", "Client Retained"}},
		{Key: "investigation", Label: "Investigation", Aliases: []string{"Investigating", "Under Investigation", "In Investigation"}},
		{Key: "discovery_initiated", Label: "Discovery Initiated", Aliases: []string{"Discovery", "In Discovery", "Discovery Started"}},
		{Key: "mediation_scheduled", Label: "Mediation Scheduled", Aliases: []string{"Mediation Set", "Mediation"}},
		{Key: "settlement_offer_received", Label: "Settlement Offer Received", Aliases: []string{"Settlement Offer Rec'd", "Settlement Offer Recd", "Offer Received", "Offer Rec'd"}},
		{Key: "settled", Label: "Settled", Aliases: []string{"Settlement Reached", "Case Settled"}},
		{Key: "trial_scheduled", Label: "Trial Scheduled", Aliases: []string{"Trial Set", "Set for Trial"}},
		{Key: "closed", Label: "Closed", Aliases: []string{"Case Closed", "Closed - Complete", "Matter Closed"}},
	}
}
