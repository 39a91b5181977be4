-- Portcullis schema, version 7: what the kernel counted for each session
-- (IP bytes and packets; in = sent by the client, out = sent to it), the
-- sessions that ended with their counts and reason, and data quotas per
-- user (bytes in + out; 0 = none).
ALTER TABLE sessions ADD COLUMN bytes_in INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN packets_in INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN bytes_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN packets_out INTEGER NOT NULL DEFAULT 0;

CREATE TABLE session_history (
	id INTEGER PRIMARY KEY,
	addr TEXT NOT NULL,
	mac TEXT NOT NULL DEFAULT '',
	username TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	ended_at INTEGER NOT NULL,
	reason TEXT NOT NULL,
	bytes_in INTEGER NOT NULL DEFAULT 0,
	packets_in INTEGER NOT NULL DEFAULT 0,
	bytes_out INTEGER NOT NULL DEFAULT 0,
	packets_out INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX session_history_user ON session_history (username, ended_at);
CREATE INDEX session_history_ended ON session_history (ended_at);

CREATE TABLE user_quotas (
	user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	session_bytes INTEGER NOT NULL DEFAULT 0,
	day_bytes INTEGER NOT NULL DEFAULT 0,
	month_bytes INTEGER NOT NULL DEFAULT 0
);
-- a quota set or changed is a change to the users: the daemon reads them
-- again
CREATE TRIGGER user_quotas_ins AFTER INSERT ON user_quotas
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'users'; END;
CREATE TRIGGER user_quotas_upd AFTER UPDATE ON user_quotas
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'users'; END;
CREATE TRIGGER user_quotas_del AFTER DELETE ON user_quotas
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'users'; END;
