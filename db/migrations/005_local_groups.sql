-- Portcullis schema, version 5: local groups, of local users (a directory
-- user's groups are the directory's). A user's memberships go with the user.
CREATE TABLE local_groups (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
);

CREATE TABLE local_group_members (
	group_id INTEGER NOT NULL REFERENCES local_groups (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX local_group_members_user ON local_group_members (user_id);
