-- Grains grain storage, SQLite. Idempotent: the silo runs it on every start.
-- One row per (service, grain type, grain key, state name). "version" is the ETag: every write and clear
-- must present the current version and sets a new random one (optimistic concurrency). Random, so that a row
-- created again after the expiry sweep deleted it never matches a stale writer's version, and a writer whose
-- answer was lost can tell from the row whether its write was stored.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS grains_storage (
    service_id  TEXT    NOT NULL,
    grain_type  TEXT    NOT NULL,
    grain_key   TEXT    NOT NULL,
    state_name  TEXT    NOT NULL,
    payload     TEXT    NULL,      -- JSON; NULL once cleared (the row stays so that its version keeps counting)
    version     INTEGER NOT NULL,
    modified_on TEXT    NOT NULL,
    expires_on  TEXT    NULL,      -- the record may be deleted some time after this (IPersistentState.ExpiresAt)
    PRIMARY KEY (service_id, grain_type, grain_key, state_name)
) WITHOUT ROWID;

-- The sweep of expired records reads this index. A file created before expiry existed lacks the column: the storage
-- adds it at start, before this script (SqliteDialect.PrepareStorageSchemaAsync), since SQLite cannot add a column
-- only when it is missing in plain SQL; applied by hand to such a file, run first
-- ALTER TABLE grains_storage ADD COLUMN expires_on TEXT NULL;
CREATE INDEX IF NOT EXISTS grains_storage_expiry ON grains_storage (service_id, expires_on) WHERE expires_on IS NOT NULL;

-- States kept as entries (IPersistentEntries): one row per entry, written only when it changes. The state's version
-- is its row in grains_storage (payload NULL), which every write of its entries moves to a new version in the same transaction.
CREATE TABLE IF NOT EXISTS grains_storage_entries (
    service_id  TEXT    NOT NULL,
    grain_type  TEXT    NOT NULL,
    grain_key   TEXT    NOT NULL,
    state_name  TEXT    NOT NULL,
    entry_key   TEXT    NOT NULL,
    payload     TEXT    NOT NULL,  -- JSON
    PRIMARY KEY (service_id, grain_type, grain_key, state_name, entry_key)
) WITHOUT ROWID;
