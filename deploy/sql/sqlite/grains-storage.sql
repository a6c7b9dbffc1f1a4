-- Grains grain storage, SQLite. Idempotent: the silo runs it on every start.
-- One row per (service, grain type, grain key, state name). "version" is the ETag: every write and clear
-- must present the current version and increments it (optimistic concurrency).
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS grains_storage (
    service_id  TEXT    NOT NULL,
    grain_type  TEXT    NOT NULL,
    grain_key   TEXT    NOT NULL,
    state_name  TEXT    NOT NULL,
    payload     TEXT    NULL,      -- JSON; NULL once cleared (the row stays so that its version keeps counting)
    version     INTEGER NOT NULL,
    modified_on TEXT    NOT NULL,
    PRIMARY KEY (service_id, grain_type, grain_key, state_name)
) WITHOUT ROWID;
