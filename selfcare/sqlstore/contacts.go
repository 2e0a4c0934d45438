package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ucselfcare/portal/selfcare"
)

var _ selfcare.ContactStore = (*Store)(nil)

// Phone contacts. Reads join the phone's row so that one statement, one
// snapshot, both checks the owner and reads the contacts: a phone given
// to someone else between two statements could otherwise show the new
// owner's list to the old one. A trigger of migration 0011 deletes a
// phone's contacts in the transaction that changes its owner.

// contactColumns selects contacts of a phone owned by a user, joined with
// their numbers, one row per number and one row with NULLs for a contact
// without any; the arguments are the device and the owner.
const contactColumns = `SELECT c.id, c.version, c.first_name, c.last_name,
	c.nickname, c.company, c.email, m.type, m.number
	FROM phone_contacts c
	JOIN devices d ON d.name = c.device AND d.owner = ?2
	LEFT JOIN phone_contact_methods m ON m.device = c.device AND m.contact = c.id
	WHERE c.device = ?1`

// scanContacts folds rows of contactColumns, ordered by ID and position,
// into contacts of device.
func scanContacts(rows *sql.Rows, device string) ([]selfcare.Contact, error) {
	defer rows.Close()
	var out []selfcare.Contact
	for rows.Next() {
		var (
			c      = selfcare.Contact{Device: device}
			typ    sql.NullInt64
			number sql.NullString
		)
		err := rows.Scan(&c.ID, &c.Version, &c.FirstName, &c.LastName, &c.Nickname,
			&c.Company, &c.Email, &typ, &number)
		if err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != c.ID {
			out = append(out, c)
		}
		if typ.Valid {
			last := &out[len(out)-1]
			last.Methods = append(last.Methods, selfcare.ContactMethod{
				Type: selfcare.ContactMethodType(typ.Int64), Number: number.String})
		}
	}
	return out, rows.Err()
}

// ownsDevice reports whether owner owns device.
func ownsDevice(ctx context.Context, q conn, owner, device string) (bool, error) {
	return exists(ctx, q, `SELECT 1 FROM devices WHERE name = ? AND owner = ?`,
		device, owner)
}

// Contacts implements [selfcare.ContactStore].
func (s *Store) Contacts(ctx context.Context, owner, device string) ([]selfcare.Contact,
	error) {
	rows, err := s.r.QueryContext(ctx, contactColumns+` ORDER BY c.id, m.position`,
		device, owner)
	if err != nil {
		return nil, fmt.Errorf("contacts of %q: %w", device, err)
	}
	out, err := scanContacts(rows, device)
	if err != nil {
		return nil, fmt.Errorf("contacts of %q: %w", device, err)
	}
	if len(out) > 0 {
		return out, nil
	}
	// No rows: an empty list, or a phone that is not the owner's.
	ok, err := ownsDevice(ctx, s.r, owner, device)
	switch {
	case err != nil:
		return nil, fmt.Errorf("contacts of %q: %w", device, err)
	case !ok:
		return nil, fmt.Errorf("contacts of %q: %w", device, selfcare.ErrNotFound)
	}
	return nil, nil
}

// Contact implements [selfcare.ContactStore].
func (s *Store) Contact(ctx context.Context, owner, device, id string) (selfcare.Contact,
	error) {
	c, err := readContact(ctx, s.r, owner, device, id)
	if err != nil {
		return selfcare.Contact{}, fmt.Errorf("contact %q of %q: %w", id, device, err)
	}
	return c, nil
}

// readContact reads one contact, or returns ErrNotFound.
func readContact(ctx context.Context, q conn, owner, device, id string) (
	selfcare.Contact, error) {
	rows, err := q.QueryContext(ctx, contactColumns+` AND c.id = ?3 ORDER BY m.position`,
		device, owner, id)
	if err != nil {
		return selfcare.Contact{}, err
	}
	out, err := scanContacts(rows, device)
	switch {
	case err != nil:
		return selfcare.Contact{}, err
	case len(out) == 0:
		return selfcare.Contact{}, selfcare.ErrNotFound
	}
	return out[0], nil
}

