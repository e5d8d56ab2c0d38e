#!/usr/bin/env bash
# Provisions what the durable-channel tests need, idempotently (skips whatever is already there):
# - PostgreSQL on 127.0.0.1:5432 with trust authentication and a database `test` (JDBC channel tests);
# - MariaDB on 127.0.0.1:3306 with a password-less root@127.0.0.1 and a database `test`;
# - keytool and java (JCEKS keystore tests); mount and mkfs.ext4 (disk-full tests on a small filesystem).
# Run as root (CI does). Called by .ci/run before the test suite.
set -euo pipefail

need_apt=()
command -v psql >/dev/null 2>&1 || need_apt+=(postgresql postgresql-client)
command -v mariadb >/dev/null 2>&1 || command -v mysql >/dev/null 2>&1 || need_apt+=(mariadb-server mariadb-client)
command -v keytool >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
command -v mkfs.ext4 >/dev/null 2>&1 || need_apt+=(e2fsprogs)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}"
fi

pg_ok() { psql -h 127.0.0.1 -p 5432 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; }
if ! pg_ok; then
  if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    (service postgresql start || pg_ctlcluster "$(ls /etc/postgresql | sort -V | tail -1)" main start) >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done
  fi
  hba=$(su postgres -c "psql -Atc 'show hba_file'")
  if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    su postgres -c "psql -Atc 'select pg_reload_conf()'" >/dev/null
  fi
  su postgres -c "psql -Atc \"select 1 from pg_database where datname = 'test'\"" | grep -q 1 ||
    su postgres -c "createdb test"
  pg_ok || { echo "ci-databases: PostgreSQL is still not usable on 127.0.0.1:5432" >&2; exit 1; }
fi

my() { if command -v mariadb >/dev/null 2>&1; then mariadb "$@"; else mysql "$@"; fi; }
my_ok() { my -h 127.0.0.1 -P 3306 -u root test -e 'select 1' >/dev/null 2>&1; }
if ! my_ok; then
  if ! my -u root -e 'select 1' >/dev/null 2>&1; then
    (service mariadb start || service mysql start) >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do my -u root -e 'select 1' >/dev/null 2>&1 && break; sleep 1; done
  fi
  my -u root -e "CREATE DATABASE IF NOT EXISTS test;
    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
    FLUSH PRIVILEGES;"
  my_ok || { echo "ci-databases: MariaDB is still not usable on 127.0.0.1:3306" >&2; exit 1; }
fi
