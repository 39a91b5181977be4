-- Portcullis schema, version 18: data quotas per group policy (bytes in +
-- out; 0 = none), for users who have no quota of their own (user_quotas
-- wins as a whole), in the same periods: a session, the local day, the
-- local month.
ALTER TABLE group_policies ADD COLUMN quota_session INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_policies ADD COLUMN quota_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_policies ADD COLUMN quota_month INTEGER NOT NULL DEFAULT 0;
-- A session's use against the quota that holds it, as the daemon's last
-- check saw it (written with its counts): bytes used and the quota's size
-- (0: none holds it), its period ('session', 'day', 'month', 'voucher')
-- and when the period starts again (0: not by the clock).
ALTER TABLE sessions ADD COLUMN quota_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN quota_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN quota_period TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN quota_resets_at INTEGER NOT NULL DEFAULT 0;
