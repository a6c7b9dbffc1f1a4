-- Grains cluster membership, SQLite (several silo processes on one machine). Idempotent: run on every start.
-- One version row per cluster: every change of a silo's status or votes increments it in the same transaction
-- (compare-and-swap). Times are Unix milliseconds (UTC). Status: 1 Joining, 2 Active, 3 ShuttingDown, 4 Dead.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS grains_membership_version (
    cluster_id  TEXT    NOT NULL PRIMARY KEY,
    version     INTEGER NOT NULL,
    modified_on INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS grains_membership (
    cluster_id      TEXT    NOT NULL REFERENCES grains_membership_version (cluster_id),
    host            TEXT    NOT NULL,
    port            INTEGER NOT NULL,
    generation      INTEGER NOT NULL,
    silo_name       TEXT    NOT NULL,
    status          INTEGER NOT NULL,
    suspicions      TEXT    NOT NULL,
    start_time      INTEGER NOT NULL,
    i_am_alive_time INTEGER NOT NULL,
    etag            INTEGER NOT NULL,
    activations     INTEGER NULL,      -- written with each heartbeat; older files get it from the table at start
    PRIMARY KEY (cluster_id, host, port, generation)
) WITHOUT ROWID;
