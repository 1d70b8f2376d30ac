// ca_bench: the internal CA's in-process issuance rate (issue 3's "in-process issue rate":
// build + sign + persist). A ca::Authority over a SqliteStore *file* (WAL, synchronous=FULL,
// as the daemon runs it) in a fresh directory; N issuances on one thread, each one committed
// (durable) before the next starts.
//
//   ca_bench --dir DIR [--n 2000] [--mode sign|issue|key|build|both|all] [--threads 1] [--one-core]
//
// --one-core pins the process (every thread) to one CPU: issue 3's "one core". With several
// threads the commits' fsync waits overlap with other issuances' work (group commit), which is
// how the daemon serves concurrent requests; labels get "_1core".
//
// key:   Authority::IssueForPublicKey on pre-generated P-256 public keys: exactly issue 3's
//        "build + sign + persist" (no proof of possession to verify, no key to generate)
// sign:  Authority::SignCsrDer on pre-built P-256 CSRs in DER, as the API hands them over
//        (what cfssl's sign does: the CSR is parsed and its signature verified; building the
//        CSRs is untimed)
// issue: Authority::IssueWithKey (server-side P-256 key generation included)
// build: the ceiling of the other modes, not an issuance: a fresh serial, the leaf's DER
//        encoded and signed (ca::LeafSigner, what IssueLeaf uses) under a P-256 CA, nothing
//        checked against a profile and nothing persisted. The gap between this and "key" is
//        what policy checks, the record and its durable commit cost.
// Prints one line per mode: "RESULT ca_inproc_<mode> n=.. wall_s=.. per_s=.. p50_ms=.. p99_ms=..
// cpu_ms_per_cert=..", which bench/run.sh collects.
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.hpp"
#include "ca/authority.hpp"
#include "ca/cert_builder.hpp"
#include "ca/leaf_signer.hpp"
#include "ca/serial.hpp"
#include "common/clock.hpp"
#include "pki/csr.hpp"
#include "pki/key.hpp"
#include "store/master_key.hpp"
#include "store/sqlite_store.hpp"

namespace {

using ck::bench::CpuSeconds;
using ck::bench::Die;
using ck::bench::Percentile;

using Clock = std::chrono::steady_clock;

std::string Name(const char* prefix, int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%05d.bench.internal", prefix, i);
  return buf;
}

struct Options {
  std::string dir;
  int n = 2000;
  std::string mode = "both";
  int threads = 1;
  bool one_core = false;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--dir") {
      o.dir = next();
    } else if (a == "--n") {
      o.n = std::atoi(next().c_str());
    } else if (a == "--mode") {
      o.mode = next();
    } else if (a == "--threads") {
      o.threads = std::atoi(next().c_str());
    } else if (a == "--one-core") {
      o.one_core = true;
    } else {
      Die("usage: ca_bench --dir DIR [--n N] [--mode sign|issue|key|build|both|all] [--threads T] "
          "[--one-core]");
    }
  }
  if (o.dir.empty() || o.n < 1 || o.n > 1000000 || o.threads < 1 || o.threads > 64) {
    Die("--dir is required; 1 <= --n <= 1e6; 1 <= --threads <= 64");
  }
  return o;
}

// Runs `one(i)` for i in [0, n) on `threads` threads; returns per-call latencies (ms).
template <typename Fn>
std::vector<double> RunTimed(int n, int threads, Fn one, double* wall_s, double* cpu_s) {
  std::vector<double> lat(static_cast<size_t>(n));
  std::atomic<int> next{0};
  const double cpu0 = CpuSeconds();
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        auto s = Clock::now();
        one(i);
        lat[static_cast<size_t>(i)] =
            std::chrono::duration<double, std::milli>(Clock::now() - s).count();
      }
    });
  }
  for (auto& th : pool) th.join();
  *wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  *cpu_s = CpuSeconds() - cpu0;
  return lat;
}

bool g_one_core = false;

