#!/usr/bin/env bash
# certkeeper benchmarks against peers measured in the same run. One command:
#
#   bash bench/run.sh            # full run (~10 min on 2 cores)
#   bash bench/run.sh --quick    # short run (~2 min): smaller N, 1 s openssl speed
#   bash bench/run.sh --only ca,api,acme,dashboard,inventory   # a subset (default: all five)
#
# What it measures (bench/README.md explains every figure):
#   ca    openssl speed ecdsap256 (the signing ceiling) vs ca_bench (ca::Authority in process;
#         "build" mode: the leaf encoded and signed with nothing checked or stored, the ceiling)
#   api   certkeeper's HTTPS admin API over mTLS (sign CSR / issue) vs `cfssl serve` (sign),
#         1/4/16 clients; one bearer-token run (sign, 16 clients) for comparison; the disk's
#         fdatasync latency (fsync_probe), the floor of any durable answer
#   inventory  10,000 and 1,000,000 certificates in the store: due scan, list API p50/p99 (HTTPS,
#         100 per page), /metrics render time (--quick: 10,000 only)
#   acme  N certificates from a local Pebble: certkeeper CLI one at a time, certkeeper one process
#         with 10 and 50 orders in flight, lego one at a time and 10 processes at once, certbot one
#         at a time
#   dashboard  10,000 certificates in the store: dashboard load in headless Chromium (table and
#         timeline rendered), list API page times (bench/dashboard_load.py)
# Raw RESULT lines and the summary go to bench/results/latest.txt.
#
# Builds its own binaries in build/bench (Release, -DCK_BENCH=ON). Missing peers are installed
# only through `bash scripts/install-deps.sh --bench` (announced first). Everything listens on
# 127.0.0.1; every process started here is stopped by its pid at exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
BUILD="${CK_BENCH_BUILD_DIR:-$ROOT/build/bench}"
RESULTS_DIR="$BENCH/results"
QUICK=0
ONLY="ca,api,acme,dashboard,inventory"
SKIP_BUILD=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --only) ONLY="$2"; shift ;;
    --skip-build) SKIP_BUILD=1 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--quick] [--only ca,api,acme,dashboard,inventory] [--skip-build]" >&2; exit 2 ;;
  esac
  shift
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }

# Sizes; each may be overridden from the environment (e.g. LEGO_SEQ_N=50 bash bench/run.sh).
if [[ $QUICK == 1 ]]; then
  d_speed=1; d_ca=300; d_api=300; d_api_s=2; d_acme=20; d_seq=5; d_lego_seq=3; d_lego_par=20; d_certbot=2
else
  # lego one at a time costs ~6 s per certificate (its fixed 5 s poll): 20, not 50, keeps the
  # run near 10 minutes; the per-certificate figures do not move with N.
  d_speed=3; d_ca=2000; d_api=1000; d_api_s=5; d_acme=50; d_seq=50; d_lego_seq=20; d_lego_par=50; d_certbot=10
