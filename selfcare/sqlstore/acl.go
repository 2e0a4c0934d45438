package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/acl"
)

// bump advances the acl generation inside tx, so that the change and the
// new generation become visible together.
func bump(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE acl_generation SET value = value + 1 WHERE id = 1`)
	return err
}

// exists reports whether query, which selects one row or none, finds a row,
// through a pool or a transaction.
func exists(ctx context.Context, q conn, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// PutRole implements [acl.Store].
func (s *Store) PutRole(ctx context.Context, r acl.Role) error {
	return s.write(ctx, fmt.Sprintf("put role %q", r.ID), func(tx *sql.Tx) error {
		// An upsert, not INSERT OR REPLACE: replacing would delete the row
		// and trip the foreign keys of the groups that carry the role.
		_, err := tx.ExecContext(ctx, `INSERT INTO acl_roles (id, name, standard)
			VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, standard = excluded.standard`,
			r.ID, r.Name, r.Standard)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM acl_role_privileges WHERE role_id = ?`, r.ID)
		if err != nil {
			return err
		}
		for i, p := range r.Privileges {
			_, err := tx.ExecContext(ctx, `INSERT INTO acl_role_privileges
				(role_id, position, resource, access) VALUES (?, ?, ?, ?)`,
				r.ID, i, string(p.Resource), int(p.Access))
			if err != nil {
				return err
			}
		}
		return bump(ctx, tx)
	})
}

// DeleteRole implements [acl.Store].
func (s *Store) DeleteRole(ctx context.Context, id string) error {
	return s.write(ctx, fmt.Sprintf("delete role %q", id), func(tx *sql.Tx) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM acl_roles WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if !ok {
			return acl.ErrNotFound
		}
		var group string
		err = tx.QueryRowContext(ctx,
			`SELECT group_id FROM acl_group_roles WHERE role_id = ? LIMIT 1`, id).Scan(&group)
		if err == nil {
			return fmt.Errorf("group %q: %w", group, acl.ErrInUse)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM acl_roles WHERE id = ?`, id); err != nil {
			return err
		}
		return bump(ctx, tx)
	})
}

// roleColumns selects a role joined with its privileges, one row per
// privilege and one row with NULLs for a role without any.
const roleColumns = `SELECT r.id, r.name, r.standard, p.resource, p.access
	FROM acl_roles r LEFT JOIN acl_role_privileges p ON p.role_id = r.id`

// scanRoles folds rows of roleColumns, ordered by role and position, into
// roles.
func scanRoles(rows *sql.Rows) ([]acl.Role, error) {
	defer rows.Close()
	var out []acl.Role
	for rows.Next() {
		var (
			r        acl.Role
			resource sql.NullString
			access   sql.NullInt64
		)
		if err := rows.Scan(&r.ID, &r.Name, &r.Standard, &resource, &access); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != r.ID {
			out = append(out, r)
		}
		if resource.Valid {
			last := &out[len(out)-1]
			last.Privileges = append(last.Privileges, acl.Privilege{
				Resource: acl.Resource(resource.String), Access: acl.Access(access.Int64),
			})
		}
	}
	return out, rows.Err()
}

// Role implements [acl.Store].
func (s *Store) Role(ctx context.Context, id string) (acl.Role, error) {
	rows, err := s.r.QueryContext(ctx, roleColumns+` WHERE r.id = ? ORDER BY p.position`, id)
	if err != nil {
		return acl.Role{}, fmt.Errorf("role %q: %w", id, err)
	}
	roles, err := scanRoles(rows)
	if err != nil {
		return acl.Role{}, fmt.Errorf("role %q: %w", id, err)
	}
	if len(roles) == 0 {
		return acl.Role{}, fmt.Errorf("role %q: %w", id, acl.ErrNotFound)
	}
	return roles[0], nil
}

// Roles implements [acl.Store].
func (s *Store) Roles(ctx context.Context) ([]acl.Role, error) {
	rows, err := s.r.QueryContext(ctx, roleColumns+` ORDER BY r.id, p.position`)
	if err != nil {
		return nil, fmt.Errorf("roles: %w", err)
	}
	roles, err := scanRoles(rows)
	if err != nil {
		return nil, fmt.Errorf("roles: %w", err)
	}
	return roles, nil
}

// RolesByID implements [acl.Store]. It returns each role once, ordered by
// ID.
func (s *Store) RolesByID(ctx context.Context, ids []string) ([]acl.Role, error) {
	if len(ids) == 0 {
		return nil, nil
	}

	// One statement for any number of IDs: they travel as a JSON array.
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("roles by ID: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, roleColumns+
		` WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY r.id, p.position`,
		string(list))
	if err != nil {
		return nil, fmt.Errorf("roles by ID: %w", err)
	}
	roles, err := scanRoles(rows)
	if err != nil {
		return nil, fmt.Errorf("roles by ID: %w", err)
	}
	return roles, nil
}

// PutGroup implements [acl.Store].
func (s *Store) PutGroup(ctx context.Context, g acl.Group) error {
	return s.write(ctx, fmt.Sprintf("put group %q", g.ID), func(tx *sql.Tx) error {
		for _, rid := range g.RoleIDs {
			ok, err := exists(ctx, tx, `SELECT 1 FROM acl_roles WHERE id = ?`, rid)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("role %q: %w", rid, acl.ErrNotFound)
			}
		}

		// An upsert keeps the memberships, which hang off the group row.
		_, err := tx.ExecContext(ctx, `INSERT INTO acl_groups (id, name, standard, min_rank)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name,
				standard = excluded.standard, min_rank = excluded.min_rank`,
			g.ID, g.Name, g.Standard, g.MinRank)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM acl_group_roles WHERE group_id = ?`, g.ID)
		if err != nil {
			return err
		}
		for i, rid := range g.RoleIDs {
			_, err := tx.ExecContext(ctx, `INSERT INTO acl_group_roles
				(group_id, position, role_id) VALUES (?, ?, ?)`, g.ID, i, rid)
			if err != nil {
				return err
			}
		}
		return bump(ctx, tx)
	})
}

