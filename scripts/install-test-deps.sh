#!/usr/bin/env bash
# System packages the test suite talks to for real: mosquitto (MQTT broker),
# victoria-metrics (a server of the InfluxDB v2 write API), chromium (browser tests),
# postgresql (the crew store's tests start a private cluster of their own).
# Installs them when run as root; otherwise says what is missing.
set -euo pipefail
need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v victoria-metrics >/dev/null 2>&1 || need+=(victoria-metrics)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ]; then
  echo "installing system packages: ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # the package's own broker service is not what tests use; keep port 1883 free for others
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
  # nor is the package's PostgreSQL service (port 5432): tests run their own cluster
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now postgresql >/dev/null 2>&1 || true; fi
  if command -v service >/dev/null 2>&1; then service postgresql stop >/dev/null 2>&1 || true; fi
else
  echo "missing system packages: ${need[*]} — run 'sudo apt-get install ${need[*]}'" >&2
  exit 1
fi
