# Brings up the services exportd needs on 127.0.0.1, reusing any already running and
# installing any that are missing (Debian packages, PyPI in a venv). Sourced by
# scripts/test and scripts/demo; exports the variables they use.
#   with_test_services=1  also start an S3 server (moto), an SMTP sink (aiosmtpd) and an
#                         SFTP server (a second OpenSSH sshd, for SFTP destinations).

set -euo pipefail

EXPORTD_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/exportd"
mkdir -p "$EXPORTD_CACHE"
apt_updated=0

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 what=$2
  for _ in $(seq 1 100); do
    port_open "$port" && return 0
    sleep 0.1
  done
  echo "$what did not start on port $port" >&2
  return 1
}

ensure_postgres() {
  if ! port_open 5432; then
    if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
      apt_install postgresql
    fi
    log "starting Postgres"
    if command -v pg_ctlcluster >/dev/null && [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
      pg_lsclusters -h | while read -r ver name _; do pg_ctlcluster "$ver" "$name" start || true; done
    else
      service postgresql start >&2 || true
    fi
    wait_port 5432 Postgres
  fi
  # Password auth works on a stock Debian install; trust auth ignores the password.
  if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d postgres -qtAc 'SELECT 1' >/dev/null 2>&1; then
    log "setting the postgres role's password for local TCP logins"
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >&2
  fi
  export PG_ADMIN_URL="postgres://postgres:postgres@127.0.0.1:5432/postgres"
  ensure_logical_wal
}

# Rollups learn what the platform wrote from the WAL (a logical replication slot per
# database), so Postgres runs with wal_level = logical; a slot that falls 2 GB behind is
# dropped by Postgres rather than filling the disk (exportd then rebuilds every rollup).
# The slots of earlier test runs' databases (a test killed mid-way) are dropped.
ensure_logical_wal() {
  local q=(psql "$PG_ADMIN_URL" -qtAc)
  if [ "$("${q[@]}" 'SHOW wal_level')" != logical ] || [ "$("${q[@]}" 'SHOW max_replication_slots')" -lt 64 ]; then
    log "Postgres: wal_level = logical, max_replication_slots = 64 (restarting it)"
    "${q[@]}" "ALTER SYSTEM SET wal_level = logical" >/dev/null
    "${q[@]}" "ALTER SYSTEM SET max_replication_slots = 64" >/dev/null
    "${q[@]}" "ALTER SYSTEM SET max_slot_wal_keep_size = '2GB'" >/dev/null
    if command -v pg_ctlcluster >/dev/null && [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
      pg_lsclusters -h | while read -r ver name port _; do
        if [ "$port" = 5432 ]; then pg_ctlcluster "$ver" "$name" restart; fi
      done
    else
      service postgresql restart >&2
    fi
    wait_port 5432 Postgres
    local i
    for i in $(seq 1 100); do "${q[@]}" 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  "${q[@]}" "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
              WHERE NOT active AND database LIKE 'exportd\_t\_%'" >/dev/null
}

ensure_redis() {
  if ! port_open 6379; then
    command -v redis-server >/dev/null || apt_install redis-server
    log "starting Redis"
    redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >&2
    wait_port 6379 Redis
  fi
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
}

ensure_venv() {
  VENV="$EXPORTD_CACHE/venv"
  command -v python3 >/dev/null || apt_install python3 python3-venv
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; }
  fi
  if ! "$VENV/bin/python" -c 'import moto.server, aiosmtpd, flask_cors, standardwebhooks, schemathesis' 2>/dev/null; then
    log "installing moto[server], aiosmtpd, standardwebhooks and schemathesis from PyPI"
    "$VENV/bin/pip" install -q 'moto[server]>=5,<6' 'aiosmtpd>=1.4,<2' 'standardwebhooks>=1.0,<2' 'schemathesis>=4,<5' >&2
  fi
  export TEST_PYTHON="$VENV/bin/python"
}

ensure_s3() {
  export S3_TEST_ENDPOINT="http://127.0.0.1:${EXPORTD_TEST_S3_PORT:-5055}"
  if ! port_open "${EXPORTD_TEST_S3_PORT:-5055}"; then
    ensure_venv
    log "starting moto (S3) on $S3_TEST_ENDPOINT"
    nohup "$VENV/bin/python" -m moto.server -H 127.0.0.1 -p "${EXPORTD_TEST_S3_PORT:-5055}" >"$EXPORTD_CACHE/moto.log" 2>&1 &
    wait_port "${EXPORTD_TEST_S3_PORT:-5055}" moto
  fi
}

# A second moto that checks credentials (IAM auth on), for S3 destinations' "access
# denied": it starts with three unchecked calls, which make a bucket and a user with an
# access key but no permission; every later call is checked. The key is kept beside it.
ensure_s3_auth() {
  export S3_AUTH_TEST_ENDPOINT="http://127.0.0.1:${EXPORTD_TEST_S3_AUTH_PORT:-5056}"
  export S3_AUTH_TEST_KEYS="$EXPORTD_CACHE/moto-auth.json"
  if port_open "${EXPORTD_TEST_S3_AUTH_PORT:-5056}" && [ ! -s "$S3_AUTH_TEST_KEYS" ]; then
    log "moto with auth runs without its keys file: restarting it"
    pkill -f "moto.server .*-p ${EXPORTD_TEST_S3_AUTH_PORT:-5056}" || true
    for _ in $(seq 1 50); do port_open "${EXPORTD_TEST_S3_AUTH_PORT:-5056}" || break; sleep 0.1; done
  fi
  if ! port_open "${EXPORTD_TEST_S3_AUTH_PORT:-5056}"; then
    ensure_venv
    log "starting moto with IAM auth on $S3_AUTH_TEST_ENDPOINT"
    INITIAL_NO_AUTH_ACTION_COUNT=3 nohup "$VENV/bin/python" -m moto.server -H 127.0.0.1 \
      -p "${EXPORTD_TEST_S3_AUTH_PORT:-5056}" >"$EXPORTD_CACHE/moto-auth.log" 2>&1 &
    wait_port "${EXPORTD_TEST_S3_AUTH_PORT:-5056}" "moto with auth"
    "$VENV/bin/python" - "$S3_AUTH_TEST_ENDPOINT" >"$S3_AUTH_TEST_KEYS" <<'PY'
import json, sys, boto3
ep = sys.argv[1]
kw = dict(endpoint_url=ep, region_name="us-east-1", aws_access_key_id="boot", aws_secret_access_key="boot")
boto3.client("s3", **kw).create_bucket(Bucket="locked")
iam = boto3.client("iam", **kw)
iam.create_user(UserName="nobody")
key = iam.create_access_key(UserName="nobody")["AccessKey"]
print(json.dumps({"bucket": "locked", "access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))
PY
  fi
}

ensure_smtp() {
  export SMTP_TEST_PORT="${EXPORTD_TEST_SMTP_PORT:-2525}"
  export SMTP_TEST_MAILDIR="$EXPORTD_CACHE/maildir"
  ensure_venv
  export SMTP_SINK_CMD="$VENV/bin/python $(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/smtp_sink.py"
  if ! port_open "$SMTP_TEST_PORT"; then
    log "starting the SMTP sink on 127.0.0.1:$SMTP_TEST_PORT"
    nohup $SMTP_SINK_CMD --port "$SMTP_TEST_PORT" --maildir "$SMTP_TEST_MAILDIR" >"$EXPORTD_CACHE/smtp.log" 2>&1 &
    wait_port "$SMTP_TEST_PORT" "SMTP sink"
  fi
}

# A second OpenSSH server on a loopback port, for SFTP destinations: its own host key and
# config, one user (exportd-sftp) confined to a directory (chroot, SFTP only), who logs in
# with a key or a password. It lives in /srv, not the cache: sshd reads the user's
# authorized keys as that user, who may not enter root's home. The machine's own sshd, if
# any, is not touched.
ensure_sftp() {
  export SFTP_TEST_PORT="${EXPORTD_TEST_SFTP_PORT:-2222}"
  export SFTP_TEST_USER=exportd-sftp
  export SFTP_TEST_DIR=/srv/exportd-test-sftp
  export SSHD_BIN=/usr/sbin/sshd
  [ -x "$SSHD_BIN" ] || apt_install openssh-server
  local d="$SFTP_TEST_DIR"
  mkdir -p "$d/root/upload" /run/sshd
  [ -f "$d/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
  [ -f "$d/client_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/client_key"
  [ -f "$d/password" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$d/password")
  if ! id "$SFTP_TEST_USER" >/dev/null 2>&1; then
    log "adding the SFTP test user $SFTP_TEST_USER"
    useradd --no-create-home --home-dir / --shell /usr/sbin/nologin "$SFTP_TEST_USER"
  fi
  echo "$SFTP_TEST_USER:$(cat "$d/password")" | chpasswd
  cp "$d/client_key.pub" "$d/authorized_keys"
  # The chroot and the path to it belong to root; only upload/ is the user's.
  chmod 755 "$d" "$d/root"
  chown "$SFTP_TEST_USER" "$d/root/upload"
  cat >"$d/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $SFTP_TEST_PORT
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
AllowUsers $SFTP_TEST_USER
Subsystem sftp internal-sftp
ChrootDirectory $d/root
ForceCommand internal-sftp
AllowTcpForwarding no
X11Forwarding no
CONF
  if ! port_open "$SFTP_TEST_PORT"; then
    log "starting the SFTP server on 127.0.0.1:$SFTP_TEST_PORT"
    "$SSHD_BIN" -f "$d/sshd_config" -E "$d/sshd.log"
    wait_port "$SFTP_TEST_PORT" "SFTP server"
  fi
}

# A small streaming pair for the replica tests, apart from the machine's main cluster
# (which may hold benchmark databases of many GB): a primary made with initdb, and its hot
# standby made from it with pg_basebackup -R, both from Debian's packages, on loopback
# ports 5442 and 5443 (EXPORTD_TEST_PAIR_PORT and the next). Reused when running. Its data
# lives in /srv, as the postgres user may not enter root's home.
ensure_replica_pair() {
  local bin dir=/srv/exportd-test-pgpair p="${EXPORTD_TEST_PAIR_PORT:-5442}"
  local s=$((p + 1))
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  export PAIR_DIR="$dir" PG_BIN="$bin"
  export PAIR_PRIMARY_URL="postgres://postgres@127.0.0.1:$p/postgres"
  export PAIR_STANDBY_URL="postgres://postgres@127.0.0.1:$s/postgres"
  local as=(runuser -u postgres --)
  if port_open "$p" && port_open "$s" &&
    [ "$(psql "$PAIR_STANDBY_URL" -qtAc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]; then
    # A test that paused replay and was killed leaves it paused.
    psql "$PAIR_STANDBY_URL" -qtAc 'SELECT pg_wal_replay_resume()' >/dev/null
    return 0
  fi
  mkdir -p "$dir" && chown postgres "$dir"
  if [ ! -s "$dir/primary/PG_VERSION" ]; then
    log "making the replica tests' primary (initdb) on 127.0.0.1:$p"
    rm -rf "$dir/primary" "$dir/standby"
    "${as[@]}" "$bin/initdb" -A trust -U postgres -D "$dir/primary" >/dev/null
    cat >>"$dir/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $p
unix_socket_directories = '$dir'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 64
max_slot_wal_keep_size = '1GB'
shared_preload_libraries = 'pg_stat_statements'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = '128MB'
max_connections = 200
CONF
    echo "host replication all 127.0.0.1/32 trust" >>"$dir/primary/pg_hba.conf"
  fi
  if ! port_open "$p"; then
    log "starting the replica tests' primary"
    "${as[@]}" "$bin/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w start >&2
  fi
  if [ ! -s "$dir/standby/standby.signal" ]; then
    log "making its hot standby (pg_basebackup -R) on 127.0.0.1:$s"
    port_open "$s" && "${as[@]}" "$bin/pg_ctl" -D "$dir/standby" -m immediate stop >&2 || true
    rm -rf "$dir/standby"
    "${as[@]}" "$bin/pg_basebackup" -h 127.0.0.1 -p "$p" -U postgres -D "$dir/standby" -R -X stream >&2
    cat >>"$dir/standby/postgresql.conf" <<CONF
port = $s
hot_standby = on
hot_standby_feedback = on
max_standby_streaming_delay = -1
CONF
  fi
  if ! port_open "$s"; then
    log "starting the hot standby"
    "${as[@]}" "$bin/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w start >&2
  fi
  # A test that paused replay and was killed leaves it paused.
  psql "$PAIR_STANDBY_URL" -qtAc 'SELECT pg_wal_replay_resume()' >/dev/null 2>&1 || true
  psql "$PAIR_PRIMARY_URL" -qtAc 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' >/dev/null
}

# Debian's chromium and its WebDriver, for the web page's browser test.
ensure_browser() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    apt_install chromium chromium-driver
  fi
  export CHROMEDRIVER="$(command -v chromedriver)"
  export CHROMIUM="$(command -v chromium)"
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null || apt_install cargo
  command -v cc >/dev/null || apt_install gcc
}

command -v psql >/dev/null || apt_install postgresql-client
ensure_rust
ensure_postgres
ensure_redis
if [ "${with_test_services:-0}" = 1 ]; then
  ensure_s3
  ensure_s3_auth
  ensure_smtp
  ensure_sftp
  ensure_browser
  ensure_replica_pair
fi
