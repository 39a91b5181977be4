-- Portcullis schema, version 3.

-- The realm the Digest secrets of a user were computed for: HA1 is
-- MD5/SHA-256 of "user:realm:password" (RFC 7616 section 3.4.2), so a
-- secret is only good in its own realm. The daemon uses a user's secrets
-- only in that realm, and `portcullis user list` says "yes" only then.
ALTER TABLE users ADD COLUMN ha1_realm TEXT;
-- Secrets stored before keep ha1_realm NULL: their realm is not known. The
-- CLI hashed with the default realm whatever the daemon's was, and the
-- realm may have changed since, so the last realm the daemon recorded is
-- no proof. A secret of unknown realm is never used for a Digest check;
-- the daemon makes it anew at the user's next Basic or portal login.
