#!/usr/bin/env bash
# Throwaway local PostgreSQL for the local cluster and integration tests.
#
#   postgres.sh install            apt-get install postgresql when no initdb is found
#   postgres.sh start   [opts]     initdb (first time), start on 127.0.0.1, create role+db smileback, print the URL
#   postgres.sh stop    [opts]     pg_ctl stop -m fast
#   postgres.sh status  [opts]     exit 0 when running, 3 when not
#
# Options (or environment): --port N [PGPORT, 55432]  --data-dir D [PGDATA, fresh mktemp dir]
# The role and database are both "smileback", password "smileback" (local throwaway use only).
set -euo pipefail

say() { echo "postgres.sh: $*"; }
die() { echo "postgres.sh: error: $*" >&2; exit 1; }
usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }

CMD="${1:-}"; [[ -n "$CMD" ]] || usage; shift
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) PGPORT="$2"; shift 2 ;;
    --data-dir) PGDATA="$2"; shift 2 ;;
    *) usage ;;
  esac
done
PGPORT="${PGPORT:-55432}"
DB_USER=smileback DB_PASSWORD=smileback DB_NAME=smileback
# Lets stop/status find a cluster started with a mktemp data dir from just its port.
POINTER="${TMPDIR:-/tmp}/smileback-postgres-$PGPORT.datadir"

# Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<major>/bin.
find_bindir() {
  # readlink: a PATH entry may be a lone symlink to initdb without its sibling tools.
  if command -v initdb >/dev/null; then dirname "$(readlink -f "$(command -v initdb)")"; return; fi
  local dir; dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  [[ -n "$dir" && -x "$dir/initdb" ]] && echo "$dir"
}

cmd_install() {
  if bindir="$(find_bindir)"; then say "PostgreSQL found in $bindir"; return; fi
  [[ "$(id -u)" -eq 0 ]] || die "initdb not found; run as root to apt-get install postgresql"
  say "installing PostgreSQL with apt-get"
  # Keep the package from starting its own 'main' cluster on 5432 (standard policy-rc.d trick).
  local policy=/usr/sbin/policy-rc.d added=0
  if [[ ! -e "$policy" ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; added=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null || {
    [[ "$added" -eq 1 ]] && rm -f "$policy"; die "apt-get install postgresql failed"; }
  [[ "$added" -eq 1 ]] && rm -f "$policy"
  find_bindir >/dev/null || die "initdb still not found after install"
  say "installed PostgreSQL in $(find_bindir)"
}

# The server refuses to run as root: as root, run its tools as the 'postgres' system user.
as_pg() {
  # cd /: the caller's cwd (e.g. /root) may be unreadable for that user.
  if [[ "$(id -u)" -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

ensure_pg_user() {
  [[ "$(id -u)" -eq 0 ]] || return 0
  id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
}

resolve_data_dir() {
  if [[ -z "${PGDATA:-}" && -f "$POINTER" ]]; then PGDATA="$(cat "$POINTER")"; fi
  [[ -n "${PGDATA:-}" ]] || return 1
  if [[ -d "$PGDATA" ]]; then PGDATA="$(cd "$PGDATA" && pwd)"; fi
}

is_running() { [[ -f "$PGDATA/PG_VERSION" ]] && as_pg "$BIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1; }

cmd_start() {
  BIN="$(find_bindir)" || { cmd_install; BIN="$(find_bindir)"; }
  local url="postgresql+psycopg://$DB_USER:$DB_PASSWORD@127.0.0.1:$PGPORT/$DB_NAME"
  if resolve_data_dir && is_running; then say "already running on 127.0.0.1:$PGPORT, data $PGDATA"; echo "$url"; return; fi
  (exec 3<>"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null && die "port $PGPORT is already in use"
  ensure_pg_user
  PGDATA="${PGDATA:-$(mktemp -d -t smileback-pg.XXXXXX)}"
  mkdir -p "$PGDATA"
  PGDATA="$(cd "$PGDATA" && pwd)"  # absolute: it goes into postgresql.conf and the pointer file
  if [[ "$(id -u)" -eq 0 ]]; then chown postgres: "$PGDATA"; fi
  chmod 700 "$PGDATA"

  if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
    say "initdb in $PGDATA"
    # Local socket: trust (the socket lives in the 0700 data dir); TCP: password (scram) only.
    local out
    out="$(as_pg "$BIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --no-locale 2>&1)" || { echo "$out" >&2; die "initdb failed"; }
    # A throwaway cluster: durability off for speed.
    as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGDATA'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  fi

  say "starting PostgreSQL on 127.0.0.1:$PGPORT (data $PGDATA)"
  # The port is given at start, so a kept data dir can come back on another port.
  as_pg "$BIN/pg_ctl" start -D "$PGDATA" -l "$PGDATA/postgres.log" -o "-p $PGPORT" -w -t 60 >/dev/null ||
    { tail -n 30 "$PGDATA/postgres.log" >&2; die "pg_ctl start failed"; }
  echo "$PGDATA" >"$POINTER"
  local deadline=$((SECONDS + 30))
  until "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; do
    ((SECONDS < deadline)) || { tail -n 30 "$PGDATA/postgres.log" >&2; die "not ready after 30 s"; }
    sleep 0.2
  done

  # Idempotent: the role and database survive a restart of the same data dir.
  as_pg "$BIN/psql" -q -h "$PGDATA" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER;
  END IF;
  -- CREATEDB: tests make a scratch database each (test_pipeline_e2e.py).
  ALTER ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
END \$\$;
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
SQL
  say "ready"
  echo "$url"
}

cmd_stop() {
  resolve_data_dir || { say "not running (no cluster recorded for port $PGPORT)"; return; }
  BIN="$(find_bindir)" || die "PostgreSQL binaries not found"
  if is_running; then
    say "stopping PostgreSQL (data $PGDATA)"
    as_pg "$BIN/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60 >/dev/null
    say "stopped"
  else
    say "not running (data $PGDATA)"
  fi
  [[ "$(cat "$POINTER" 2>/dev/null)" == "$PGDATA" ]] && rm -f "$POINTER"
  return 0
}

cmd_status() {
  resolve_data_dir || { say "not running"; exit 3; }
  BIN="$(find_bindir)" || die "PostgreSQL binaries not found"
  if is_running; then say "running on 127.0.0.1:$PGPORT, data $PGDATA"; else say "not running"; exit 3; fi
}

case "$CMD" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
