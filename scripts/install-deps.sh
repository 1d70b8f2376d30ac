#!/usr/bin/env bash
# Installs what certkeeper needs on Debian 12. `--test` adds what the test suite needs.
# Idempotent: skips apt entirely when everything is already installed.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git
  libssl-dev libcurl4-openssl-dev libsqlite3-dev libcpp-httplib-dev
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev
  openssl ca-certificates
)
test_pkgs=(
  libgtest-dev libgmock-dev curl sqlite3 clang-format procps psmisc iproute2
  pebble bind9 nginx-light haproxy wrk python3 testssl.sh
  python3-aiosmtpd chromium chromium-driver prometheus
)
# `--bench` adds the peers the benchmarks measure against (bench/README.md).
bench_pkgs=(
  pebble lego certbot golang-cfssl openssl procps time
)

want=("${build_pkgs[@]}")
for arg in "$@"; do
  case "$arg" in
    --test) want+=("${test_pkgs[@]}") ;;
    --bench) want+=("${bench_pkgs[@]}") ;;
    *) echo "usage: $0 [--test] [--bench]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "==> installing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: need root to install packages (run as root or with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "==> dependencies already installed"
fi
