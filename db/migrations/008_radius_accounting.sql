-- Portcullis schema, version 8: RADIUS accounting (RFC 2866).
-- acct_sessions: the portal sessions whose Start was queued, so that each
-- gets its Stop even when the daemon crashed while it lived.
-- acct_queue: every record is written here before it is sent and deleted
-- when the server's Accounting-Response arrives; sent in id order.
CREATE TABLE acct_sessions (
	addr TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	username TEXT NOT NULL,
	class BLOB,
	mac TEXT NOT NULL DEFAULT '',
	authentic INTEGER NOT NULL DEFAULT 0,
	source TEXT NOT NULL DEFAULT '',
	started_at INTEGER NOT NULL,
	interval INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL,
	in_octets INTEGER NOT NULL DEFAULT 0,
	out_octets INTEGER NOT NULL DEFAULT 0,
	in_packets INTEGER NOT NULL DEFAULT 0,
	out_packets INTEGER NOT NULL DEFAULT 0,
	has_counters INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE acct_queue (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	status_type INTEGER NOT NULL,
	session_id TEXT NOT NULL,
	username TEXT NOT NULL,
	class BLOB,
	addr TEXT NOT NULL,
	mac TEXT NOT NULL DEFAULT '',
	authentic INTEGER NOT NULL DEFAULT 0,
	event_at INTEGER NOT NULL,
	session_time INTEGER NOT NULL DEFAULT 0,
	has_counters INTEGER NOT NULL DEFAULT 0,
	in_octets INTEGER NOT NULL DEFAULT 0,
	out_octets INTEGER NOT NULL DEFAULT 0,
	in_packets INTEGER NOT NULL DEFAULT 0,
	out_packets INTEGER NOT NULL DEFAULT 0,
	terminate_cause INTEGER NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0
);
