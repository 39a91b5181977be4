-- Portcullis schema, version 11: an admin account's role. admin may do
-- everything; frontdesk handles guests (vouchers, guest sessions, the
-- guests' audit); auditor reads everything and changes nothing. The
-- accounts from before roles keep every right.
ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
	CHECK (role IN ('admin', 'frontdesk', 'auditor'));
