-- Grains grain storage indexes, PostgreSQL. Run after grains-storage.sql, outside a transaction (psql runs each
-- statement on its own; CONCURRENTLY refuses to run inside one). Built concurrently, so that on a table that already
-- holds rows the build blocks no read or write; a plain CREATE INDEX would queue every write of every silo behind it
-- for as long as the build takes. A silo runs this at start when the index is missing, and first drops an index that
-- a build cut short left invalid.
-- The sweep of expired records reads this index.
CREATE INDEX CONCURRENTLY IF NOT EXISTS grains_storage_expiry ON grains_storage (service_id, expires_on) WHERE expires_on IS NOT NULL;
