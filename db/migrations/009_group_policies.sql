-- Portcullis schema, version 9: a policy per group (the group a directory's
-- or a local one, by name), and a default policy (group '') for users in
-- no group that has one. The windows and destination lists are kept as the
-- text the administrator gave (policy.h says their form); the daemon and
-- the CLI parse them with the same code.
CREATE TABLE group_policies (
	group_name TEXT NOT NULL PRIMARY KEY,
	priority INTEGER NOT NULL DEFAULT 100,
	denied INTEGER NOT NULL DEFAULT 0,
	windows TEXT NOT NULL DEFAULT '',
	session_lifetime INTEGER NOT NULL DEFAULT 0,
	idle_timeout INTEGER NOT NULL DEFAULT 0,
	allow_destinations TEXT NOT NULL DEFAULT '',
	deny_destinations TEXT NOT NULL DEFAULT '',
	bandwidth_class TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL
);

-- The daemon keeps the policies and the local memberships in memory and
-- reads them again when this counter moves.
INSERT INTO generations (name, value) VALUES ('policies', 1);
CREATE TRIGGER group_policies_ins AFTER INSERT ON group_policies
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'policies'; END;
CREATE TRIGGER group_policies_upd AFTER UPDATE ON group_policies
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'policies'; END;
CREATE TRIGGER group_policies_del AFTER DELETE ON group_policies
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'policies'; END;
CREATE TRIGGER local_group_members_ins AFTER INSERT ON local_group_members
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'policies'; END;
CREATE TRIGGER local_group_members_del AFTER DELETE ON local_group_members
	BEGIN UPDATE generations SET value = value + 1 WHERE name = 'policies'; END;