// CreateContact implements [selfcare.ContactStore]: the owner is checked,
// the contacts counted and the new one added in one write transaction.
func (s *Store) CreateContact(ctx context.Context, owner string, c selfcare.Contact,
	limit int) (selfcare.Contact, error) {
	op := fmt.Sprintf("contacts of %q", c.Device)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		ok, err := ownsDevice(ctx, tx, owner, c.Device)
		if err != nil {
			return err
		}
		if !ok {
			return selfcare.ErrNotFound
		}
		taken, err := exists(ctx, tx, `SELECT 1 FROM phone_contacts
			WHERE device = ? AND id = ?`, c.Device, c.ID)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("contact %q: %w", c.ID, selfcare.ErrExists)
		}
		var n int
		err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM phone_contacts
			WHERE device = ?`, c.Device).Scan(&n)
		if err != nil {
			return err
		}
		if n >= limit {
			return fmt.Errorf("%d: %w", limit, selfcare.ErrContactLimit)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO phone_contacts (device, id, version,
			first_name, last_name, nickname, company, email)
			VALUES (?, ?, 1, ?, ?, ?, ?, ?)`, c.Device, c.ID, c.FirstName, c.LastName,
			c.Nickname, c.Company, c.Email)
		if err != nil {
			return err
		}
		return insertMethods(ctx, tx, c)
	})
	if err != nil {
		return selfcare.Contact{}, err
	}
	return storedContact(c, 1), nil
}

// insertMethods writes the numbers of c, in order.
func insertMethods(ctx context.Context, tx *sql.Tx, c selfcare.Contact) error {
	for i, m := range c.Methods {
		_, err := tx.ExecContext(ctx, `INSERT INTO phone_contact_methods
			(device, contact, position, type, number) VALUES (?, ?, ?, ?, ?)`,
			c.Device, c.ID, i, int(m.Type), m.Number)
		if err != nil {
			return err
		}
	}
	return nil
}

// storedContact is c as stored at version: not read back, since another
// save may already have followed, and sharing no memory with the caller.
func storedContact(c selfcare.Contact, version int64) selfcare.Contact {
	c.Version = version
	if len(c.Methods) > 0 {
		c.Methods = append([]selfcare.ContactMethod(nil), c.Methods...)
	} else {
		c.Methods = nil
	}
	return c
}

// checkContactVersion checks, inside tx, that the contact exists for the
// owner at version.
func checkContactVersion(ctx context.Context, tx *sql.Tx, owner, device, id string,
	version int64) error {
	var stored int64
	err := tx.QueryRowContext(ctx, `SELECT c.version FROM phone_contacts c
		JOIN devices d ON d.name = c.device AND d.owner = ?
		WHERE c.device = ? AND c.id = ?`, owner, device, id).Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("contact %q: %w", id, selfcare.ErrNotFound)
	case err != nil:
		return err
	case stored != version:
		return fmt.Errorf("contact %q: version %d, stored %d: %w", id, version, stored,
			selfcare.ErrVersionConflict)
	}
	return nil
}

// UpdateContact implements [selfcare.ContactStore].
func (s *Store) UpdateContact(ctx context.Context, owner string, c selfcare.Contact) (
	selfcare.Contact, error) {
	op := fmt.Sprintf("contacts of %q", c.Device)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		if err := checkContactVersion(ctx, tx, owner, c.Device, c.ID,
			c.Version); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE phone_contacts SET version = ?,
			first_name = ?, last_name = ?, nickname = ?, company = ?, email = ?
			WHERE device = ? AND id = ?`, c.Version+1, c.FirstName, c.LastName,
			c.Nickname, c.Company, c.Email, c.Device, c.ID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM phone_contact_methods
			WHERE device = ? AND contact = ?`, c.Device, c.ID)
		if err != nil {
			return err
		}
		return insertMethods(ctx, tx, c)
	})
	if err != nil {
		return selfcare.Contact{}, err
	}
	return storedContact(c, c.Version+1), nil
}

// DeleteContact implements [selfcare.ContactStore].
func (s *Store) DeleteContact(ctx context.Context, owner, device, id string,
	version int64) error {
	return s.write(ctx, fmt.Sprintf("contacts of %q", device), func(tx *sql.Tx) error {
		if err := checkContactVersion(ctx, tx, owner, device, id, version); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM phone_contacts
			WHERE device = ? AND id = ?`, device, id)
		return err
	})
}
