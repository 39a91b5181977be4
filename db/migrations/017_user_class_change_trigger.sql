-- Portcullis schema, version 17: a user's bandwidth class set or changed
-- moves the 'policies' counter, so the daemon reads the classes again
-- (within half a second) and moves the user's open sessions and proxy
-- connections into the new class, not only the next login's.
CREATE TRIGGER users_class_upd AFTER UPDATE OF bandwidth_class ON users
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'policies'; END;
