#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (the official image's /docker-entrypoint-initdb.d).
# Two roles besides the superuser:
#   $DB_OWNER_USER  owns the database and its schema: `migrate` runs as it (the one-shot `migrate` service);
#   $DB_APP_USER    web, worker and beat connect as it: not a superuser, not the owner. `migrate` grants it what the
#                   code needs on each table, the audit ledger SELECT/INSERT only (audit/privileges.py).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$DB_OWNER_USER" -v owner_pw="$DB_OWNER_PASSWORD" -v app="$DB_APP_USER" -v app_pw="$DB_APP_PASSWORD" \
  -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
CREATE ROLE :"app" LOGIN PASSWORD :'app_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
ALTER DATABASE :"db" OWNER TO :"owner";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- pg_trgm (telegrams/0002) needs CREATE on the database, which the owner has; trigram indexes need no superuser.
SQL
