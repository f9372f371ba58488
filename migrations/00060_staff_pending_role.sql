-- A staff member who signs in for the first time without a default role waits
-- for an admin to assign one: role NULL means "waiting for an admin". The CHECK
-- on role still rejects unknown roles (a NULL passes a CHECK).

-- +goose Up
ALTER TABLE staff_users ALTER COLUMN role DROP NOT NULL;

-- +goose Down
UPDATE staff_users SET role = 'paralegal', active = false WHERE role IS NULL;
ALTER TABLE staff_users ALTER COLUMN role SET NOT NULL;
