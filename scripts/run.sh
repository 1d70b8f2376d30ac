#!/usr/bin/env bash
# The main job: install dependencies, build, and run the daemon on its embedded default
# (development mode: SQLite database + generated master key in ./.certkeeper-dev, admin API on
# 127.0.0.1:8443). Extra arguments go to `certkeeper serve`, e.g. --listen 127.0.0.1:9443.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCK_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target certkeeper -j"$(nproc)"
exec ./build/release/daemon/certkeeper serve --dev "$@"
