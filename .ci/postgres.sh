#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on the loopback address for the study tests.
# Installs Debian's postgresql if missing, runs initdb + pg_ctl as the
# `postgres` user (initdb refuses root) in a temporary directory, and prints
# `export AELLM_TEST_POSTGRES=…` for the caller to eval. Takes a few seconds
# once the package is installed.
set -euo pipefail
PORT="${AELLM_PG_PORT:-55432}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "installing postgresql (Debian package)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DIR=$(mktemp -d /tmp/aellm-ci-pg.XXXXXX)
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
    chown postgres "$DIR"
    RUN_AS=(su postgres -s /bin/sh -c)
else
    RUN_AS=(sh -c)
fi
"${RUN_AS[@]}" "$BIN/initdb -D $DIR/data -A trust -U postgres >$DIR/initdb.log 2>&1"
"${RUN_AS[@]}" "$BIN/pg_ctl -D $DIR/data -l $DIR/server.log -w -o '-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off' start >&2"
echo "export AELLM_TEST_POSTGRES=postgres://postgres@127.0.0.1:$PORT/postgres"
if [ "$(id -u)" = 0 ]; then
    echo "su postgres -s /bin/sh -c '$BIN/pg_ctl -D $DIR/data -m fast stop'; rm -rf $DIR" >"$DIR/stop.sh"
else
    echo "$BIN/pg_ctl -D $DIR/data -m fast stop; rm -rf $DIR" >"$DIR/stop.sh"
fi
echo "export AELLM_TEST_POSTGRES_STOP='sh $DIR/stop.sh'"
