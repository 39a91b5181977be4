-- Portcullis schema, version 2.

-- the audit page filters by mode too
CREATE INDEX failures_mode ON failures (mode, time_ms);

-- Generation counters also move when a row is changed in place. Not for
-- a session's last_seen_at: the daemon refreshes that as traffic flows.
CREATE TRIGGER whitelist_upd AFTER UPDATE OF cidr ON whitelist
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'whitelist'; END;
CREATE TRIGGER sessions_upd AFTER UPDATE OF addr, mac, username, created_at, idle_timeout, expires_at
	ON sessions
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'sessions'; END;
