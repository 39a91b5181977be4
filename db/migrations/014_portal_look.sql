-- Portcullis schema, version 14: the portal's look, as the administrator
-- sets it in the panel or with `portcullis portal`.
--
-- One row. An empty title or colour means the portal's default; the logo
-- is the image's bytes (checked to be PNG, JPEG, GIF or WebP before they
-- are stored) and its media type. version grows with every change: the
-- portal names its generated stylesheet and its logo with it, and it is
-- their cache validator.
CREATE TABLE portal_look (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	title TEXT NOT NULL DEFAULT '',
	accent TEXT NOT NULL DEFAULT '',
	background TEXT NOT NULL DEFAULT '',
	text_colour TEXT NOT NULL DEFAULT '',
	logo BLOB,
	logo_type TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL DEFAULT 0,
	updated_by TEXT NOT NULL DEFAULT ''
);
INSERT INTO portal_look (id) VALUES (1);