// DeleteGroup implements [acl.Store]. Memberships go with the group, by
// cascade.
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	return s.write(ctx, fmt.Sprintf("delete group %q", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM acl_groups WHERE id = ?`, id)
		if err := oneRow(res, err, acl.ErrNotFound); err != nil {
			return err
		}
		return bump(ctx, tx)
	})
}

// groupColumns selects a group joined with the IDs of its roles, one row per
// role and one row with a NULL for a group without any.
const groupColumns = `SELECT g.id, g.name, g.standard, g.min_rank, gr.role_id
	FROM acl_groups g LEFT JOIN acl_group_roles gr ON gr.group_id = g.id`

// scanGroups folds rows of groupColumns, ordered by group and position,
// into groups.
func scanGroups(rows *sql.Rows) ([]acl.Group, error) {
	defer rows.Close()
	var out []acl.Group
	for rows.Next() {
		var (
			g    acl.Group
			role sql.NullString
		)
		if err := rows.Scan(&g.ID, &g.Name, &g.Standard, &g.MinRank, &role); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != g.ID {
			out = append(out, g)
		}
		if role.Valid {
			last := &out[len(out)-1]
			last.RoleIDs = append(last.RoleIDs, role.String)
		}
	}
	return out, rows.Err()
}

// Group implements [acl.Store].
func (s *Store) Group(ctx context.Context, id string) (acl.Group, error) {
	rows, err := s.r.QueryContext(ctx, groupColumns+` WHERE g.id = ? ORDER BY gr.position`, id)
	if err != nil {
		return acl.Group{}, fmt.Errorf("group %q: %w", id, err)
	}
	groups, err := scanGroups(rows)
	if err != nil {
		return acl.Group{}, fmt.Errorf("group %q: %w", id, err)
	}
	if len(groups) == 0 {
		return acl.Group{}, fmt.Errorf("group %q: %w", id, acl.ErrNotFound)
	}
	return groups[0], nil
}

// Groups implements [acl.Store].
func (s *Store) Groups(ctx context.Context) ([]acl.Group, error) {
	rows, err := s.r.QueryContext(ctx, groupColumns+` ORDER BY g.id, gr.position`)
	if err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	groups, err := scanGroups(rows)
	if err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	return groups, nil
}

// UserGroups implements [acl.Store].
func (s *Store) UserGroups(ctx context.Context, userID string) ([]acl.Group, error) {
	rows, err := s.r.QueryContext(ctx, groupColumns+`
		JOIN acl_members m ON m.group_id = g.id
		WHERE m.user_id = ? ORDER BY g.id, gr.position`, userID)
	if err != nil {
		return nil, fmt.Errorf("groups of %q: %w", userID, err)
	}
	groups, err := scanGroups(rows)
	if err != nil {
		return nil, fmt.Errorf("groups of %q: %w", userID, err)
	}
	return groups, nil
}

// AddMember implements [acl.Store].
func (s *Store) AddMember(ctx context.Context, groupID, userID string) error {
	op := fmt.Sprintf("add %q to group %q", userID, groupID)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM acl_groups WHERE id = ?`, groupID)
		if err != nil {
			return err
		}
		if !ok {
			return acl.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO acl_members (group_id, user_id)
			VALUES (?, ?) ON CONFLICT DO NOTHING`, groupID, userID)
		if err != nil {
			return err
		}
		return bump(ctx, tx)
	})
}

// RemoveMember implements [acl.Store].
func (s *Store) RemoveMember(ctx context.Context, groupID, userID string) error {
	op := fmt.Sprintf("remove %q from group %q", userID, groupID)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`DELETE FROM acl_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
		if err := oneRow(res, err, acl.ErrNotAMember); err != nil {
			return err
		}
		return bump(ctx, tx)
	})
}

// Members implements [acl.Store]. An unknown group has no members.
func (s *Store) Members(ctx context.Context, groupID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT user_id FROM acl_members WHERE group_id = ? ORDER BY user_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("members of %q: %w", groupID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("members of %q: %w", groupID, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("members of %q: %w", groupID, err)
	}
	return out, nil
}

// Generation implements [acl.Store]. It reads the file, so it sees the
// changes of every process.
func (s *Store) Generation(ctx context.Context) (uint64, error) {
	var g int64
	err := s.reads.generation.QueryRowContext(ctx).Scan(&g)
	if err != nil {
		return 0, fmt.Errorf("acl generation: %w", err)
	}
	return uint64(g), nil
}
