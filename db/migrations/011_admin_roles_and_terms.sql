-- Portcullis schema, version 11: an admin account's role, and the portal's
-- click-through terms.
--
-- admin may do everything; frontdesk handles guests (vouchers, guest
-- sessions, the guests' audit); auditor reads everything and changes
-- nothing. The accounts from before roles keep every right.
ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
	CHECK (role IN ('admin', 'frontdesk', 'auditor'));

-- Every version of the terms the administrator saved; the highest is shown.
CREATE TABLE terms (
	version INTEGER PRIMARY KEY,
	text TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL
);

-- Each acceptance on the portal: when, from which device, which version.
CREATE TABLE terms_acceptances (
	id INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,
	client_addr TEXT NOT NULL,
	mac TEXT NOT NULL,
	version INTEGER NOT NULL
);
CREATE INDEX terms_acceptances_time ON terms_acceptances (time_ms DESC, id DESC);
CREATE INDEX terms_acceptances_client ON terms_acceptances (client_addr, time_ms);
