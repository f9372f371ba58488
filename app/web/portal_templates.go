package web

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/views"
)

// templates handles GET /templates.
func (h *portalHandlers) templates(c *fiber.Ctx) error {
	fams, err := h.ps.Templates.List(c.UserContext())
	if err != nil {
		return err
	}
	usage, err := h.ps.Read.TemplateUsage(c.UserContext())
	if err != nil {
		return err
	}
	flags, err := h.underperformers(c)
	if err != nil {
		return err
	}
	return show(c, fiber.StatusOK, views.TemplatesPage(h.page(c, "Templates", "templates"),
		views.TemplatesView{Families: fams, Usage: usage, Underperforming: flags}))
}

// templateEdit handles GET /templates/:id: the editor over the current
// version, previewed against the most recently updated case.
func (h *portalHandlers) templateEdit(c *fiber.Ctx) error {
	t, err := h.template(c)
	if err != nil {
		return err
	}
	d := content.TemplateDraft{Subject: t.Current.Subject, HTML: t.Current.HTML, Text: t.Current.Text, SMS: t.Current.SMS}
	return h.renderEditor(c, fiber.StatusOK, t, d, 0, nil, "")
}

func (h *portalHandlers) template(c *fiber.Ctx) (content.Template, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return content.Template{}, err
	}
	return h.ps.Templates.Get(c.UserContext(), id)
}

func (h *portalHandlers) renderEditor(c *fiber.Ctx, status int, t content.Template, d content.TemplateDraft, caseID int64, problems []render.Problem, errMsg string) error {
	ctx := c.UserContext()
	hist, err := h.ps.Templates.History(ctx, t.ID)
	if err != nil {
		return err
	}
	cases, err := h.ps.Read.PreviewCases(ctx, "", 20)
	if err != nil {
		return err
	}
	if caseID == 0 && len(cases) > 0 {
		caseID = cases[0].ID
	}
	v := views.TemplateEditView{T: t, Draft: d, History: hist, CanEdit: can(c, auth.PermEditTemplates), Cases: cases,
		CaseID: caseID, Problems: problems}
	v.Preview = h.preview(c, t, d, caseID)
	p := h.page(c, t.Name, "templates")
	p.Error = errMsg
	return show(c, status, views.TemplateEditPage(p, v))
}

// preview lints the draft and renders it with case caseID's real data.
func (h *portalHandlers) preview(c *fiber.Ctx, t content.Template, d content.TemplateDraft, caseID int64) views.PreviewView {
	rt := render.Template{Channel: t.Channel, Language: t.Language, Subject: d.Subject, HTML: d.HTML, Text: d.Text, SMS: d.SMS}
	pv := views.PreviewView{Channel: t.Channel, Problems: h.ps.Preview.Lint(rt)}
	if caseID == 0 {
		return pv
	}
	vars, err := h.ps.Read.PreviewVars(c.UserContext(), caseID, h.firmVars(c))
	if err != nil {
		pv.Err = err.Error()
		return pv
	}
	pv.CaseLabel = "with case " + vars.CaseNumber + " (" + vars.ClientFirstName + " " + vars.ClientLastName + ")"
	out, err := h.ps.Preview.Render(rt, vars)
	if err != nil {
		pv.Err = err.Error()
		return pv
	}
	pv.Rendered = &out
	return pv
}

func draftFrom(c *fiber.Ctx) content.TemplateDraft {
	return content.TemplateDraft{Subject: c.FormValue("subject"), HTML: c.FormValue("html"), Text: c.FormValue("text"),
		SMS: c.FormValue("sms"), ChangeNote: c.FormValue("change_note")}
}

// templatePreview handles POST /templates/:id/preview (htmx, as staff type):
// it answers the preview partial.
func (h *portalHandlers) templatePreview(c *fiber.Ctx) error {
	t, err := h.template(c)
	if err != nil {
		return err
	}
	caseID, _ := strconv.ParseInt(c.FormValue("case_id"), 10, 64)
	return show(c, fiber.StatusOK, views.Preview(h.preview(c, t, draftFrom(c), caseID)))
}

// templateCases handles GET /templates/:id/cases?case_q= (htmx): the case
// picker's options.
func (h *portalHandlers) templateCases(c *fiber.Ctx) error {
	cases, err := h.ps.Read.PreviewCases(c.UserContext(), c.Query("case_q"), 20)
	if err != nil {
		return err
	}
	var sel int64
	if len(cases) > 0 {
		sel = cases[0].ID
	}
	return show(c, fiber.StatusOK, views.CaseOptions(cases, sel))
}

// templateSave handles POST /templates/:id: a new version with a change
// note. Lint errors keep the editor open with each problem's line and column.
func (h *portalHandlers) templateSave(c *fiber.Ctx) error {
	t, err := h.template(c)
	if err != nil {
		return err
	}
	d := draftFrom(c)
	caseID, _ := strconv.ParseInt(c.FormValue("case_id"), 10, 64)
	if _, _, err := h.ps.Templates.Save(c.UserContext(), t.ID, d, actor(c)); err != nil {
		if errors.Is(err, derrors.InvalidArgument) {
			rt := render.Template{Channel: t.Channel, Language: t.Language, Subject: d.Subject, HTML: d.HTML, Text: d.Text, SMS: d.SMS}
			return h.renderEditor(c, fiber.StatusUnprocessableEntity, t, d, caseID, h.ps.Preview.Lint(rt), "Not saved: "+err.Error())
		}
		return err
	}
	return redirect(c, fmt.Sprintf("/templates/%d?done=saved", t.ID))
}

// templateRollback handles POST /templates/:id/rollback.
func (h *portalHandlers) templateRollback(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.FormValue("version"))
	if err != nil || n <= 0 {
		return derrors.Invalid("version", "is not a version number", "use the Roll back buttons")
	}
	if _, err := h.ps.Templates.Rollback(c.UserContext(), id, n, actor(c)); err != nil {
		return err
	}
	return redirect(c, fmt.Sprintf("/templates/%d?done=rolled-back", id))
}
