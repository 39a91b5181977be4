-- Portcullis schema, version 12: a user's bandwidth class (a name from the
-- configuration's [shaping] classes); '' is none: the default class.
ALTER TABLE users ADD COLUMN bandwidth_class TEXT NOT NULL DEFAULT '';
