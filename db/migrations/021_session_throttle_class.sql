-- Portcullis schema, version 21: the class a session's device is shaped in
-- while a used-up data quota throttles it ([shaping] quota_action =
-- throttle): its policy's quota class or the configuration's quota_class;
-- '' when it is not throttled (it is in bandwidth_class, its own). The
-- daemon writes it when the device moves, so readers of the database (the
-- CLI, the panel) see who is throttled, after a restart too.
ALTER TABLE sessions ADD COLUMN throttle_class TEXT NOT NULL DEFAULT '';
