package onboarding

import (
	"context"
	"errors"
	"fmt"
)

// ShowCode returns the code of one phone of userID that is ready to
// activate, for a page that shows a single code, such as its QR image. The
// view is audited like those of [Registry.ReadyToActivate], and the code is
// not returned when the event cannot be recorded.
//
// It returns [ErrNotFound] alike for a device that does not exist, one
// that another user owns, and one without an outstanding, unexpired code,
// so that nobody learns of another user's phones by asking.
func (r *Registry) ShowCode(ctx context.Context, userID, device, source string) (
	ReadyCode, error) {
	if checkOwner(userID) != nil {
		return ReadyCode{}, fmt.Errorf("%w: user ID", ErrInvalid)
	}
	notFound := fmt.Errorf("onboarding: code of %s: %w", quoteName(device), ErrNotFound)
	d, err := r.store.Device(ctx, device)
	if errors.Is(err, ErrNotFound) || err == nil && d.Owner != userID {
		return ReadyCode{}, notFound
	}
	if err != nil {
		return ReadyCode{}, fmt.Errorf("onboarding: code of %s: %w", quoteName(device), err)
	}
	c, err := r.store.Code(ctx, d.Name)
	if errors.Is(err, ErrNotFound) {
		return ReadyCode{}, notFound
	}
	if err != nil {
		return ReadyCode{}, fmt.Errorf("onboarding: code of %s: %w", d.Name, err)
	}

	// open checks the owner, the state and the expiry once more.
	out, err := r.open(ctx, []DeviceCode{{Device: d, Code: c}}, userID)
	if err != nil {
		return ReadyCode{}, err
	}
	if len(out) != 1 {
		return ReadyCode{}, notFound
	}
	err = r.auditDisclosure(ctx, Event{Actor: userID, Action: ActionView, Device: d.Name,
		Outcome: OutcomeOK, Source: source})
	if err != nil {
		return ReadyCode{}, err
	}
	return out[0], nil
}
