package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/heraldhq/herald/app/store"
)

// StaffSeed is a staff member created by `herald seed --demo`.
type StaffSeed struct {
	Email, Name, Role, CMSID string
}

// SeedStaff adds staff that do not exist yet (by email) and returns how many
// it added; existing rows are left alone, so seeding twice changes nothing.
func SeedStaff(ctx context.Context, db *store.DB, staff []StaffSeed) (int, error) {
	n := 0
	for _, s := range staff {
		if !ValidRole(s.Role) {
			return n, fmt.Errorf("seed staff %s: %q is not a role", s.Email, s.Role)
		}
		var cms any
		if s.CMSID != "" {
			cms = s.CMSID
		}
		tag, err := db.Pool.Exec(ctx, `INSERT INTO staff_users (email, name, role, cms_id, provider)
			VALUES ($1, $2, $3, $4, 'seed') ON CONFLICT DO NOTHING`, strings.ToLower(s.Email), s.Name, s.Role, cms)
		if err != nil {
			return n, fmt.Errorf("seed staff %s: %w", s.Email, err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}
