-- Portcullis schema, version 6: a session whose login an identity source
-- other than the local users checked (RADIUS, a directory). Its user is not in the
-- users table, and a missing row there does not end it.
ALTER TABLE sessions ADD COLUMN remote INTEGER NOT NULL DEFAULT 0;
