-- Portcullis schema, version 4.

-- One audit row stands for a run of identical failures (same address,
-- mode, scheme, username and reason within a minute): count is how many,
-- time_ms the first and last_ms the last. Rows written before stand for
-- one failure each.
ALTER TABLE failures ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE failures ADD COLUMN last_ms INTEGER;
UPDATE failures SET last_ms = time_ms;
