-- Portcullis schema, version 12: a user's bandwidth class (a name from the
-- configuration's [shaping] classes); '' is none: the default class. And
-- the class a session's device was put in at login ('' none: unshaped),
-- for the session lists and for the restore after a restart.
ALTER TABLE users ADD COLUMN bandwidth_class TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN bandwidth_class TEXT NOT NULL DEFAULT '';
