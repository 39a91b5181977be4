-- Portcullis schema, version 19: a session's current rate in its row, for
-- readers of the database (the CLI) that cannot ask the daemon: bytes/s
-- in (sent by the client) and out (sent to it) over about the last minute,
-- as the daemon computed them when it last wrote the session's counts, and
-- when that was (wall s; 0 never). The daemon writes 0 when it stops; a
-- non-zero rate written more than 30 s ago is not current.
ALTER TABLE sessions ADD COLUMN rate_in INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN rate_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN counts_at INTEGER NOT NULL DEFAULT 0;
