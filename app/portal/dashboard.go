package portal

import (
	"context"
	"sort"
)

// Count is one labelled number on the dashboard.
type Count struct {
	Label string
	N     int64
	Link  string
}

// ChannelCounts are today's messages on one channel, by status.
type ChannelCounts struct {
	Channel  string
	Total    int64
	ByStatus []Count
}

// Dashboard is the home screen: what happened today and what needs a human.
type Dashboard struct {
	MessagesToday    []ChannelCounts
	MessagesTotal    int64
	Dead             int64
	OutcomeUnknown   int64
	Held             int64
	AwaitingApproval int64
	PausedCases      int64
	FirmPaused       bool
	OpenFindings     int64
	UnmappedStatuses int64
	EventsToday      int64
	FailedEvents     int64
	OpenTasks        int64
}

// Dashboard counts today's activity (the firm's day) and the work waiting.
func (r *Reader) Dashboard(ctx context.Context) (Dashboard, error) {
	start, end := r.dayBounds()
	now := r.clock.Now()
	var d Dashboard
	var rows []struct {
		Channel, Status string
		N               int64
	}
	if err := r.scan(ctx, "messages today", &rows,
		`SELECT channel, status, count(*) AS n FROM messages WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2`,
		start, end); err != nil {
		return d, err
	}
	byChannel := map[string]*ChannelCounts{}
	for _, row := range rows {
		cc := byChannel[row.Channel]
		if cc == nil {
			cc = &ChannelCounts{Channel: row.Channel}
			byChannel[row.Channel] = cc
		}
		cc.Total += row.N
		d.MessagesTotal += row.N
		cc.ByStatus = append(cc.ByStatus, Count{Label: row.Status, N: row.N})
	}
	for _, cc := range byChannel {
		sort.Slice(cc.ByStatus, func(i, j int) bool { return cc.ByStatus[i].N > cc.ByStatus[j].N })
		d.MessagesToday = append(d.MessagesToday, *cc)
	}
	sort.Slice(d.MessagesToday, func(i, j int) bool { return d.MessagesToday[i].Channel < d.MessagesToday[j].Channel })

	var w struct {
		Dead, OutcomeUnknown, Held, AwaitingApproval int64
		PausedCases, FirmPaused                      int64
		OpenFindings, Unmapped                       int64
		EventsToday, FailedEvents, OpenTasks         int64
	}
	err := r.scan(ctx, "dashboard counts", &w, `SELECT
		(SELECT count(*) FROM messages WHERE status = 'dead' AND resolved_at IS NULL) AS dead,
		(SELECT count(*) FROM messages WHERE status = 'outcome_unknown' AND resolved_at IS NULL) AS outcome_unknown,
		(SELECT count(*) FROM messages WHERE status = 'held') AS held,
		(SELECT count(*) FROM messages WHERE status = 'awaiting_approval') AS awaiting_approval,
		(SELECT count(*) FROM cases c WHERE c.cms_paused OR EXISTS (SELECT 1 FROM pauses p WHERE
			((p.scope = 'case' AND p.case_id = c.id) OR (p.scope = 'client' AND p.client_id = c.client_id)) AND `+activePause+`)) AS paused_cases,
		(SELECT count(*) FROM pauses p WHERE p.scope = 'firm' AND `+activePause+`) AS firm_paused,
		(SELECT count(*) FROM data_findings WHERE resolved_at IS NULL) AS open_findings,
		(SELECT count(DISTINCT lower(raw)) FROM data_findings WHERE resolved_at IS NULL AND code = 'unknown_status') AS unmapped,
		(SELECT count(*) FROM inbound_events WHERE received_at >= @start AND received_at < @end) AS events_today,
		(SELECT count(*) FROM inbound_events WHERE status = 'failed') AS failed_events,
		(SELECT count(*) FROM staff_tasks WHERE status = 'open') AS open_tasks`,
		map[string]any{"now": now, "start": start, "end": end})
	if err != nil {
		return d, err
	}
	d.Dead, d.OutcomeUnknown, d.Held, d.AwaitingApproval = w.Dead, w.OutcomeUnknown, w.Held, w.AwaitingApproval
	d.PausedCases, d.FirmPaused = w.PausedCases, w.FirmPaused > 0
	d.OpenFindings, d.UnmappedStatuses = w.OpenFindings, w.Unmapped
	d.EventsToday, d.FailedEvents, d.OpenTasks = w.EventsToday, w.FailedEvents, w.OpenTasks
	return d, nil
}
