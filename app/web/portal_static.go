package web

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/heraldhq/herald/static"
)

// staticFiles serves the embedded static/ folder. Files are cached for a
// day; they change only with a new binary.
func staticFiles() fiber.Handler {
	return filesystem.New(filesystem.Config{Root: http.FS(static.FS), MaxAge: 86400})
}
