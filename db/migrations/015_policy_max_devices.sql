-- Portcullis schema, version 15: a device limit per group policy: how many
-- devices its users may have logged in at once (0: no limit). A user's own
-- limit (users.max_devices) wins over it.
ALTER TABLE group_policies ADD COLUMN max_devices INTEGER NOT NULL DEFAULT 0;
