package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/tasks"
	"github.com/heraldhq/herald/views"
)

// dataHealth handles GET /data-health.
func (h *portalHandlers) dataHealth(c *fiber.Ctx) error {
	dh, err := h.ps.Read.DataHealth(c.UserContext())
	if err != nil {
		return err
	}
	v := views.DataHealthView{H: dh, CanMap: h.ps.Statuses != nil}
	return show(c, fiber.StatusOK, views.DataHealthPage(h.page(c, "Data health", "data-health"), v))
}

// mapStatus handles POST /data-health/map: one-click "this raw value means
// that canonical status" (statuses.AddAlias).
func (h *portalHandlers) mapStatus(c *fiber.Ctx) error {
	raw, key := strings.TrimSpace(c.FormValue("raw")), c.FormValue("status")
	if raw == "" || key == "" {
		return derrors.Invalid("status", "raw value and status are both required", "use the Map buttons")
	}
	if err := h.ps.Statuses.AddAlias(c.UserContext(), raw, key, actor(c)); err != nil {
		return err
	}
	return redirect(c, "/data-health?done=mapped")
}

// taskList handles GET /tasks (?status=done for finished ones).
func (h *portalHandlers) taskList(c *fiber.Ctx) error {
	status := tasks.StatusOpen
	if c.Query("status") == "done" {
		status = "done"
	}
	ts, err := h.ps.Tasks.List(c.UserContext(), tasks.Filter{Status: status, Limit: 200})
	if err != nil {
		return err
	}
	staff, err := h.ps.Read.Assignees(c.UserContext())
	if err != nil {
		return err
	}
	v := views.TasksView{Tasks: ts, Staff: staff, Status: status, CanAct: true}
	return show(c, fiber.StatusOK, views.TasksPage(h.page(c, "Tasks", "tasks"), v))
}

// assignTask handles POST /tasks/:id/assign.
func (h *portalHandlers) assignTask(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	staffID, err := strconv.ParseInt(c.FormValue("staff_id"), 10, 64)
	if err != nil || staffID <= 0 {
		return derrors.Invalid("staff_id", "is not a staff member", "pick someone from the list")
	}
	if err := h.ps.Tasks.Assign(c.UserContext(), id, staffID, actor(c)); err != nil {
		return err
	}
	return redirect(c, "/tasks?done=assigned")
}

// completeTask handles POST /tasks/:id/complete.
func (h *portalHandlers) completeTask(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := h.ps.Tasks.Complete(c.UserContext(), id, actor(c)); err != nil {
		return err
	}
	return redirect(c, "/tasks?done=completed")
}

// auditLog handles GET /audit.
func (h *portalHandlers) auditLog(c *fiber.Ctx) error {
	f := portal.AuditFilter{Actor: c.Query("actor"), Action: c.Query("action")}
	rows, err := h.ps.Read.Audit(c.UserContext(), f)
	if err != nil {
		return err
	}
	return show(c, fiber.StatusOK, views.AuditPage(h.page(c, "Audit log", "audit"), f, rows))
}

// approvals handles GET /approvals.
func (h *portalHandlers) approvals(c *fiber.Ctx) error {
	rows, err := h.ps.Read.Approvals(c.UserContext())
	if err != nil {
		return err
	}
	return show(c, fiber.StatusOK, views.ApprovalsPage(h.page(c, "Approvals", "approvals"), rows, h.ps.Approvals != nil))
}

// approve handles POST /approvals/:id/approve.
func (h *portalHandlers) approve(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := h.ps.Approvals.Approve(c.UserContext(), id, actor(c)); err != nil {
		return err
	}
	return redirect(c, "/approvals?done=approved")
}

// discard handles POST /approvals/:id/discard; a note is required.
func (h *portalHandlers) discard(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := h.ps.Approvals.Discard(c.UserContext(), id, actor(c), c.FormValue("note")); err != nil {
		return err
	}
	return redirect(c, "/approvals?done=discarded")
}

// staffList handles GET /settings/staff.
func (h *portalHandlers) staffList(c *fiber.Ctx) error {
	us, err := h.ps.Users.List(c.UserContext())
	if err != nil {
		return err
	}
	me := currentUser(c)
	rows := make([]views.StaffRow, 0, len(us))
	p := h.page(c, "Staff", "staff")
	for _, u := range us {
		last := "never signed in"
		if u.LastLoginAt != nil {
			last = "last sign-in " + p.When(*u.LastLoginAt)
		}
		rows = append(rows, views.StaffRow{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, Active: u.Active,
			Self: me != nil && me.ID == u.ID, Last: last})
	}
	return show(c, fiber.StatusOK, views.StaffPage(p, rows, auth.Roles))
}

// staffUpdate handles POST /settings/staff/:id: role and active flag.
func (h *portalHandlers) staffUpdate(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	me := currentUser(c)
	if _, err := h.ps.Users.Update(c.UserContext(), auth.Actor{Name: actor(c), Role: me.Role}, me.ID, id,
		c.FormValue("role"), c.FormValue("active") == "1"); err != nil {
		return err
	}
	return redirect(c, "/settings/staff?done=staff-saved")
}

// queues handles GET /ops/queues with asynq's Inspector.
func (h *portalHandlers) queues(c *fiber.Ctx) error {
	p := h.page(c, "Queues", "queues")
	if h.inspector == nil {
		return show(c, fiber.StatusOK, views.QueuesPage(p, nil, "The queue inspector is not connected in this process."))
	}
	names, err := h.inspector.Queues()
	if err != nil {
		return show(c, fiber.StatusServiceUnavailable, views.QueuesPage(p, nil, fmt.Sprintf("Redis did not answer: %v", err)))
	}
	var rows []views.QueueRow
	for _, n := range names {
		info, err := h.inspector.GetQueueInfo(n)
		if err != nil {
			continue
		}
		rows = append(rows, views.QueueRow{Name: n, Pending: info.Pending, Active: info.Active, Scheduled: info.Scheduled,
			Retry: info.Retry, Archived: info.Archived, Processed: info.Processed, Failed: info.Failed, Paused: info.Paused})
	}
	return show(c, fiber.StatusOK, views.QueuesPage(p, rows, ""))
}
