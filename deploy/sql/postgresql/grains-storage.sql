-- Grains grain storage, PostgreSQL. Idempotent: a silo runs it at start (under an advisory lock) when anything it creates is missing.
-- One row per (service, grain type, grain key, state name). "version" is the ETag: every write and clear
-- must present the current version and sets a new random one (optimistic concurrency). Random, so that a row
-- created again after the expiry sweep deleted it never matches a stale writer's version, and a writer whose
-- answer was lost can tell from the row whether its write was stored.
CREATE TABLE IF NOT EXISTS grains_storage (
    service_id  text        NOT NULL,
    grain_type  text        NOT NULL,
    grain_key   text        NOT NULL,
    state_name  text        NOT NULL,
    payload     text        NULL,      -- JSON; NULL once cleared (the row stays so that its version keeps counting)
    version     bigint      NOT NULL,
    modified_on timestamptz NOT NULL,
    expires_on  timestamptz NULL,      -- the record may be deleted some time after this (IPersistentState.ExpiresAt)
    CONSTRAINT grains_storage_pk PRIMARY KEY (service_id, grain_type, grain_key, state_name)
);

-- Tables created before expiry existed get the column here. The sweep's index is built by grains-storage-indexes.sql,
-- outside a transaction, so that building it on a table that holds rows blocks no write.
ALTER TABLE grains_storage ADD COLUMN IF NOT EXISTS expires_on timestamptz NULL;

-- States kept as entries (IPersistentEntries): one row per entry, written only when it changes. The state's version
-- is its row in grains_storage (payload NULL), which every write of its entries moves to a new version in the same transaction.
CREATE TABLE IF NOT EXISTS grains_storage_entries (
    service_id  text NOT NULL,
    grain_type  text NOT NULL,
    grain_key   text NOT NULL,
    state_name  text NOT NULL,
    entry_key   text NOT NULL,
    payload     text NOT NULL,     -- JSON
    CONSTRAINT grains_storage_entries_pk PRIMARY KEY (service_id, grain_type, grain_key, state_name, entry_key)
);
