-- Portcullis schema, version 10: guest vouchers, and a limit on the devices
-- of one account.
--
-- A roll is a batch of codes made together, with the settings its codes
-- share. A code is stored as its lookup part in clear (prefix: unique, so
-- that a typed code is checked against one hash) and the scrypt hash of the
-- whole code (phc). Its validity runs from its first use; the roll's expiry
-- ends every code of the roll, used or not. Revoking sets revoked_at.
CREATE TABLE voucher_rolls (
	id INTEGER PRIMARY KEY,
	comment TEXT NOT NULL DEFAULT '',
	alphabet TEXT NOT NULL,
	code_length INTEGER NOT NULL,
	validity INTEGER NOT NULL,            -- seconds from the first use
	expires_at INTEGER NOT NULL DEFAULT 0, -- 0: never
	quota_bytes INTEGER NOT NULL DEFAULT 0, -- 0: none
	bandwidth_class TEXT NOT NULL DEFAULT '',
	max_devices INTEGER NOT NULL DEFAULT 1,
	revoked_at INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);

CREATE TABLE vouchers (
	id INTEGER PRIMARY KEY,
	roll_id INTEGER NOT NULL REFERENCES voucher_rolls (id) ON DELETE CASCADE,
	number INTEGER NOT NULL,              -- 1..N within its roll
	prefix TEXT NOT NULL UNIQUE,
	phc TEXT NOT NULL,
	first_used_at INTEGER NOT NULL DEFAULT 0,
	revoked_at INTEGER NOT NULL DEFAULT 0,
	UNIQUE (roll_id, number)
);

-- 0: no limit on the devices logged in at once under the user's name.
ALTER TABLE users ADD COLUMN max_devices INTEGER NOT NULL DEFAULT 0;
