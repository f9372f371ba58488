package web

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/derrors"
)

// errorBody is the JSON shape of every API and webhook error.
type errorBody struct {
	Error  string       `json:"error"`
	Fields []fieldError `json:"fields,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
	Fix     string `json:"fix,omitempty"`
}

// errorHandler is the one place errors become responses: 5xx are logged at
// error level, 4xx at info. Portal pages get HTML, everything else JSON.
func errorHandler(log *slog.Logger, maxBody int) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		if errors.Is(err, fiber.ErrRequestEntityTooLarge) {
			err = bodyTooLarge(c, maxBody)
		}
		code := statusFor(err)
		msg := err.Error()
		if code >= 500 {
			log.Error("request failed", "method", c.Method(), "route", c.Route().Path,
				"status", code, "request_id", c.Locals("requestid"), "error", err)
			if code == fiber.StatusInternalServerError {
				msg = "internal error; the request id is in the server log"
			}
		} else {
			log.Info("request rejected", "method", c.Method(), "route", c.Route().Path,
				"status", code, "request_id", c.Locals("requestid"), "error", msg)
		}
		if code == fiber.StatusServiceUnavailable {
			c.Set(fiber.HeaderRetryAfter, "5")
		}
		body := errorBody{Error: msg}
		var fe *derrors.FieldError
		var fs derrors.Fields
		switch {
		case errors.As(err, &fs):
			for _, f := range fs {
				body.Fields = append(body.Fields, fieldError{f.Field, f.Problem, f.Fix})
			}
		case errors.As(err, &fe):
			body.Fields = []fieldError{{fe.Field, fe.Problem, fe.Fix}}
		}
		if wantsHTML(c) {
			return renderErrorPage(c, code, msg)
		}
		return c.Status(code).JSON(body)
	}
}

func wantsHTML(c *fiber.Ctx) bool {
	p := c.Path()
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/webhooks/") {
		return false
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html") || c.Get("HX-Request") == "true"
}

// bodyTooLarge replaces fasthttp's bare 413 for a body beyond the server's
// BodyLimit (HERALD_WEBHOOK_MAX_BODY) with one that states the limit.
func bodyTooLarge(c *fiber.Ctx, limit int) error {
	size := "larger than that"
	if n := c.Request().Header.ContentLength(); n > 0 {
		size = strconv.Itoa(n) + " bytes"
	}
	return fmt.Errorf("%w: request body is %s; the limit is %d bytes (HERALD_WEBHOOK_MAX_BODY): send a smaller body or raise the limit",
		derrors.TooLarge, size, limit)
}
