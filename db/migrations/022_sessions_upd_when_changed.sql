-- Portcullis schema, version 22: a session's row written again with the
-- same address, device, user, start and limits (the daemon writes a row
-- whole when only its class or counts changed) no longer moves the
-- sessions' generation. Every move makes the daemon read all the rows
-- again in its next round (10 000 rows rewritten for a class change took
-- 40 rounds of re-reading them all); only a change it did not make
-- itself needs that.
DROP TRIGGER sessions_upd;
CREATE TRIGGER sessions_upd AFTER UPDATE OF addr, mac, username, created_at, idle_timeout, expires_at
	ON sessions
	WHEN OLD.addr IS NOT NEW.addr OR OLD.mac IS NOT NEW.mac OR OLD.username IS NOT NEW.username
		OR OLD.created_at IS NOT NEW.created_at OR OLD.idle_timeout IS NOT NEW.idle_timeout
		OR OLD.expires_at IS NOT NEW.expires_at
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'sessions'; END;
