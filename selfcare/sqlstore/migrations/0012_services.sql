-- 0012: phone services. phone_services is the administrator's catalogue;
-- a service is added and removed whole, never edited, so its parameter
-- template is one JSON array. service_subscriptions holds one row per
-- phone and service, with the user's values as one JSON object and a
-- version per subscription for the API's ETag. The foreign key keeps a
-- subscription from outliving its service: removal deletes the
-- subscriptions first, or is refused.
CREATE TABLE phone_services (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	kind        INTEGER NOT NULL CHECK (kind IN (0, 1)),
	url         TEXT NOT NULL,
	params      TEXT NOT NULL
) STRICT;

CREATE TABLE service_subscriptions (
	device     TEXT NOT NULL,
	service_id TEXT NOT NULL REFERENCES phone_services (id),
	version    INTEGER NOT NULL CHECK (version > 0),
	vals       TEXT NOT NULL,
	PRIMARY KEY (device, service_id)
) STRICT;

CREATE INDEX service_subscriptions_service ON service_subscriptions (service_id);
