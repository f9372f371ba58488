package web

import (
	"fmt"
	"html"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// renderErrorPage answers a browser with a small HTML error page.
func renderErrorPage(c *fiber.Ctx, code int, msg string) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(code).SendString(fmt.Sprintf(
		`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%d</title></head>`+
			`<body><main><h1>%d %s</h1><p data-testid="error-message">%s</p><p><a href="/">Back to the dashboard</a></p></main></body></html>`,
		code, code, html.EscapeString(fiberStatusText(code)), html.EscapeString(msg)))
}

func fiberStatusText(code int) string {
	return utils.StatusMessage(code)
}
