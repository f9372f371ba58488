package engagement_test

import (
	"testing"

	"github.com/heraldhq/herald/app/engagement"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		body, optOutType string
		want             engagement.Classification
	}{
		{"STOP", "", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{"stop", "", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{" Stop. ", "", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{"STOPALL", "", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{"unsubscribe", "", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{"Cancel", "", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{"END", "", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{"quit", "", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{"REVOKE", "", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{"optout", "", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{"START", "", engagement.Classification{Intent: engagement.IntentOptIn, Keyword: true}},
		{"yes", "", engagement.Classification{Intent: engagement.IntentOptIn, Keyword: true}},
		{"UNSTOP", "", engagement.Classification{Intent: engagement.IntentOptIn, Keyword: true}},
		{"HELP", "", engagement.Classification{Intent: engagement.IntentHelp, Keyword: true}},
		{"info?", "", engagement.Classification{Intent: engagement.IntentHelp, Keyword: true}},
		{"arret", "STOP", engagement.Classification{Intent: engagement.IntentOptOut, Keyword: true}},
		{"go", "START", engagement.Classification{Intent: engagement.IntentOptIn, Keyword: true}},
		{"ayuda", "HELP", engagement.Classification{Intent: engagement.IntentHelp, Keyword: true}},
		{"C", "", engagement.Classification{Intent: engagement.IntentConfirm}},
		{"c", "", engagement.Classification{Intent: engagement.IntentConfirm}},
		{"Confirmed!", "", engagement.Classification{Intent: engagement.IntentConfirm}},
		{"8", "", engagement.Classification{Intent: engagement.IntentScore, Score: 8}},
		{"10", "", engagement.Classification{Intent: engagement.IntentScore, Score: 10}},
		{"0", "", engagement.Classification{Intent: engagement.IntentScore, Score: 0}},
		{"3/10", "", engagement.Classification{Intent: engagement.IntentScore, Score: 3}},
		{"11", "", engagement.Classification{Intent: engagement.IntentReply}},
		{"stop texting me", "", engagement.Classification{Intent: engagement.IntentOptOut, Natural: true}},
		{"Please don't text me anymore", "", engagement.Classification{Intent: engagement.IntentOptOut, Natural: true}},
		{"please don’t text me anymore", "", engagement.Classification{Intent: engagement.IntentOptOut, Natural: true}},
		{"unsubscribe me", "", engagement.Classification{Intent: engagement.IntentOptOut, Natural: true}},
		{"Can you stop sending me these", "", engagement.Classification{Intent: engagement.IntentOptOut, Natural: true}},
		{"I want to opt out", "", engagement.Classification{Intent: engagement.IntentOptOut, Natural: true}},
		{"no more texts please", "", engagement.Classification{Intent: engagement.IntentOptOut, Natural: true}},
		{"remove me from your list", "", engagement.Classification{Intent: engagement.IntentOptOut, Natural: true}},
		{"Por favor no me envíen más mensajes", "", engagement.Classification{Intent: engagement.IntentOptOut, Natural: true}},
		{"Can I stop by the office on Tuesday?", "", engagement.Classification{Intent: engagement.IntentReply}},
		{"I don't have the documents yet", "", engagement.Classification{Intent: engagement.IntentReply}},
		{"Yes I will be there", "", engagement.Classification{Intent: engagement.IntentReply}},
		{"When is my hearing?", "", engagement.Classification{Intent: engagement.IntentReply}},
	}
	for _, tt := range tests {
		if got := engagement.Classify(tt.body, tt.optOutType); got != tt.want {
			t.Errorf("Classify(%q, %q) = %+v, want %+v", tt.body, tt.optOutType, got, tt.want)
		}
	}
}