fi
SPEED_SECS=${SPEED_SECS:-$d_speed}; CA_N=${CA_N:-$d_ca}; API_N=${API_N:-$d_api}
API_MIN_S=${API_MIN_S:-$d_api_s}; API_LEVELS=${API_LEVELS:-"1 4 16"}; ACME_N=${ACME_N:-$d_acme}; SEQ_N=${SEQ_N:-$d_seq}
LEGO_SEQ_N=${LEGO_SEQ_N:-$d_lego_seq}; LEGO_PAR_N=${LEGO_PAR_N:-$d_lego_par}
CERTBOT_N=${CERTBOT_N:-$d_certbot}; LEGO_PAR=10
DASH_N=${DASH_N:-10000}; DASH_LOADS=${DASH_LOADS:-$([[ $QUICK == 1 ]] && echo 3 || echo 7)}
if [[ $QUICK == 1 ]]; then d_inv="10000"; else d_inv="10000 1000000"; fi
INVENTORY_SIZES=${INVENTORY_SIZES:-$d_inv}

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# --- prerequisites -----------------------------------------------------------------------------
need=(openssl python3 curl)
want acme && need+=(pebble pebble-challtestsrv lego certbot)
want api && need+=(cfssl cfssljson)
want dashboard && need+=(chromium chromedriver)
missing=()
for c in "${need[@]}"; do command -v "$c" >/dev/null || missing+=("$c"); done
[[ -x /usr/bin/time ]] || missing+=(/usr/bin/time)
if [[ ${#missing[@]} -gt 0 ]]; then
  log "missing: ${missing[*]} -> running: bash scripts/install-deps.sh --bench"
  bash "$ROOT/scripts/install-deps.sh" --bench
fi

# --- build -------------------------------------------------------------------------------------
if [[ $SKIP_BUILD == 0 ]]; then
  log "building certkeeper + bench programs in $BUILD (Release)"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCK_BENCH=ON \
    -DCK_BUILD_TESTS=OFF >"$BUILD.configure.log" 2>&1 || { cat "$BUILD.configure.log"; die "cmake configure failed"; }
  targets=(ca_bench api_load acme_bench inventory_bench fsync_probe)
  [[ -n "${CERTKEEPER:-}" ]] || targets+=(certkeeper)
  nice -n 5 cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}" \
    >"$BUILD.build.log" 2>&1 || { tail -40 "$BUILD.build.log"; die "build failed (log: $BUILD.build.log)"; }
fi
# CERTKEEPER=/path/to/certkeeper measures that binary instead of the one built here.
CK="${CERTKEEPER:-$BUILD/daemon/certkeeper}"
[[ -x "$CK" ]] || die "certkeeper binary not found at $CK"
# Only the programs the chosen phases run (the dashboard phase needs none of them).
progs=(); want ca && progs+=(ca_bench); want api && progs+=(api_load fsync_probe); want acme && progs+=(acme_bench)
want inventory && progs+=(inventory_bench)
for p in "${progs[@]}"; do [[ -x "$BUILD/bench/$p" ]] || die "$BUILD/bench/$p missing"; done

# --- run state ---------------------------------------------------------------------------------
# State on a real disk (not tmpfs): the store's fsyncs are part of what is measured.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ck-bench.XXXXXX")"
RAW="$WORK/raw.txt"
: >"$RAW"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# stop_pid PID : TERM one process we started, bounded wait, then KILL
stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_tcp() {  # wait_tcp PORT [tries of 0.1 s]
  local i
  for ((i = 0; i < ${2:-150}; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
cpu_ticks() {  # utime+stime(+children) of a pid, clock ticks
  local f
  f=($(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null)) || { echo 0; return; }
  echo $((${f[11]:-0} + ${f[12]:-0} + ${f[13]:-0} + ${f[14]:-0}))
}
TCK=$(getconf CLK_TCK)
hwm_mib() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }
result() { echo "RESULT $*" | tee -a "$RAW"; }
# time_stats FILE : sum of wall/user/sys and max RSS over /usr/bin/time -f '%e %U %S %M %x' lines
time_stats() {
  # (GNU time also writes "Command exited with non-zero status N" lines: skipped)
  awk 'NF == 5 && $1 ~ /^[0-9.]+$/ {w+=$1; c+=$2+$3; if ($4>m) m=$4; if ($5!=0) f++; n++}
       END {printf "procs=%d proc_failed=%d sum_wall_s=%.2f cpu_s=%.3f peak_rss_mib=%.1f", n, f, w, c, m/1024}' "$1"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }  # field "RESULT line" key

{
  echo "certkeeper bench $(date -u +%FT%TZ) quick=$QUICK only=$ONLY"
  echo "machine: $(nproc) cpus, $(lscpu | sed -n 's/^Model name: *//p' | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "RESULT machine cpus=$(nproc)"
  echo "certkeeper $("$CK" --version 2>/dev/null | head -1) ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty'))"
  echo "peers: $(openssl version); $(dpkg-query -W -f='${Package} ${Version}; ' pebble lego certbot golang-cfssl 2>/dev/null)"
  echo "state on: $(df -T "$WORK" | awk 'NR==2 {print $2, $7}')"
} | tee -a "$RAW"

# =============================================================================================
# 1. Internal CA: ceiling, in-process issuance
# =============================================================================================
if want ca; then
  log "openssl speed -seconds $SPEED_SECS ecdsap256 (one core)"
  speed=$(openssl speed -seconds "$SPEED_SECS" ecdsap256 2>/dev/null | awk '/nistp256/ && /ecdsa/ {print $(NF-1), $NF}' | tail -1)
  result "openssl_speed_ecdsap256 sign_per_s=${speed%% *} verify_per_s=${speed##* }"

  log "ca_bench: $CA_N issuances in process (SqliteStore file, synchronous=FULL)"
  mkdir -p "$WORK/ca-inproc"
  "$BUILD/bench/ca_bench" --dir "$WORK/ca-inproc" --n "$CA_N" --mode all 2>"$WORK/ca_bench.log" | tee "$WORK/ca_bench.out" >&2
  grep '^RESULT' "$WORK/ca_bench.out" >>"$RAW"
  log "ca_bench: one core, 32 threads (the daemon's case: concurrent issuances share commits)"
  mkdir -p "$WORK/ca-inproc-1core"
  "$BUILD/bench/ca_bench" --dir "$WORK/ca-inproc-1core" --n "$CA_N" --mode all --threads 32 --one-core \
    2>"$WORK/ca_bench_1core.log" | grep '^RESULT' | tee -a "$RAW" >&2
fi

# =============================================================================================
# 2. Admin API (HTTPS, mTLS client certificate, keep-alive) vs cfssl serve (HTTP), same CSRs
# =============================================================================================
if want api; then
  # The floor under every durable answer: one fdatasync on the disk that holds the state.
  log "fsync_probe: 1 KiB write + fdatasync in $WORK (the least a durable issuance waits)"
  "$BUILD/bench/fsync_probe" --dir "$WORK" | grep '^RESULT' | tee -a "$RAW" >&2
  CSRS="$WORK/csrs"; mkdir -p "$CSRS"
  "$BUILD/bench/api_load" gen-csrs --dir "$CSRS" --n "$API_N" >&2

  # --- certkeeper serve ---
  # A config of its own (not /etc/certkeeper/config.toml if the machine has one): the trust
  # domain the admin client certificate's SPIFFE ID must be in. Every CLI call below passes the
  # same config and state dir, so `ca issue` and `token create` use the daemon's store and CA
  # directly (they work beside the running daemon: short store transactions).
  # Worker threads: cpp-httplib serves a keep-alive connection on one worker for its whole
  # life, so C clients need C free workers or the rest queue behind them. The admin server's
  # pool is web::AdminServerOptions::worker_threads = 32 (serve does not lower it and there is
  # no config key for it), and nothing else holds workers here (no bundle long-polls), so 16
  # clients are not capped by the pool; levels above ~30 would be.
  S="$WORK/ck-serve"; mkdir -p "$S"; chmod 700 "$S"
  (umask 077; openssl rand -base64 32 >"$S/master.key")
  TRUST_DOMAIN=bench.internal
  # [log]: info in text, every request logged as in production (and counted below).
  printf '[ca]\ntrust_domain = "%s"\n[log]\nlevel = "info"\nformat = "text"\n' "$TRUST_DOMAIN" >"$S/certkeeper.toml"
  CK_CLI=("$CK" --state-dir "$S" --config "$S/certkeeper.toml")
  CKPORT=$(free_port)
  "${CK_CLI[@]}" serve --listen "127.0.0.1:$CKPORT" >"$S/serve.out" 2>"$S/serve.log" &
  CKPID=$!; PIDS+=("$CKPID")
  wait_tcp "$CKPORT" 300 || { cat "$S/serve.log" >&2; die "certkeeper serve did not start"; }
  BUNDLE="$S/ca-bundle.pem"
  log "certkeeper serve pid $CKPID on https://127.0.0.1:$CKPORT (log level info: every request logged)"
  # The primary credential: an admin client certificate from the daemon's own internal CA,
  # as tests/e2e/admin_mtls_e2e_test.cpp issues one; the role comes from the SPIFFE ID
  # spiffe://<trust-domain>/certkeeper/<role>/<name> (admin may sign and issue). Its key is
  # written 0600 into the run directory and never printed.
  ADMIN_ID="spiffe://$TRUST_DOMAIN/certkeeper/admin/bench"
  "${CK_CLI[@]}" ca issue --profile client --uri "$ADMIN_ID" --out "$S/admin-client" >"$S/ca-issue.log" 2>&1 \
    || { cat "$S/ca-issue.log" >&2; die "certkeeper ca issue (admin client certificate) failed"; }
  MTLS=(--cert "$S/admin-client/fullchain.pem" --key "$S/admin-client/privkey.pem")
  echo "  admin client certificate: $(openssl x509 -in "$S/admin-client/cert.pem" -noout -ext subjectAltName,extendedKeyUsage 2>/dev/null | sed -n 's/^ *\(URI:.*\|TLS Web.*\)$/\1/p' | paste -sd ' ')" | tee -a "$RAW"
  # The secondary credential: an operator bearer token (one run, to show what mTLS costs).
  TOKEN=$("${CK_CLI[@]}" token create --role operator --name bench 2>/dev/null)
  [[ -n "$TOKEN" ]] || die "token create failed"

  api_run() {  # api_run LABEL TARGET URL PID CONC [extra api_load flags]
    local label="$1" target="$2" url="$3" pid="$4" conc="$5"; shift 5
    local c0 c1 line
    c0=$(cpu_ticks "$pid")
    line=$("$BUILD/bench/api_load" run --target "$target" --url "$url" --csr-dir "$CSRS" \
      --n "$API_N" --min-seconds "$API_MIN_S" --conc "$conc" --label "$label" --sample "$WORK/$label.pem" "$@" | grep '^RESULT') || true
    c1=$(cpu_ticks "$pid")
    [[ -n "$line" ]] || { log "$label failed"; return 0; }
    local ok; ok=$(field "$line" ok)
    line="$line server_cpu_ms_per_req=$(awk -v a="$c0" -v b="$c1" -v t="$TCK" -v n="$ok" 'BEGIN {printf "%.3f", 1000*(b-a)/t/(n>0?n:1)}') server_peak_rss_mib=$(hwm_mib "$pid")"
    echo "$line" | tee -a "$RAW"
  }
  verify_sample() {  # verify_sample LABEL CAFILE
    if openssl verify -CAfile "$2" "$WORK/$1.pem" >/dev/null 2>&1; then echo "  $1: sample certificate verifies" | tee -a "$RAW"
    else echo "  $1: sample certificate does NOT verify against $2" | tee -a "$RAW"; fi
  }
  # libcurl resumes TLS sessions on reconnect by default; check once that the server accepts
  # that, then measure without resumption so a failed resumption does not count as a failed
  # issuance (each reconnect then pays a full handshake, which only penalises certkeeper).
  probe=$("$BUILD/bench/api_load" run --target certkeeper-sign --url "https://127.0.0.1:$CKPORT/v1/certificates/sign" \
    --csr-dir "$CSRS" --n 30 --conc 1 --label ck_tls_resumption_probe "${MTLS[@]}" --cacert "$BUNDLE" 2>&1 | grep '^RESULT' || true)
  echo "$probe" >>"$RAW"
  if [[ "$(field "$probe" failed)" == 0 ]]; then
    echo "  TLS session resumption on reconnect: OK" | tee -a "$RAW"
  else
    echo "  TLS session resumption on reconnect: FAILS ($(field "$probe" failed)/30 requests failed; server answers a resumed handshake with an alert)" | tee -a "$RAW"
  fi
  # Main figures: over mTLS (the labels stay ck_api_sign_c$c / ck_api_issue_c$c).
  for c in $API_LEVELS; do
    api_run "ck_api_sign_c$c" certkeeper-sign "https://127.0.0.1:$CKPORT/v1/certificates/sign" "$CKPID" "$c" \
      "${MTLS[@]}" --cacert "$BUNDLE" --tls-session-reuse 0
  done
  verify_sample "ck_api_sign_c1" "$BUNDLE"
  for c in $API_LEVELS; do
    api_run "ck_api_issue_c$c" certkeeper-issue "https://127.0.0.1:$CKPORT/v1/certificates/issue" "$CKPID" "$c" \
      "${MTLS[@]}" --cacert "$BUNDLE" --tls-session-reuse 0
  done
  # Secondary: the same signing with the bearer token, at the highest level.
  TOKEN_LEVEL=${API_LEVELS##* }
  api_run "ck_api_sign_token_c$TOKEN_LEVEL" certkeeper-sign "https://127.0.0.1:$CKPORT/v1/certificates/sign" "$CKPID" \
    "$TOKEN_LEVEL" --token "$TOKEN" --cacert "$BUNDLE" --tls-session-reuse 0
  # Who the server says it served: the request log's identity field per authentication method.
  echo "  request log ($S/serve.log): $(grep -c 'path=/v1/certificates/[a-z]* status=201 identity="admin:bench (mtls)"' "$S/serve.log" || true) sign/issue requests as admin:bench (mtls), $(grep -c 'path=/v1/certificates/[a-z]* status=201 identity="operator:bench (token)"' "$S/serve.log" || true) as operator:bench (token), $(grep -c 'path=/v1/certificates/[a-z]* status=[45]' "$S/serve.log" || true) refused" | tee -a "$RAW"
  stop_pid "$CKPID"
  ck_rows=$(python3 - "$S/certkeeper.db" <<'EOF' 2>/dev/null || echo '?'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from certificates").fetchone()[0])
EOF
)
  echo "  certkeeper store after the API runs: $ck_rows certificate rows (warm-ups and admin cert included)" | tee -a "$RAW"

  # --- cfssl serve (Debian golang-cfssl 1.2.0), ECDSA P-256 CA, plain HTTP ---
  C="$WORK/cfssl"; mkdir -p "$C"
  echo '{"CN": "bench cfssl CA", "key": {"algo": "ecdsa", "size": 256}, "names": [{"O": "bench"}]}' >"$C/ca-csr.json"
  (cd "$C" && cfssl gencert -initca ca-csr.json 2>"$C/gencert.log" | cfssljson -bare ca)
  echo '{"signing": {"default": {"expiry": "24h", "usages": ["digital signature", "server auth"]}}}' >"$C/config.json"
  CFPORT=$(free_port)
  cfssl serve -address 127.0.0.1 -port "$CFPORT" -ca "$C/ca.pem" -ca-key "$C/ca-key.pem" \
    -config "$C/config.json" -loglevel 2 >"$C/serve.log" 2>&1 &
  CFPID=$!; PIDS+=("$CFPID")
  wait_tcp "$CFPORT" || { cat "$C/serve.log" >&2; die "cfssl serve did not start"; }
  log "cfssl serve pid $CFPID on http://127.0.0.1:$CFPORT (loglevel 2)"
  for c in $API_LEVELS; do
    api_run "cfssl_sign_c$c" cfssl-sign "http://127.0.0.1:$CFPORT/api/v1/cfssl/sign" "$CFPID" "$c"
  done
  verify_sample "cfssl_sign_c1" "$C/ca.pem"
  stop_pid "$CFPID"
fi

# =============================================================================================
# 3. ACME against a local Pebble (PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=5, real http-01)
# =============================================================================================
if want acme; then
  P="$WORK/pebble"; mkdir -p "$P"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/https-ca.key" \
    -out "$P/https-ca.pem" -days 2 -subj "/CN=certkeeper bench Pebble HTTPS CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/localhost.key" \
    -out "$P/localhost.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$P/localhost.ext"
  openssl x509 -req -in "$P/localhost.csr" -CA "$P/https-ca.pem" -CAkey "$P/https-ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$P/localhost.ext" -out "$P/localhost.pem" 2>/dev/null
  ACME_PORT=$(free_port); MGMT_PORT=$(free_port); HTTP_PORT=$(free_port); TLS_PORT=$(free_port)
  DNS_PORT=$(free_port); CHALL_PORT=$(free_port)
  cat >"$P/pebble-config.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:$ACME_PORT", "managementListenAddress": "127.0.0.1:$MGMT_PORT",
  "certificate": "$P/localhost.pem", "privateKey": "$P/localhost.key",
  "httpPort": $HTTP_PORT, "tlsPort": $TLS_PORT, "ocspResponderURL": "",
  "externalAccountBindingRequired": false}}
EOF
  # challtestsrv: mock DNS (every name -> 127.0.0.1, no AAAA); its own responders off so they
  # do not take the solvers' ports.
  pebble-challtestsrv -dns01 "127.0.0.1:$DNS_PORT" -management "127.0.0.1:$CHALL_PORT" -http01 "" \
    -https01 "" -tlsalpn01 "" -defaultIPv4 127.0.0.1 -defaultIPv6 "" >"$P/challtestsrv.log" 2>&1 &
  PIDS+=($!)
  wait_tcp "$CHALL_PORT" || die "pebble-challtestsrv did not start"
  PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=5 pebble -config "$P/pebble-config.json" \
    -dnsserver "127.0.0.1:$DNS_PORT" >"$P/pebble.log" 2>&1 &
  PEBBLE_PID=$!; PIDS+=("$PEBBLE_PID")
  DIR_URL="https://127.0.0.1:$ACME_PORT/dir"
  for _ in $(seq 150); do curl -fsS --cacert "$P/https-ca.pem" "$DIR_URL" -o /dev/null 2>/dev/null && break; sleep 0.1; done
  curl -fsS --cacert "$P/https-ca.pem" "https://127.0.0.1:$MGMT_PORT/roots/0" -o "$P/root.pem" \
    || { tail "$P/pebble.log" >&2; die "pebble did not start"; }
  log "pebble pid $PEBBLE_PID $DIR_URL (NOSLEEP=1, NONCEREJECT=5), http-01 validated on port $HTTP_PORT"
  export LEGO_CA_CERTIFICATES="$P/https-ca.pem" REQUESTS_CA_BUNDLE="$P/https-ca.pem"

  # verify_certs LABEL LEAF_GLOB [CHAIN_SUFFIX]: every file chains to pebble's root
  verify_dir() {  # verify_dir FILES... -> "verified=K/N"
    local ok=0 n=0 f
    for f in "$@"; do
      n=$((n + 1))
      openssl verify -CAfile "$P/root.pem" -untrusted "$f" "$f" >/dev/null 2>&1 && ok=$((ok + 1))
    done
    echo "verified=$ok/$n"
  }
  # acme_seq LABEL N TIMES_FILE CMD_TEMPLATE... : N processes one after another; {name} replaced
  acme_seq() {
    local label="$1" n="$2" tf="$3"; shift 3
    local i c0 c1 t0 t1 name args a
    : >"$tf"
    c0=$(cpu_ticks "$PEBBLE_PID"); t0=$(date +%s.%N)
    for ((i = 0; i < n; i++)); do
      name="$label-$i.example.test"; args=()
      for a in "$@"; do args+=("${a//\{name\}/$name}"); done
      /usr/bin/time -f '%e %U %S %M %x' -a -o "$tf" timeout 120 "${args[@]}" >>"$WORK/$label.log" 2>&1 || true
    done
    t1=$(date +%s.%N); c1=$(cpu_ticks "$PEBBLE_PID")
    echo "wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b-a}') pebble_ticks=$((c1 - c0))"
  }
  acme_result() {  # acme_result LABEL N WALLINFO TIMESFILE VERIFY
    local label="$1" n="$2" w="$3" tf="$4" v="$5" wall ticks st cpu ok
    wall=$(sed 's/wall_s=\([^ ]*\).*/\1/' <<<"$w"); ticks=$(sed 's/.*pebble_ticks=//' <<<"$w")
    st=$(time_stats "$tf"); cpu=$(sed 's/.*cpu_s=\([^ ]*\).*/\1/' <<<"$st")
    ok=$(sed 's/verified=\([0-9]*\).*/\1/' <<<"$v")
    result "$label n=$n ok=$ok wall_s=$wall certs_per_s=$(awk -v o="$ok" -v w="$wall" 'BEGIN {printf "%.3f", o/w}') cpu_ms_per_cert=$(awk -v c="$cpu" -v o="$ok" 'BEGIN {printf "%.2f", 1000*c/(o>0?o:1)}') pebble_cpu_ms_per_cert=$(awk -v t="$ticks" -v k="$TCK" -v o="$ok" 'BEGIN {printf "%.2f", 1000*t/k/(o>0?o:1)}') $st $v"
  }

  # --- certkeeper CLI, one process per certificate (as cron would run it) ---
  CKS="$WORK/ck-acme"; mkdir -p "$CKS/out"; chmod 700 "$CKS"
  (umask 077; openssl rand -base64 32 >"$CKS/master.key")
  CK_ACME=("$CK" --state-dir "$CKS" --log-level warn acme)
  "${CK_ACME[@]}" register --server "$DIR_URL" --ca-bundle "$P/https-ca.pem" --email bench@example.test >"$WORK/ck-register.log" 2>&1 \
    || { cat "$WORK/ck-register.log" >&2; die "certkeeper acme register failed"; }
  "${CK_ACME[@]}" issue --server "$DIR_URL" --ca-bundle "$P/https-ca.pem" -d ck-warmup.example.test \
    --solver http-01 --http-address 127.0.0.1 --http-port "$HTTP_PORT" --out "$CKS/out/warmup" >"$WORK/ck-warmup.log" 2>&1 \
    || { cat "$WORK/ck-warmup.log" >&2; die "certkeeper acme issue (warm-up) failed"; }
  log "certkeeper acme issue x$SEQ_N, one process at a time (standalone http-01)"
  w=$(acme_seq ck-cli "$SEQ_N" "$WORK/ck-cli.times" "${CK_ACME[@]}" issue --server "$DIR_URL" \
    --ca-bundle "$P/https-ca.pem" -d '{name}' --solver http-01 --http-address 127.0.0.1 \
    --http-port "$HTTP_PORT" --out "$CKS/out/{name}")
  shopt -s nullglob
  files=(); for d in "$CKS"/out/ck-cli-*; do files+=("$d/fullchain.pem"); done
  acme_result ck_cli_seq "$SEQ_N" "$w" "$WORK/ck-cli.times" "$(verify_dir "${files[@]}")"

  # --- certkeeper, one process, many orders in flight (acme::OrderFlow from T threads) ---
  inproc_run() {  # inproc_run THREADS
    local t="$1" label="ck-inproc-t$1" c0 c1 line ok
    mkdir -p "$WORK/$label"
    log "acme_bench: $ACME_N certificates, $t orders in flight, one process"
    c0=$(cpu_ticks "$PEBBLE_PID")
    # Bounded: Pebble 2.4.0 can deadlock in its in-memory store under many concurrent
    # requests (seen with 50 orders in flight: every POST waits on memorystore's RWMutex).
    line=$(timeout 240 "$BUILD/bench/acme_bench" --directory "$DIR_URL" \
      --ca-bundle "$P/https-ca.pem" --http-port "$HTTP_PORT" --n "$ACME_N" --threads "$t" \
      --prefix "$label" --out "$WORK/$label" 2>"$WORK/$label.log" | grep '^RESULT') || true
    c1=$(cpu_ticks "$PEBBLE_PID")
    if [[ -z "$line" ]]; then
      tail -3 "$WORK/$label.log" >&2
      echo "  ck_inproc_t$t: no result (acme_bench failed or timed out; if Pebble stopped answering POSTs, see its log)" | tee -a "$RAW"
      return 0
    fi
    files=("$WORK/$label"/*.pem)
    ok=$(field "$line" ok)
    echo "${line/RESULT $label/RESULT ck_inproc_t$t} pebble_cpu_ms_per_cert=$(awk -v t="$((c1 - c0))" -v k="$TCK" -v o="$ok" 'BEGIN {printf "%.2f", 1000*t/k/(o>0?o:1)}') $(verify_dir "${files[@]}")" | tee -a "$RAW"
  }
  inproc_run "$LEGO_PAR"

  # --- lego, one process per certificate, standalone http-01 ---
  L="$WORK/lego"; mkdir -p "$L"
  LEGO=(lego --server "$DIR_URL" --accept-tos --email bench@example.test --path "$L" --key-type ec256)
  "${LEGO[@]}" --http --http.port "127.0.0.1:$HTTP_PORT" -d lego-warmup.example.test run >"$WORK/lego-warmup.log" 2>&1 \
    || { tail "$WORK/lego-warmup.log" >&2; die "lego warm-up failed"; }
  log "lego x$LEGO_SEQ_N, one process at a time (standalone http-01)"
  w=$(acme_seq lego-seq "$LEGO_SEQ_N" "$WORK/lego-seq.times" "${LEGO[@]}" --http --http.port "127.0.0.1:$HTTP_PORT" -d '{name}' run)
  files=("$L"/certificates/lego-seq-*.example.test.crt)
  acme_result lego_seq "$LEGO_SEQ_N" "$w" "$WORK/lego-seq.times" "$(verify_dir "${files[@]}")"

  # --- lego, 10 processes at once, webroot behind one shared responder ---
  WEBROOT="$WORK/webroot"; mkdir -p "$WEBROOT/.well-known/acme-challenge"
  python3 -m http.server --bind 127.0.0.1 --directory "$WEBROOT" "$HTTP_PORT" >"$WORK/webroot.log" 2>&1 &
  WEBPID=$!; PIDS+=("$WEBPID")
  wait_tcp "$HTTP_PORT" || die "webroot responder did not start"
  log "lego x$LEGO_PAR_N, $LEGO_PAR processes at once (webroot)"
  : >"$WORK/lego-par.times"
  c0=$(cpu_ticks "$PEBBLE_PID"); t0=$(date +%s.%N)
  WORKERS=()
  for ((k = 0; k < LEGO_PAR; k++)); do
    (
      for ((i = k; i < LEGO_PAR_N; i += LEGO_PAR)); do
        /usr/bin/time -f '%e %U %S %M %x' -a -o "$WORK/lego-par.times" timeout 120 "${LEGO[@]}" \
          --http --http.webroot "$WEBROOT" -d "lego-par-$i.example.test" run >>"$WORK/lego-par.log" 2>&1 || true
      done
    ) &
    WORKERS+=($!)
  done
  wait "${WORKERS[@]}" || true
  t1=$(date +%s.%N); c1=$(cpu_ticks "$PEBBLE_PID")
  stop_pid "$WEBPID"
  files=("$L"/certificates/lego-par-*.example.test.crt)
  acme_result lego_par10 "$LEGO_PAR_N" "wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b-a}') pebble_ticks=$((c1 - c0))" \
    "$WORK/lego-par.times" "$(verify_dir "${files[@]}")"

  # --- certbot, one process per certificate, standalone http-01 ---
  if [[ $CERTBOT_N -gt 0 ]]; then
    CB="$WORK/certbot"; mkdir -p "$CB"
    CBD=(--config-dir "$CB/config" --work-dir "$CB/work" --logs-dir "$CB/logs")
    # certbot 2.1 gives up on a second badNonce in a row (certbot #9539): retry registration.
    for _ in 1 2 3 4 5; do
      certbot register -n --server "$DIR_URL" "${CBD[@]}" --agree-tos --register-unsafely-without-email \
        >"$WORK/certbot-register.log" 2>&1 && break
    done
    log "certbot x$CERTBOT_N, one process at a time (standalone http-01)"
    w=$(acme_seq cb-seq "$CERTBOT_N" "$WORK/certbot.times" certbot certonly -n --server "$DIR_URL" "${CBD[@]}" \
      --standalone --http-01-port "$HTTP_PORT" --http-01-address 127.0.0.1 --key-type ecdsa -d '{name}')
    files=(); for d in "$CB"/config/live/cb-seq-*; do cat "$d/cert.pem" "$d/chain.pem" >"$d/bench-full.pem"; files+=("$d/bench-full.pem"); done
    acme_result certbot_seq "$CERTBOT_N" "$w" "$WORK/certbot.times" "$(verify_dir "${files[@]}")"
  fi
  # Last, because it is the run that can make Pebble 2.4.0 deadlock (see inproc_run).
  [[ "$ACME_N" != "$LEGO_PAR" ]] && inproc_run "$ACME_N"
fi

# =============================================================================================
# 4. Dashboard (issue 6): load time in headless Chromium with DASH_N certificates in the store
# =============================================================================================
if want dashboard; then
  log "dashboard: $DASH_N certificates, $DASH_LOADS loads in headless Chromium"
  python3 "$BENCH/dashboard_load.py" --certkeeper "$CK" --n "$DASH_N" --loads "$DASH_LOADS" \
    2>"$WORK/dashboard.log" | grep '^RESULT' | tee -a "$RAW" >&2 || { tail -20 "$WORK/dashboard.log" >&2; }
fi

# =============================================================================================
# 5. Inventory at scale (issue 6): due scan, list API, /metrics
# =============================================================================================
if want inventory; then
  for n in $INVENTORY_SIZES; do
    D="$WORK/inventory-$n"; mkdir -p "$D"
    log "inventory_bench: $n certificates (seed in one transaction, then due scan, list API, /metrics)"
    /usr/bin/time -f '%e %U %S %M %x' -o "$WORK/inventory-$n.time" \
      "$BUILD/bench/inventory_bench" --dir "$D" --n "$n" 2>"$WORK/inventory-$n.log" | grep '^RESULT' | tee -a "$RAW" >&2 \
      || { tail -20 "$WORK/inventory-$n.log" >&2; log "inventory_bench $n failed"; }
    result "inventory_process_$n n=$n $(awk '{printf "wall_s=%.1f cpu_s=%.1f peak_rss_mib=%.1f", $1, $2+$3, $4/1024}' "$WORK/inventory-$n.time")"
    rm -rf "$D"  # the 1M store is ~2.2 GB (4.4 GB with its WAL)
  done
fi

# =============================================================================================
# Summary
# =============================================================================================
mkdir -p "$RESULTS_DIR"
python3 "$BENCH/summarize.py" "$RAW" | tee "$WORK/summary.txt"
{ cat "$RAW"; echo; cat "$WORK/summary.txt"; } >"$RESULTS_DIR/latest.txt"
log "raw results and summary: $RESULTS_DIR/latest.txt"
