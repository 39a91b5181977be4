-- Portcullis schema, version 1.
CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	phc TEXT NOT NULL,
	ha1_md5 TEXT,
	ha1_sha256 TEXT,
	enabled INTEGER NOT NULL DEFAULT 1,
	expires_at INTEGER,
	comment TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	last_login_at INTEGER
);

CREATE TABLE admins (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	phc TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	last_login_at INTEGER
);

CREATE TABLE whitelist (
	id INTEGER PRIMARY KEY,
	cidr TEXT NOT NULL UNIQUE,
	comment TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
	id INTEGER PRIMARY KEY,
	addr TEXT NOT NULL UNIQUE,
	mac TEXT NOT NULL DEFAULT '',
	username TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	idle_timeout INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);

CREATE TABLE failures (
	id INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,
	client_addr TEXT NOT NULL,
	client_port INTEGER NOT NULL,
	mode TEXT NOT NULL,
	scheme TEXT NOT NULL,
	username TEXT NOT NULL,
	reason TEXT NOT NULL,
	host TEXT NOT NULL,
	user_agent TEXT NOT NULL
);
-- keyset paging newest first, and the filters of the audit page
CREATE INDEX failures_time ON failures (time_ms DESC, id DESC);
CREATE INDEX failures_user ON failures (username, time_ms);
CREATE INDEX failures_addr ON failures (client_addr, time_ms);
CREATE INDEX failures_reason ON failures (reason, time_ms);

CREATE TABLE admin_actions (
	id INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,
	admin TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '',
	client_addr TEXT NOT NULL DEFAULT ''
);
CREATE INDEX admin_actions_time ON admin_actions (time_ms DESC, id DESC);

CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
-- the default realm, so that users created before the daemon's first start
-- get Digest hashes too (the daemon rewrites or removes it at start)
INSERT INTO meta (key, value) VALUES ('digest_realm', 'Portcullis');

-- Generation counters: another process (the CLI) changes a table, the
-- daemon polls these and learns of it within half a second.
CREATE TABLE generations (
	name TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO generations (name, value) VALUES ('users', 1), ('whitelist', 1), ('sessions', 1), ('admins', 1);

CREATE TRIGGER users_ins AFTER INSERT ON users
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'users'; END;
CREATE TRIGGER users_del AFTER DELETE ON users
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'users'; END;
-- not on last_login_at: a login must not flush the daemon's credential cache
CREATE TRIGGER users_upd AFTER UPDATE OF name, phc, ha1_md5, ha1_sha256, enabled, expires_at ON users
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'users'; END;
CREATE TRIGGER whitelist_ins AFTER INSERT ON whitelist
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'whitelist'; END;
CREATE TRIGGER whitelist_del AFTER DELETE ON whitelist
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'whitelist'; END;
CREATE TRIGGER sessions_ins AFTER INSERT ON sessions
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'sessions'; END;
CREATE TRIGGER sessions_del AFTER DELETE ON sessions
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'sessions'; END;
CREATE TRIGGER admins_ins AFTER INSERT ON admins
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'admins'; END;
CREATE TRIGGER admins_del AFTER DELETE ON admins
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'admins'; END;
CREATE TRIGGER admins_upd AFTER UPDATE OF name, phc ON admins
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'admins'; END;
