-- Grains cluster membership, PostgreSQL. Idempotent: a silo runs it at start (under an advisory lock) when anything it creates is missing.
-- One version row per cluster: every change of a silo's status or votes increments it in the same transaction
-- (compare-and-swap), and is announced with NOTIFY grains_membership, '<cluster id>:<version>'.
-- Times are Unix milliseconds (UTC). Status: 1 Joining, 2 Active, 3 ShuttingDown, 4 Dead.
CREATE TABLE IF NOT EXISTS grains_membership_version (
    cluster_id  text   NOT NULL PRIMARY KEY,
    version     bigint NOT NULL,
    modified_on bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS grains_membership (
    cluster_id      text    NOT NULL REFERENCES grains_membership_version (cluster_id),
    host            text    NOT NULL,
    port            integer NOT NULL,
    generation      bigint  NOT NULL,   -- start time in ticks: a restarted process is a new silo
    silo_name       text    NOT NULL,
    status          integer NOT NULL,
    suspicions      text    NOT NULL,   -- JSON array of votes: [{"by":"host:port@generation","at":unix-ms}]
    start_time      bigint  NOT NULL,
    i_am_alive_time bigint  NOT NULL,   -- heartbeat; does not change the version
    etag            bigint  NOT NULL,
    activations     integer NULL,       -- the silo's activation count, written with each heartbeat
    PRIMARY KEY (cluster_id, host, port, generation)
);

-- Tables created before activation counts existed get the column here.
ALTER TABLE grains_membership ADD COLUMN IF NOT EXISTS activations integer NULL;
