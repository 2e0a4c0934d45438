-- 0015: a phone given to another user takes none of what its first owner
-- set on it. Phone settings (0008) and contacts (0011) are dropped by
-- triggers of their own; line settings (0009) remember the owner they were
-- saved for and read as defaults for anyone else. Speed dials (0006) and
-- service subscriptions (0012) are kept by phone alone, so the new owner
-- would see them, service secrets included: drop them with the change.
CREATE TRIGGER speed_dials_new_owner AFTER UPDATE OF owner ON devices
WHEN NEW.owner IS NOT OLD.owner
BEGIN
	DELETE FROM speed_dial_lists WHERE device = NEW.name;
END;

CREATE TRIGGER service_subscriptions_new_owner AFTER UPDATE OF owner ON devices
WHEN NEW.owner IS NOT OLD.owner
BEGIN
	DELETE FROM service_subscriptions WHERE device = NEW.name;
END;
