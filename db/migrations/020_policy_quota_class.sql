-- Portcullis schema, version 20: the bandwidth class a group policy's
-- users are throttled into when a data quota is used up and [shaping]
-- quota_action = throttle ('' = the configuration's quota_class).
ALTER TABLE group_policies ADD COLUMN quota_class TEXT NOT NULL DEFAULT '';
