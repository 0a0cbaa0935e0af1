#!/usr/bin/env bash
# A real PostgreSQL server on 127.0.0.1 for the persistence tests.
#
# Installs Debian's `postgresql` package when it is missing, makes sure a cluster exists, listens
# only on 127.0.0.1 (the project's loopback rule) and runs, and that the role `orchestrator` owns
# the database `orchestrator_test`. The last (and only) line on stdout is the Npgsql connection
# string for ORCHESTRATOR_TEST_POSTGRES; everything it does is reported on stderr.
#
# Idempotent: a second run reuses the running server, the role and the database.
# Runs as root (CI) and uses `runuser -u postgres` for psql; also runs as the postgres user.
# ORCHESTRATOR_TEST_POSTGRES=skip in the environment: does nothing (the tests use SQLite only).
set -euo pipefail

readonly DB=orchestrator_test
readonly ROLE=orchestrator
readonly PASSWORD=orchestrator
readonly HOST=127.0.0.1
readonly CLUSTER=main
readonly DEFAULT_PORT=5432

say() { echo ".ci/postgres.sh: $*" >&2; }
die() {
  say "ERROR: $*"
  say "CI runs the PostgreSQL persistence tests and needs this server. To run the tests on SQLite"
  say "only on your own machine, set ORCHESTRATOR_TEST_POSTGRES=skip (not in CI)."
  exit 1
}

if [ "${ORCHESTRATOR_TEST_POSTGRES:-}" = skip ]; then
  say "ORCHESTRATOR_TEST_POSTGRES=skip: no PostgreSQL set up; the persistence tests run on SQLite only"
  exit 0
fi

# --- 1. the server package --------------------------------------------------------------------

