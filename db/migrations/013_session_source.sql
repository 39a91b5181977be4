-- Portcullis schema, version 13: where a session's login was checked:
-- "local" (the users of this database, a voucher included), "ldap", or
-- "radius ADDRESS:PORT" (the server that accepted it); '' for a session
-- started before this version (not recorded).
ALTER TABLE sessions ADD COLUMN source TEXT NOT NULL DEFAULT '';
