-- Portcullis schema, version 3.

-- The realm the Digest secrets of a user were computed for: HA1 is
-- MD5/SHA-256 of "user:realm:password" (RFC 7616 section 3.4.2), so a
-- secret is only good in its own realm. The daemon uses a user's secrets
-- only in that realm, and `portcullis user list` says "yes" only then.
ALTER TABLE users ADD COLUMN ha1_realm TEXT;
-- secrets stored before were for the realm the daemon last recorded
UPDATE users SET ha1_realm = (SELECT value FROM meta WHERE key = 'digest_realm')
	WHERE ha1_md5 IS NOT NULL OR ha1_sha256 IS NOT NULL;
