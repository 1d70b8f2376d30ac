// acme_bench: N distinct certificates from one process, T orders in flight at once
// (acme::OrderFlow on one acme::Client: one account, one nonce pool, one libcurl connection
// pool, one http-01 listener shared by every order). This is how the daemon renews many
// certificates at once; `certkeeper acme issue` is the one-at-a-time CLI path.
//
//   acme_bench --directory URL --ca-bundle PEM --http-port P --n 50 --threads 10
//              [--prefix ck-c10] [--out DIR]
//
// Registration and one warm-up order are untimed (as the lego runs' warm-up). Prints
//   RESULT <prefix> n=.. threads=.. ok=.. failed=.. wall_s=.. certs_per_s=.. p50_s=.. p99_s=..
//          cpu_ms_per_cert=.. peak_rss_mib=.. requests=.. bad_nonce_retries=..
// cpu_ms_per_cert is this process's user+sys (getrusage) over the timed part: protocol, JWS,
// certificate key generation, CSR, http-01 serving. With --out each certificate's fullchain
// is written to DIR/<name>.pem for verification by the caller.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "acme/client.hpp"
#include "acme/curl_transport.hpp"
#include "acme/jose.hpp"
#include "acme/order_flow.hpp"
#include "acme/solvers/http01.hpp"
#include "bench/bench_util.hpp"
#include "common/clock.hpp"
#include "common/rng.hpp"
#include "pki/key.hpp"

namespace {

using ck::bench::CpuSeconds;
using ck::bench::Die;
using ck::bench::Percentile;

using SteadyClock = std::chrono::steady_clock;

double PeakRssMib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ck;
  std::map<std::string, std::string> f = {{"n", "50"}, {"threads", "10"}, {"prefix", "ck"}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) Die("bad argument " + a);
    f[a.substr(2)] = argv[++i];
  }
  for (const char* k : {"directory", "ca-bundle", "http-port"}) {
    if (!f.count(k)) Die(std::string("missing --") + k);
  }
  const int n = std::atoi(f["n"].c_str());
  const int threads = std::atoi(f["threads"].c_str());
  const int port = std::atoi(f["http-port"].c_str());
  const std::string prefix = f["prefix"];
  const std::string out = f.count("out") ? f["out"] : "";
  if (n < 1 || n > 5000 || threads < 1 || threads > 500 || port < 1 || port > 65535) {
    Die("1 <= n <= 5000, 1 <= threads <= 500, a valid --http-port");
  }

  acme::CurlTransportOptions topt;
  topt.ca_bundle = f["ca-bundle"];
  acme::CurlTransport transport(topt);
  SystemClock clock;
  SystemRng rng;
  acme::ClientOptions copt;
  copt.directory_url = f["directory"];
  acme::Client client(transport, clock, rng, copt);
  auto http01 = acme::Http01Standalone::Start("127.0.0.1", static_cast<uint16_t>(port));
  if (!http01.ok()) Die("http-01 listener: " + http01.status().ToString());

  auto account_key = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256);
  if (!account_key.ok()) Die(account_key.status().ToString());
  auto jws = acme::JwsKey::Create(*account_key);
  if (!jws.ok()) Die(jws.status().ToString());
  acme::NewAccountRequest reg;
  reg.contact = {"mailto:bench@example.test"};
  if (auto a = client.NewAccount(*jws, reg); !a.ok()) Die("register: " + a.status().ToString());

  std::map<std::string, acme::Solver*> solvers = {{"http-01", http01->get()}};
  {
    acme::OrderFlow flow(client, solvers);
    acme::OrderRequest warm;
    warm.names = {prefix + "-warmup.example.test"};
    if (auto w = flow.Obtain(warm); !w.ok()) Die("warm-up order: " + w.status().ToString());
  }

  std::vector<double> lat(static_cast<size_t>(n), -1);
  std::atomic<int> next{0}, failed{0};
  std::mutex mu;
  std::string first_error;
  const uint64_t req0 = client.stats().requests.load();
  const uint64_t bad0 = client.stats().bad_nonce_retries.load();
  const double cpu0 = CpuSeconds();
  const auto t0 = SteadyClock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      acme::OrderFlow flow(client, solvers);
      for (int i = next++; i < n; i = next++) {
        acme::OrderRequest req;
        req.names = {prefix + "-" + std::to_string(i) + ".example.test"};
        auto s = SteadyClock::now();
        auto r = flow.Obtain(req);
        double secs = std::chrono::duration<double>(SteadyClock::now() - s).count();
        if (!r.ok()) {
          std::lock_guard<std::mutex> l(mu);
          if (failed++ == 0) first_error = req.names[0] + ": " + r.status().ToString();
          continue;
        }
        lat[static_cast<size_t>(i)] = secs;
        if (!out.empty()) std::ofstream(out + "/" + req.names[0] + ".pem") << r->fullchain_pem;
      }
    });
  }
  for (auto& th : pool) th.join();
  const double wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  std::vector<double> ok_lat;
  for (double v : lat) {
    if (v >= 0) ok_lat.push_back(v);
  }
  const int ok = n - failed.load();
  if (failed > 0) {
    std::fprintf(stderr, "acme_bench: %d orders failed; first: %s\n", failed.load(),
                 first_error.c_str());
  }
  std::printf(
      "RESULT %s n=%d threads=%d ok=%d failed=%d wall_s=%.3f certs_per_s=%.3f p50_s=%.3f "
      "p99_s=%.3f cpu_ms_per_cert=%.2f peak_rss_mib=%.1f requests=%llu bad_nonce_retries=%llu\n",
      prefix.c_str(), n, threads, ok, failed.load(), wall, ok / wall, Percentile(ok_lat, 0.5),
      Percentile(ok_lat, 0.99), 1000.0 * cpu / std::max(ok, 1), PeakRssMib(),
      static_cast<unsigned long long>(client.stats().requests.load() - req0),
      static_cast<unsigned long long>(client.stats().bad_nonce_retries.load() - bad0));
  return failed > 0 ? 1 : 0;
}
