#!/usr/bin/env bash
# Installs what the tests need, builds twice (RelWithDebInfo, then ASan+UBSan) and runs every
# test in both builds. Exit code is non-zero if anything fails.
#   SKIP_SANITIZERS=1 scripts/test.sh   # only the plain build (quick local loop)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/install-deps.sh --test

run_suite() {
  local dir=$1
  shift
  echo "==> configure $dir ($*)"
  cmake -S . -B "$dir" -G Ninja -DCK_BUILD_TESTS=ON -DCK_WERROR=ON "$@" >/dev/null
  echo "==> build $dir"
  cmake --build "$dir" -j"$jobs"
  echo "==> test $dir"
  (cd "$dir" && ctest --output-on-failure --timeout 600 -j"$jobs")
}

start=$(date +%s)
run_suite build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [[ "${SKIP_SANITIZERS:-0}" != 1 ]]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite build/asan -DCMAKE_BUILD_TYPE=Debug -DCK_SANITIZE_ADDRESS=ON
fi
echo "==> all tests passed in $(( $(date +%s) - start ))s"