void Report(std::string label, int n, int threads, const std::vector<double>& lat, double wall,
            double cpu) {
  if (g_one_core) label += "_1core";
  if (threads > 1) label += "_t" + std::to_string(threads);
  std::printf(
      "RESULT %s n=%d threads=%d wall_s=%.3f per_s=%.1f p50_ms=%.3f p99_ms=%.3f "
      "cpu_ms_per_cert=%.3f\n",
      label.c_str(), n, threads, wall, n / wall, Percentile(lat, 0.50), Percentile(lat, 0.99),
      1000.0 * cpu / n);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ck;
  Options o = Parse(argc, argv);
  if (o.one_core) {
    // The first CPU this process may use; threads started later inherit the mask.
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) Die("sched_getaffinity failed");
    int cpu = 0;
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed)) ++cpu;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) Die("sched_setaffinity failed");
    g_one_core = true;
    std::printf("pinned to CPU %d\n", cpu);
  }
  auto master = store::MasterKey::Generate();
  if (!master.ok()) Die(master.status().ToString());
  const std::string db = o.dir + "/certkeeper.db";
  auto opened = store::SqliteStore::Open(db, *master);
  if (!opened.ok()) Die("open " + db + ": " + opened.status().ToString());
  std::unique_ptr<store::SqliteStore> st = std::move(*opened);
  ca::Authority authority(*st, ca::CaSettings{});
  SystemClock clock;
  if (Status s = authority.Init({}, clock.Now()); !s.ok()) Die("ca init: " + s.ToString());
  std::printf("store %s (WAL, synchronous=FULL); CA: P-384 root, P-256 intermediate\n", db.c_str());

  // Warm-up: unseal and cache the intermediate key, prepare statements.
  {
    ca::KeyIssueRequest req;
    req.sans.dns_names = {"warmup.bench.internal"};
    auto w = authority.IssueWithKey(req, clock.Now());
    if (!w.ok()) Die("warm-up issue: " + w.status().ToString());
  }

  auto want = [&](const char* mode) {
    return o.mode == mode || o.mode == "all" ||
           (o.mode == "both" && std::strcmp(mode, "key") != 0 && std::strcmp(mode, "build") != 0);
  };
  // Times `issue(i)` for every i over the configured threads and prints the RESULT line.
  auto measure = [&](const char* label, const char* what, auto issue) {
    std::atomic<int> failed{0};
    double wall = 0, cpu = 0;
    auto lat = RunTimed(
        o.n, o.threads,
        [&](int i) {
          auto r = issue(i);
          if (!r.ok() && failed++ == 0) {
            std::fprintf(stderr, "%s failed: %s\n", what, r.status().ToString().c_str());
          }
        },
        &wall, &cpu);
    if (failed > 0) Die(std::to_string(failed.load()) + " " + what + " calls failed");
    Report(label, o.n, o.threads, lat, wall, cpu);
  };
  if (want("key")) {
    std::printf("generating %d P-256 keys (untimed)...\n", o.n);
    std::fflush(stdout);
    std::vector<pki::PublicKey> keys;
    keys.reserve(static_cast<size_t>(o.n));
    for (int i = 0; i < o.n; ++i) {
      auto key = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256);
      if (!key.ok()) Die(key.status().ToString());
      keys.push_back(key->GetPublicKey());
    }
    measure("ca_inproc_key", "IssueForPublicKey", [&](int i) {
      ca::KeyIssueRequest req;
      req.sans.dns_names = {Name("key", i)};
      return authority.IssueForPublicKey(keys[static_cast<size_t>(i)], req, clock.Now());
    });
  }
  if (want("build")) {
    std::printf("generating %d P-256 keys and a P-256 CA (untimed)...\n", o.n);
    std::fflush(stdout);
    std::vector<Bytes> spkis;
    spkis.reserve(static_cast<size_t>(o.n));
    for (int i = 0; i < o.n; ++i) {
      auto key = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256);
      if (!key.ok()) Die(key.status().ToString());
      spkis.push_back(key->GetPublicKey().SpkiDer());
    }
    auto ca_key = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256);
    if (!ca_key.ok()) Die(ca_key.status().ToString());
    ca::CertTemplate ca_t;
    ca_t.kind = ca::CertKind::kRoot;
    ca_t.common_name = "ca_bench build ceiling";
    ca_t.path_length = 0;
    auto ca_serial = ca::NewSerial();
    if (!ca_serial.ok()) Die(ca_serial.status().ToString());
    ca_t.serial = *ca_serial;
    ca_t.not_before = clock.Now() - std::chrono::hours(1);
    ca_t.not_after = clock.Now() + std::chrono::hours(48);
    auto ca_cert = ca::SignCertificate(ca_t, ca_key->GetPublicKey(), nullptr, *ca_key);
    if (!ca_cert.ok()) Die(ca_cert.status().ToString());
    auto signer = ca::LeafSigner::Create(*ca_cert, *ca_key);
    if (!signer.ok()) Die(signer.status().ToString());
    measure("ca_inproc_build", "LeafSigner::Sign", [&](int i) -> ck::Result<Bytes> {
      ca::CertTemplate t;
      t.kind = ca::CertKind::kLeaf;
      t.common_name = Name("build", i);
      ASSIGN_OR_RETURN(t.serial, ca::NewSerial());
      const TimePoint now = clock.Now();
      t.not_before = now - std::chrono::minutes(1);
      t.not_after = now + std::chrono::hours(24);
      t.ekus = {ca::ExtendedKeyUsage::kServerAuth};
      t.sans = {{pki::SanType::kDns, t.common_name}};
      return (*signer)->Sign(t, spkis[static_cast<size_t>(i)]);
    });
  }
  if (want("sign")) {
    std::printf("building %d P-256 CSRs (untimed)...\n", o.n);
    std::fflush(stdout);
    std::vector<Bytes> csrs;
    csrs.reserve(static_cast<size_t>(o.n));
    for (int i = 0; i < o.n; ++i) {
      auto key = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256);
      if (!key.ok()) Die(key.status().ToString());
      pki::CsrRequest r;
      r.common_name = Name("sign", i);
      r.dns_names = {r.common_name};
      auto csr = pki::BuildCsr(r, *key);
      if (!csr.ok()) Die(csr.status().ToString());
      csrs.push_back(csr->ToDer());
    }
    measure("ca_inproc_sign", "SignCsrDer", [&](int i) {
      return authority.SignCsrDer(csrs[static_cast<size_t>(i)], ca::IssueOptions{}, clock.Now());
    });
  }
  if (want("issue")) {
    measure("ca_inproc_issue", "IssueWithKey", [&](int i) {
      ca::KeyIssueRequest req;
      req.sans.dns_names = {Name("issue", i)};
      return authority.IssueWithKey(req, clock.Now());
    });
  }

  // Durability check: every issuance is a row in the store.
  store::CertificateQuery q;
  auto all = st->ListCertificates(q);
  if (all.ok()) {
    std::printf("certificates recorded in the store: %zu\n", all->size());
  }
  return 0;
}
