#!/usr/bin/env bash
# Local PostgreSQL images for the container provider, built without a container registry.
#
#   scripts/container-image.sh [--engine-only] [--force] [MAJOR ...]     (default MAJOR: 15)
#
# 1. Makes sure a Docker engine answers. When none does, DOCKER_HOST is unset and we are root, it
#    installs Debian's docker.io if missing and starts `dockerd --iptables=false --bridge=none` in
#    the background (log: $REHEARSE_DOCKERD_LOG, default /var/log/pg-rehearse-dockerd.log). Without
#    a bridge the engine creates no network address at all; containers use --network host.
# 2. Builds `rehearse-local/postgres:<MAJOR>` unless it exists (--force rebuilds): an mmdebstrap
#    root filesystem of Debian's postgresql-<MAJOR> piped into `docker import`, docs, man pages,
#    locales, the LLVM JIT and perl's modules (only postgresql-common's wrappers need them; the
#    image puts the server's own bin folder first on PATH) left out, with an entrypoint that honours POSTGRES_USER,
#    POSTGRES_PASSWORD, POSTGRES_DB, PGPORT and PGDATA like the official image (see
#    docs/container.md). Debian ships one major per release: 13 bullseye, 15 bookworm, 17 trixie.
#
# Environment: REHEARSE_DEBIAN_MIRROR (default http://deb.debian.org/debian).
# Each step prints how long it took.
set -euo pipefail

engine_only=0
force=0
majors=()
for arg in "$@"; do
  case "$arg" in
    --engine-only) engine_only=1 ;;
    --force) force=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | cut -c3-; exit 0 ;;
    [0-9]*) majors+=("$arg") ;;
    *) echo "container-image.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#majors[@]} -gt 0 ] || majors=(15)

MIRROR="${REHEARSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DOCKERD_LOG="${REHEARSE_DOCKERD_LOG:-/var/log/pg-rehearse-dockerd.log}"

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
say() { echo "container-image: $*" >&2; }

engine_up() { docker info >/dev/null 2>&1; }

apt_install() {
  local missing=()
  for pkg in "$@"; do
    # (dpkg -s also succeeds for a removed package whose config files remain)
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "needs ${missing[*]} (Debian packages); install them, or run as root on Debian/Ubuntu"
    exit 1
  fi
  local t; t=$(now)
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq "${missing[@]}" >/dev/null
  say "installed ${missing[*]} ($(took "$t"))"
}

ensure_engine() {
  if engine_up; then say "Docker engine: reachable${DOCKER_HOST:+ at $DOCKER_HOST}"; return 0; fi
  if [ -n "${DOCKER_HOST:-}" ]; then
    say "DOCKER_HOST=$DOCKER_HOST does not answer (docker info failed); start that engine, or unset DOCKER_HOST"
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    say "no Docker engine answers and starting one needs root: start dockerd (or Docker Desktop / colima) first"
    exit 1
  fi
  # one apt run for everything this script needs (the image build needs mmdebstrap)
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    if [ "$engine_only" = 1 ]; then apt_install docker.io; else apt_install docker.io mmdebstrap; fi
  fi
  local t; t=$(now)
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  # setsid + nohup: the engine outlives this script (and the test run that follows it)
  setsid nohup dockerd --iptables=false --bridge=none >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 120); do
    engine_up && { say "started dockerd --iptables=false --bridge=none ($(took "$t"), log $DOCKERD_LOG)"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  say "dockerd did not answer (it exited, or gave no answer within 60 s); the end of $DOCKERD_LOG:"
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  exit 1
}

suite_of() {
  case "$1" in
    13) echo bullseye ;;
    15) echo bookworm ;;
    17) echo trixie ;;
    *) say "PostgreSQL $1 is not the major of a Debian release (13 bullseye, 15 bookworm, 17 trixie)"; exit 2 ;;
  esac
}

write_entrypoint() {
  cat >"$1" <<'ENTRYPOINT'
#!/bin/sh
# rehearse-local/postgres entrypoint, compatible with the official image's variables:
# POSTGRES_PASSWORD (required), POSTGRES_USER (postgres), POSTGRES_DB (= user), PGPORT (5432),
# PGDATA (/var/lib/postgresql/data). Arguments: "postgres -c name=value ..." (or only the -c
# flags) go to the server; anything else is run as a command. The server runs as the postgres
# user, listens on all addresses (-c listen_addresses=... narrows it) and asks TCP clients for a
# password (scram-sha-256); the local socket trusts.
set -eu
if [ $# -gt 0 ] && [ "$1" != postgres ] && [ "${1#-}" = "$1" ]; then exec "$@"; fi
[ "${1:-}" = postgres ] && shift
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${PGPORT:=5432}"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGPORT PGDATA
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "entrypoint: POSTGRES_PASSWORD is not set; the server would accept no TCP login" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-instructions --no-sync >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    db=$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')
    out=$(printf 'CREATE DATABASE "%s"\n' "$db" | as_postgres postgres --single -D "$PGDATA" -c listen_addresses= postgres 2>&1) || true
    case "$out" in *ERROR*|*FATAL*) echo "entrypoint: creating database $POSTGRES_DB failed: $out" >&2; exit 1 ;; esac
  fi
  echo "entrypoint: initialised $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres -D "$PGDATA" "$@"
ENTRYPOINT
  chmod 755 "$1"
}

build_image() {
  local major="$1" image="rehearse-local/postgres:$1" suite
  suite=$(suite_of "$major")
  if [ "$force" = 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
    say "$image: present, not rebuilt ($(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }'))"
    return 0
  fi
  apt_install mmdebstrap
  local work t old; work=$(mktemp -d); t=$(now)
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  trap 'rm -rf "$work"' RETURN
  write_entrypoint "$work/docker-entrypoint.sh"
  # the release and its security updates (the server's minor version is the newest Debian has)
  local mirrors=("deb $MIRROR $suite main" "deb ${MIRROR%/debian}/debian-security $suite-security main")
  mmdebstrap --quiet --variant=essential --include="postgresql-$major" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --dpkgopt='path-exclude=/usr/lib/postgresql/*/lib/bitcode/*' --dpkgopt='path-exclude=/usr/lib/postgresql/*/lib/llvmjit*' \
    --dpkgopt='path-exclude=/usr/lib/*/libLLVM*' --dpkgopt='path-exclude=/usr/lib/*/libz3*' \
    --customize-hook='rm -rf "$1"/var/lib/postgresql/*/main "$1"/etc/postgresql/*/main "$1"/var/cache/* "$1"/var/log/*' \
    --customize-hook='rm -rf "$1"/usr/share/perl "$1"/usr/lib/*/perl "$1"/usr/share/i18n "$1"/usr/share/zsh' \
    --customize-hook="cp '$work/docker-entrypoint.sh' \"\$1/usr/local/bin/docker-entrypoint.sh\"" \
    "$suite" - "${mirrors[@]}" |
    docker import \
      --change "ENV PATH=/usr/lib/postgresql/$major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      --change 'ENV PGDATA=/var/lib/postgresql/data' \
      --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
      --change 'CMD ["postgres"]' \
      --change 'EXPOSE 5432' \
      --change "LABEL org.pg-rehearse.image=postgres org.pg-rehearse.debian-suite=$suite" \
      - "$image" >/dev/null
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
  say "$image: built from Debian $suite in $(took "$t") ($(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }'))"
}

t0=$(now)
ensure_engine
if [ "$engine_only" = 0 ]; then
  for m in "${majors[@]}"; do build_image "$m"; done
fi
say "ready ($(took "$t0") in all)"
