-- Portcullis schema, version 18: data quotas per group policy (bytes in +
-- out; 0 = none), for users who have no quota of their own (user_quotas
-- wins as a whole), in the same periods: a session, the local day, the
-- local month.
ALTER TABLE group_policies ADD COLUMN quota_session INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_policies ADD COLUMN quota_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_policies ADD COLUMN quota_month INTEGER NOT NULL DEFAULT 0;
