package engagement_test

import (
	"context"
	"errors"
	"testing"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ledger"
)

func TestStaffReplyGoesThroughTheLedger(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.inbound(t, "Can I bring my sister to the meeting?", "")
	req := engagement.StaffReply{ClientID: e.client.ClientID, CaseID: &e.client.CaseID, Body: "Yes, of course.", Actor: "pat@firm.test", Key: "form-1"}
	id, err := e.svc.SendStaffReply(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.SendStaffReply(ctx, req)
	if err != nil || again != id {
		t.Errorf("resubmitted form = %d, %v; want the same message %d", again, err, id)
	}
	m := e.msg(t, id)
	if m.Kind != "staff_reply" || m.Recipient != phone || m.Status != ledger.StatusPending {
		t.Errorf("message = %s to %s %s, want a pending staff_reply to the client", m.Kind, m.Recipient, m.Status)
	}
	if got := len(e.enq.ids); got < 1 || e.enq.ids[len(e.enq.ids)-1] != id {
		t.Errorf("delivery not woken for the reply: %v", e.enq.ids)
	}
	if got := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'message.staff_reply' AND actor = 'pat@firm.test'`); got != 1 {
		t.Errorf("audit rows = %d, want 1", got)
	}
	if got := e.count(t, `SELECT count(*) FROM inbound_messages WHERE unread`); got != 0 {
		t.Errorf("unread after replying = %d, want 0", got)
	}
	if err := e.delivery.Deliver(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got := e.msg(t, id).Status; got != ledger.StatusSent {
		t.Errorf("after delivery: %s, want sent", got)
	}
	// Opt-out still applies to staff replies: one recorded before the STOP
	// is cancelled at send time, one written after it is refused outright.
	id2, err := e.svc.SendStaffReply(ctx, engagement.StaffReply{ClientID: e.client.ClientID, Body: "Are you there?", Actor: "pat", Key: "form-2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.msg(t, id2).CaseID; got == nil || *got != e.client.CaseID {
		t.Errorf("reply without a case belongs to case %v, want the client's case %d", got, e.client.CaseID)
	}
	e.inbound(t, "STOP", "")
	if err := e.delivery.Deliver(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if got := e.msg(t, id2).Status; got != ledger.StatusCancelled {
		t.Errorf("staff reply recorded before STOP: %s, want cancelled", got)
	}
	before := e.count(t, `SELECT count(*) FROM messages`)
	_, err = e.svc.SendStaffReply(ctx, engagement.StaffReply{ClientID: e.client.ClientID, Body: "Hello?", Actor: "pat", Key: "form-3"})
	if !errors.Is(err, engagement.ErrOptedOut) || !errorsIs(err, derrors.Conflict) {
		t.Errorf("staff reply after STOP = %v, want ErrOptedOut (a conflict)", err)
	}
	if after := e.count(t, `SELECT count(*) FROM messages`); after != before {
		t.Errorf("messages %d → %d: a refused reply was recorded", before, after)
	}
	for _, bad := range []engagement.StaffReply{{ClientID: e.client.ClientID, Key: "k"}, {ClientID: e.client.ClientID, Body: "x"}} {
		if _, err := e.svc.SendStaffReply(ctx, bad); !errorsIs(err, derrors.InvalidArgument) {
			t.Errorf("SendStaffReply(%+v) = %v, want InvalidArgument", bad, err)
		}
	}
	if _, err := e.svc.SendStaffReply(ctx, engagement.StaffReply{ClientID: 999999, Body: "x", Key: "k"}); !errorsIs(err, derrors.NotFound) {
		t.Errorf("unknown client: %v, want NotFound", err)
	}
}
