package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/derrors"
)

// ConsentExporter exports a client's consent evidence (consent.Store).
type ConsentExporter interface {
	Export(ctx context.Context, clientID int64) (consent.ClientExport, error)
}

// apiConsentExport handles GET /api/v1/clients/:client_id/consent: every
// opt-out and opt-in for the client and its current addresses, with the
// exact words and source, as JSON or, with ?format=csv (or Accept:
// text/csv), as a CSV download for evidence.
func apiConsentExport(s ConsentExporter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "client_id")
		if err != nil {
			return err
		}
		format := c.Query("format")
		if format == "" && strings.Contains(c.Get(fiber.HeaderAccept), "text/csv") {
			format = "csv"
		}
		if format != "" && format != "csv" && format != "json" {
			return derrors.Invalid("format", fmt.Sprintf("%q is not a format", format), "use csv or json")
		}
		ex, err := s.Export(c.UserContext(), id)
		if err != nil {
			return err
		}
		if format != "csv" {
			return c.JSON(ex)
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write([]string{"id", "at", "channel", "address", "action", "source", "text", "actor", "client_id"})
		for _, e := range ex.Events {
			client := ""
			if e.ClientID != nil {
				client = strconv.FormatInt(*e.ClientID, 10)
			}
			_ = w.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339), e.Channel, e.Address,
				e.Action, e.Source, csvSafe(e.Text), e.Actor, client})
		}
		w.Flush()
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="consent-client-%d.csv"`, id))
		return c.Send(b.Bytes())
	}
}

// csvSafe neutralises a client's text that a spreadsheet would run as a
// formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
