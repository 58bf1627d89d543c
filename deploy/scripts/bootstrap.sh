#!/usr/bin/env bash
# Prepare this checkout for running the platform (and, with --test, its test suite).
#
#   bash deploy/scripts/bootstrap.sh          # .venv + Kafka broker jars + nginx (the gateway)
#   bash deploy/scripts/bootstrap.sh --test   # ... + PostgreSQL, Prometheus, Chromium and axe-core for the tests
#
# Idempotent: every step checks a stamp or the thing itself first, so a second run does nothing
# and prints nothing. Progress and errors go to stderr, one short line each. Works from any
# directory. Needs: python3.11, java (OpenJDK 17), mvn; apt-get (as root or via passwordless
# sudo) unless nginx (and, with --test, PostgreSQL and Prometheus) are already installed.
set -euo pipefail

cd -P "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

WITH_TEST=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST=1 ;;
    -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done

# --- (a) Python virtualenv --------------------------------------------------------------------
VENV=$ROOT/.venv
VENV_STAMP=$VENV/.bootstrap-stamp

venv_is_py311() {
  [[ -x $VENV/bin/python ]] &&
    "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null
}

setup_venv() {
  command -v python3.11 >/dev/null 2>&1 ||
    die "python3.11 not found on PATH; install Python 3.11 (the project requires >=3.11,<3.12)"
  if ! venv_is_py311; then
    say "creating .venv with $(command -v python3.11)"
    rm -rf "$VENV"
    python3.11 -m venv "$VENV"
  elif [[ -f $VENV_STAMP && ! requirements.lock -nt $VENV_STAMP && ! pyproject.toml -nt $VENV_STAMP ]]; then
    return 0  # up to date
  fi
  say "installing Python packages from requirements.lock"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.lock
  # --no-deps: every dependency is pinned in requirements.lock; this only links our packages.
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e .
  touch "$VENV_STAMP"
}

# --- Java and Maven (needed to fetch and run the Kafka broker) --------------------------------
check_java_maven() {
  java -version >/dev/null 2>&1 ||
    die "java not found or not working; install OpenJDK 17 (Debian: apt-get install -y openjdk-17-jdk-headless)"
  mvn -v >/dev/null 2>&1 ||
    die "mvn not found or not working; install Maven 3.8+ (Debian: apt-get install -y maven)"
}

# --- (b) Kafka broker jars --------------------------------------------------------------------
# Same cache and stamp as giaitrinh_platform.kafka_broker.ensure_kafka_jars(): the stamp holds
# the sha256 of pom.xml, so either of them can fill the cache and the other will reuse it.
KAFKA_POM=$ROOT/deploy/kafka/pom.xml
KAFKA_LIB=$ROOT/.cache/kafka/lib
KAFKA_STAMP=$KAFKA_LIB/.pom.sha256

setup_kafka_jars() {
  local want have=""
  want=$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)
  [[ -f $KAFKA_STAMP ]] && have=$(tr -d '[:space:]' <"$KAFKA_STAMP")
  if [[ $have == "$want" ]] && compgen -G "$KAFKA_LIB/*.jar" >/dev/null; then
    return 0  # up to date
  fi
  say "copying Kafka broker jars into .cache/kafka/lib (Maven)"
  # Into a fresh directory, then swapped in: copying over an old lib would leave jars of old
  # versions beside the new ones on the broker's classpath. The output path must be absolute:
  # Maven resolves a relative one against deploy/kafka/, not against the current directory.
  local staging=$KAFKA_LIB.new
  rm -rf "$staging"
  mkdir -p "$(dirname "$KAFKA_LIB")"
  # Output shown only on failure: Maven 3.8 prints stray colour codes even with -q.
  local out
  if ! out=$(mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$staging" 2>&1); then
    printf '%s\n' "$out" >&2
    die "Maven could not copy the Kafka jars (output above)"
  fi
  printf '%s\n' "$want" >"$staging/.pom.sha256"
  rm -rf "$KAFKA_LIB"
  mv "$staging" "$KAFKA_LIB"
}