server_version() {
  # The newest installed server major version, e.g. 15; empty when no server is installed.
  local v best=""
  for bin in /usr/lib/postgresql/*/bin/postgres; do
    [ -x "$bin" ] || continue
    v=${bin#/usr/lib/postgresql/}; v=${v%%/*}
    if [ -z "$best" ] || [ "${v%%.*}" -gt "${best%%.*}" ] 2>/dev/null; then best=$v; fi
  done
  echo "$best"
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2
}

if [ -z "$(server_version)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  say "no PostgreSQL server (or no pg_ctlcluster) installed"
  if [ "$(id -u)" -ne 0 ]; then
    die "installing PostgreSQL needs root: run 'apt-get install postgresql' as root, then run again"
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    die "no apt-get on this machine: install a PostgreSQL server (Debian: 'apt-get install postgresql') with pg_ctlcluster, then run again"
  fi
  say "installing Debian's 'postgresql' package with apt-get"
  if ! apt_install; then
    say "apt-get install failed; running apt-get update and trying once more"
    DEBIAN_FRONTEND=noninteractive apt-get update >&2 \
      || die "'apt-get update' failed (no access to the package mirror?); install 'postgresql' by hand, then run again"
    apt_install || die "'apt-get install postgresql' failed (see apt's output above); install it by hand, then run again"
  fi
  if [ -z "$(server_version)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    die "the 'postgresql' package is installed but no server binary or pg_ctlcluster was found"
  fi
fi

# --- 2. helpers -------------------------------------------------------------------------------

as_postgres() {
  # Run a command as the postgres superuser, from a directory it can read.
  if [ "$(id -un)" = postgres ]; then
    (cd / && "$@")
  elif [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    die "run this as root (CI) or as the postgres user; it runs psql as postgres"
  fi
}

# Cluster fields from pg_lsclusters: version cluster port status owner datadir logfile
cluster_line() { pg_lsclusters -h 2>/dev/null | awk -v v="$1" -v c="$CLUSTER" '$1 == v && $2 == c'; }
cluster_field() { cluster_line "$1" | awk -v f="$2" '{ print $f }'; }

port_in_use() {
  # Something listens on TCP port $1 (any address)?
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -ltnH "( sport = :$1 )" 2>/dev/null)" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

port_of_other_cluster() {
  # Another cluster (not ours) is configured with port $1?
  pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v c="$CLUSTER" -v p="$1" \
    '!($1 == v && $2 == c) && $3 == p { found = 1 } END { exit !found }'
}

free_port() {
  local p
  for p in $(seq 5433 5499); do
    if ! port_in_use "$p" && ! port_of_other_cluster "$p"; then echo "$p"; return 0; fi
  done
  return 1
}

psql_admin() {
  # psql as postgres over the cluster's Unix socket (peer authentication).
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"
}

# --- 3. the cluster ---------------------------------------------------------------------------

# Reuse an existing cluster `main` (newest version first); otherwise create one for the newest server.
VERSION=""
for v in $(pg_lsclusters -h 2>/dev/null | awk -v c="$CLUSTER" '$2 == c { print $1 }' | sort -rn); do
  VERSION=$v; break
done
if [ -z "$VERSION" ]; then
  VERSION=$(server_version)
  port=$DEFAULT_PORT
  if port_in_use "$port" || port_of_other_cluster "$port"; then
    port=$(free_port) || die "no free TCP port in 5433..5499 for PostgreSQL"
    say "port $DEFAULT_PORT is taken by something else; the new cluster uses port $port"
  fi
  say "no PostgreSQL cluster '$CLUSTER' yet; creating $VERSION/$CLUSTER on port $port"
  pg_createcluster --locale C.UTF-8 --port "$port" "$VERSION" "$CLUSTER" >&2 \
    || die "pg_createcluster $VERSION $CLUSTER failed (see above)"
fi

status=$(cluster_field "$VERSION" 4)
PORT=$(cluster_field "$VERSION" 3)
changed=no

# Loopback only: never listen on other interfaces (nor on ::1, which the default 'localhost' adds).
# A drop-in in the cluster's conf.d (read after postgresql.conf) says so; `pg_conftool set` is not
# used because it writes 127.0.0.1 unquoted, which PostgreSQL rejects as a syntax error.
CONFDIR=/etc/postgresql/$VERSION/$CLUSTER
DROPIN=$CONFDIR/conf.d/orchestrator-ci.conf
WANT="listen_addresses = '$HOST'   # written by .ci/postgres.sh: loopback only"
if ! grep -Eq "^[[:space:]]*include_dir[[:space:]]*=?[[:space:]]*'conf\.d'" "$CONFDIR/postgresql.conf"; then
  say "adding include_dir = 'conf.d' to $CONFDIR/postgresql.conf"
  echo "include_dir = 'conf.d'   # added by .ci/postgres.sh" >>"$CONFDIR/postgresql.conf"
  changed=yes
fi
if [ "$(cat "$DROPIN" 2>/dev/null)" != "$WANT" ]; then
  say "writing $DROPIN: listen_addresses = '$HOST'"
  install -d -o postgres -g postgres -m 755 "$CONFDIR/conf.d"
  printf '%s\n' "$WANT" | install -o postgres -g postgres -m 644 /dev/stdin "$DROPIN"
  changed=yes
fi
if [ "$status" = online ] && [ "$(psql_admin -tAc 'SHOW listen_addresses')" != "$HOST" ]; then
  changed=yes
fi

# Use a non-default port only when the configured one is taken by something that isn't our cluster.
if [ "$status" != online ] && port_in_use "$PORT"; then
  newport=$(free_port) || die "port $PORT is taken and there is no free TCP port in 5433..5499"
  say "port $PORT is taken by something that is not cluster $VERSION/$CLUSTER; moving it to port $newport"
  pg_conftool "$VERSION" "$CLUSTER" set port "$newport" >&2
  PORT=$newport
fi

start_cluster() {
  local action=$1
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    say "systemd runs here: systemctl $action postgresql@$VERSION-$CLUSTER"
    systemctl "$action" "postgresql@$VERSION-$CLUSTER" >&2
  else
    say "no systemd here: pg_ctlcluster $VERSION $CLUSTER $action"
    pg_ctlcluster "$VERSION" "$CLUSTER" "$action" >&2
  fi
}

if [ "$status" = online ]; then
  if [ "$changed" = yes ]; then
    say "cluster $VERSION/$CLUSTER runs with an older configuration; restarting it"
    start_cluster restart || die "could not restart $VERSION/$CLUSTER; see $(cluster_field "$VERSION" 7)"
  else
    say "reusing the running cluster $VERSION/$CLUSTER on $HOST:$PORT"
  fi
else
  say "starting cluster $VERSION/$CLUSTER on $HOST:$PORT"
  start_cluster start || {
    log=$(cluster_field "$VERSION" 7)
    [ -r "$log" ] && tail -n 20 "$log" >&2
    die "could not start PostgreSQL $VERSION/$CLUSTER; see $log"
  }
fi

for _ in $(seq 1 60); do
  pg_isready -q -h "$HOST" -p "$PORT" && break
  sleep 0.5
done
pg_isready -q -h "$HOST" -p "$PORT" || die "PostgreSQL $VERSION/$CLUSTER does not accept connections on $HOST:$PORT"
listening=$(psql_admin -tAc 'SHOW listen_addresses')
[ "$listening" = "$HOST" ] || die "PostgreSQL $VERSION/$CLUSTER listens on '$listening', not only on $HOST; check $CONFDIR"

# --- 4. role and database ---------------------------------------------------------------------

# The password is (re)set on every run, so the connection string below always works.
psql_admin <<SQL
SELECT 'CREATE ROLE $ROLE LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE')\gexec
ALTER ROLE $ROLE WITH LOGIN PASSWORD '$PASSWORD';
SELECT 'CREATE DATABASE $DB OWNER $ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB')\gexec
ALTER DATABASE $DB OWNER TO $ROLE;
SQL
# The owner may create tables in the public schema (PostgreSQL 15 no longer grants it to everyone).
as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d "$DB" -c "GRANT ALL ON SCHEMA public TO $ROLE;"

# --- 5. check the way the tests connect: TCP on 127.0.0.1 with the password -------------------

tcp_login() {
  PGPASSWORD=$PASSWORD psql -X -q -w -h "$HOST" -p "$PORT" -U "$ROLE" -d "$DB" -tAc 'SELECT current_user' >/dev/null 2>&1
}
if ! tcp_login; then
  hba=$(psql_admin -tAc 'SHOW hba_file')
  say "password login over TCP refused; allowing $ROLE to $DB from $HOST/32 in $hba"
  if ! grep -Eq "^host[[:space:]]+${DB}[[:space:]]+${ROLE}[[:space:]]+${HOST}/32" "$hba"; then
    tmp=$(mktemp)
    { echo "host    $DB    $ROLE    $HOST/32    scram-sha-256    # .ci/postgres.sh"; cat "$hba"; } >"$tmp"
    cat "$tmp" >"$hba"   # keep the file's owner and mode
    rm -f "$tmp"
  fi
  psql_admin -c 'SELECT pg_reload_conf()' >/dev/null
  sleep 1
  tcp_login || die "cannot log in as $ROLE to $DB over TCP on $HOST:$PORT with the password"
fi

say "ready: PostgreSQL $VERSION/$CLUSTER on $HOST:$PORT, database $DB owned by $ROLE"
echo "Host=$HOST;Port=$PORT;Database=$DB;Username=$ROLE;Password=$PASSWORD"
