package auth

import "slices"

// Permission names something a staff member can see or do in the portal.
// Every portal route is guarded by the roles RolesFor returns, and the
// screens hide what Can denies.
type Permission string

// Portal permissions.
const (
	PermDashboard     Permission = "dashboard"      // everyone signed in with a role
	PermViewCases     Permission = "cases.view"     // cases, case detail, client timelines
	PermPause         Permission = "cases.pause"    // the big red button: case, client and firm-wide
	PermViewTemplates Permission = "templates.view" // template list, versions, preview
	PermEditTemplates Permission = "templates.edit" // save and roll back
	PermDeadLetters   Permission = "dead_letters"   // list, retry, resolve
	PermDataHealth    Permission = "data_health"    // findings, unmapped statuses, mapping
	PermTasks         Permission = "tasks"          // staff tasks, replies
	PermApprovals     Permission = "approvals"      // approve or discard held messages
	PermAudit         Permission = "audit"          // the audit log
	PermRules         Permission = "rules"          // rules list
	PermEditRules     Permission = "rules.edit"     // edit, enable/disable and add rules
	PermSettings      Permission = "settings"       // firm info, SMS window, retries, alert recipients
	PermQueues        Permission = "queues"         // asynq queue view
	PermUsers         Permission = "users"          // staff users and roles
	PermAnalytics     Permission = "analytics"      // engagement per template, rate charts
	PermReply         Permission = "replies.send"   // answer a client's text from the conversation view
	PermHeld          Permission = "held"           // held messages: list, release, cancel
	PermSendNow       Permission = "held.send_now"  // send an SMS held for the window now, with a reason
)

// permissions is the role table of issue 6: admin does everything; attorneys
// pause, approve and view; paralegals work templates, cases, replies and dead
// letters; ops handle dead letters, data health and queues.
var permissions = map[Permission][]string{
	PermDashboard:     {RoleAdmin, RoleAttorney, RoleParalegal, RoleOps},
	PermViewCases:     {RoleAdmin, RoleAttorney, RoleParalegal, RoleOps},
	PermPause:         {RoleAdmin, RoleAttorney},
	PermViewTemplates: {RoleAdmin, RoleAttorney, RoleParalegal},
	PermEditTemplates: {RoleAdmin, RoleParalegal},
	PermDeadLetters:   {RoleAdmin, RoleParalegal, RoleOps},
	PermDataHealth:    {RoleAdmin, RoleParalegal, RoleOps},
	PermTasks:         {RoleAdmin, RoleAttorney, RoleParalegal},
	PermApprovals:     {RoleAdmin, RoleAttorney},
	PermAudit:         {RoleAdmin, RoleAttorney},
	PermRules:         {RoleAdmin, RoleAttorney, RoleParalegal},
	PermEditRules:     {RoleAdmin},
	PermSettings:      {RoleAdmin},
	PermQueues:        {RoleAdmin, RoleOps},
	PermUsers:         {RoleAdmin},
	PermAnalytics:     {RoleAdmin, RoleAttorney, RoleParalegal, RoleOps},
	PermReply:         {RoleAdmin, RoleParalegal},
	PermHeld:          {RoleAdmin, RoleAttorney, RoleParalegal},
	PermSendNow:       {RoleAdmin},
}

// RolesFor returns the roles allowed p; an unknown permission allows only admin.
func RolesFor(p Permission) []string {
	if r, ok := permissions[p]; ok {
		return r
	}
	return []string{RoleAdmin}
}

// Can reports whether role holds permission p.
func Can(role string, p Permission) bool {
	return role != "" && slices.Contains(RolesFor(p), role)
}