# --- (c) Debian packages the test suite runs for real -------------------------------------------
# PostgreSQL's server binaries: tests/support/postgres.py runs a throwaway cluster from
# /usr/lib/postgresql/<major>/bin. Prometheus: promtool checks the configs and unit-tests the
# alert rules, and the end-to-end tests scrape the running platform with a real Prometheus.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    die "need root to run '$*': run this script as root or give this user passwordless sudo, or install the packages yourself (Debian: apt-get install nginx postgresql prometheus chromium fonts-dejavu-core npm)"
  fi
}

setup_test_packages() {
  local missing=()
  compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
  { command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
  have_chromium || missing+=(chromium)
  have_vietnamese_font || missing+=(fonts-dejavu-core)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)  # the load of bench/submit_ratio.py
  if (( ${#missing[@]} )); then
    command -v apt-get >/dev/null 2>&1 ||
      die "missing ${missing[*]} and there is no apt-get; install them so that pg_ctl, prometheus and promtool exist"
    say "installing ${missing[*]} from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null ||
      die "installed postgresql but found no /usr/lib/postgresql/*/bin/pg_ctl"
    command -v promtool >/dev/null 2>&1 || die "installed prometheus but found no promtool"
    have_chromium || die "installed chromium but found no /usr/bin/chromium"
  fi
  # The tests run PostgreSQL as this user when they run as root (it refuses to run as root).
  # The Debian package creates it; make sure anyway, since nothing works without it.
  if ! getent passwd postgres >/dev/null; then
    say "creating the postgres system user"
    as_root useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
}

# --- (d) nginx: the gateway, for `make run` and for the tests ------------------------------------
# `giaitrinh up` runs Debian's nginx as the platform's one address (deploy/nginx/); the tests run
# `nginx -t` on its configuration and send the e2e tier through it. On a machine with systemd the
# package also starts Debian's own nginx site on port 80; the gateway is a process of its own.
have_nginx() {
  command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]
}

setup_nginx() {
  have_nginx && return 0
  command -v apt-get >/dev/null 2>&1 || die "nginx not found and there is no apt-get; install nginx"
  say "installing nginx from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
  have_nginx || die "installed nginx but found no nginx binary"
}

# --- Chromium, fonts and axe-core: the pages tested in a real browser (--test) -------------------
# Playwright (a Python package of the lock) drives Debian's chromium: it is never told to
# download a browser of its own. DejaVu Sans carries every Vietnamese glyph, so the screenshots
# and the tests read the pages as a cheap phone shows them. axe-core, the accessibility engine
# the browser tests inject into every page, comes from npm at the version deploy/axe pins.
have_chromium() {
  [[ -x /usr/bin/chromium ]]
}

have_vietnamese_font() {
  [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]]
}

AXE_DIR=$ROOT/deploy/axe
AXE_CACHE=$ROOT/.cache/axe
AXE_STAMP=$AXE_CACHE/.lock.sha256

setup_axe() {
  local want have=""
  want=$(sha256sum "$AXE_DIR/package-lock.json" | cut -d' ' -f1)
  [[ -f $AXE_STAMP ]] && have=$(tr -d '[:space:]' <"$AXE_STAMP")
  if [[ $have == "$want" && -f $AXE_CACHE/node_modules/axe-core/axe.min.js ]]; then
    return 0  # up to date
  fi
  say "installing axe-core into .cache/axe (npm, the version deploy/axe/package-lock.json pins)"
  mkdir -p "$AXE_CACHE"
  cp "$AXE_DIR/package.json" "$AXE_DIR/package-lock.json" "$AXE_CACHE/"
  local out
  if ! out=$(npm ci --prefix "$AXE_CACHE" --ignore-scripts --no-audit --no-fund 2>&1); then
    printf '%s\n' "$out" >&2
    die "npm could not install axe-core (output above)"
  fi
  printf '%s\n' "$want" >"$AXE_STAMP"
}

setup_venv
check_java_maven
setup_kafka_jars
setup_nginx
if [[ $WITH_TEST -eq 1 ]]; then
  setup_test_packages
  setup_axe
fi
