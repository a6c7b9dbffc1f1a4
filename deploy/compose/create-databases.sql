-- Run by the postgres image once, on an empty data volume (docker-entrypoint-initdb.d). The image creates
-- POSTGRES_DB (grains_test, the tests' database) itself; this adds the database of the cluster profile. The silos
-- create their tables on start (deploy/sql/postgresql).
CREATE DATABASE quotas;
