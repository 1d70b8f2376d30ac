// api_load: closed-loop signing load against an HTTP(S) signing endpoint, one keep-alive
// libcurl connection per client thread, the same CSRs for every target.
//
//   api_load gen-csrs --dir DIR --n N          # N P-256 CSRs as DIR/csr-00000.pem...
//   api_load run --target T --url URL --csr-dir DIR --n N --conc C
//                [--cert FILE --key FILE] [--token TOKEN] [--cacert FILE] [--sample FILE]
//                [--label L] [--warmup 1|0] [--tls-session-reuse 1|0] [--verbose 1]
//                [--min-seconds S]
//
// Authentication: --cert/--key present a client certificate (PEM; the certificate file may
// carry the chain after the leaf, as certkeeper's fullchain.pem does) for mTLS, --token sends
// "Authorization: Bearer TOKEN"; with neither the request is anonymous (cfssl). The client
// certificate is presented once per TLS handshake, so keep-alive and session resumption
// behave as with a token.
// Targets (request bodies):
//   certkeeper-sign   POST /v1/certificates/sign  {"csr": PEM, "profile": "server"}  -> 201
//   certkeeper-issue  POST /v1/certificates/issue {"profile":"server","dns":[name]}  -> 201
//                     (server-side key generation; no CSR)
//   cfssl-sign        POST /api/v1/cfssl/sign {"certificate_request": PEM, "hosts": [name]}
//                     -> 200 {"success": true, "result": {"certificate": PEM}}
// With --warmup 1 (default) each thread first sends one untimed request (connection set-up,
// TLS handshake) and keeps its connection open while waiting for the others; with 0 the
// connection set-up is inside the timed part. Then all threads start together and share N timed
// requests. Prints
//   RESULT <label> n=.. conc=.. ok=.. failed=.. wall_s=.. per_s=.. p50_ms=.. p90_ms=.. p99_ms=..
//          client_cpu_ms_per_req=.. new_connections=.. auth=mtls|token|none
// new_connections counts connections libcurl had to open during the timed part (a server that
// closes keep-alive connections shows up here).
#include <curl/curl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.hpp"
#include "pki/csr.hpp"
#include "pki/key.hpp"

namespace {

using ck::bench::CpuSeconds;
using ck::bench::Die;
using ck::bench::Percentile;

using SteadyClock = std::chrono::steady_clock;

std::string CsrPath(const std::string& dir, int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/csr-%05d.pem", i);
  return dir + buf;
}

std::string NameFor(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "svc-%05d.bench.internal", i);
  return buf;
}

std::map<std::string, std::string> ParseFlags(int argc, char** argv, int first) {
  std::map<std::string, std::string> f;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) Die("bad argument " + a);
    f[a.substr(2)] = argv[++i];
  }
  return f;
}

int GenCsrs(const std::map<std::string, std::string>& f) {
  auto dir = f.find("dir");
  auto n = f.find("n");
  if (dir == f.end() || n == f.end()) Die("gen-csrs needs --dir and --n");
  const int count = std::atoi(n->second.c_str());
  int made = 0;
  for (int i = 0; i < count; ++i) {
    const std::string path = CsrPath(dir->second, i);
    if (std::ifstream(path).good()) continue;  // cached from an earlier run
    auto key = ck::pki::PrivateKey::Generate(ck::pki::KeyType::kEcdsaP256);
    if (!key.ok()) Die(key.status().ToString());
    ck::pki::CsrRequest r;
    r.common_name = NameFor(i);
    r.dns_names = {r.common_name};
    auto csr = ck::pki::BuildCsr(r, *key);
    if (!csr.ok()) Die(csr.status().ToString());
    std::ofstream(path) << csr->ToPem();
    ++made;
  }
  std::printf("%d CSRs in %s (%d new)\n", count, dir->second.c_str(), made);
  return 0;
}

size_t Collect(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<std::string*>(user)->append(data, size * nmemb);
  return size * nmemb;
}

struct Target {
  std::string kind;
  std::string url;
  std::string token;
  std::string client_cert;  // mTLS: PEM certificate (chain allowed) and its PEM key
  std::string client_key;
  std::string cacert;
  bool session_reuse = true;  // TLS session resumption on reconnects (libcurl's default)
  std::string verbose;
};

// One client connection (a curl easy handle reused for every request: keep-alive).
class Conn {
 public:
  explicit Conn(const Target& t) : t_(t), h_(curl_easy_init()) {
    if (!h_) Die("curl_easy_init failed");
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    headers_ = curl_slist_append(headers_, "Expect:");
    if (!t.token.empty()) {
      headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + t.token).c_str());
    }
    curl_easy_setopt(h_, CURLOPT_URL, t.url.c_str());
    curl_easy_setopt(h_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(h_, CURLOPT_WRITEDATA, &body_);
    curl_easy_setopt(h_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h_, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h_, CURLOPT_TCP_NODELAY, 1L);
    if (!t.cacert.empty()) curl_easy_setopt(h_, CURLOPT_CAINFO, t.cacert.c_str());
    if (!t.client_cert.empty()) {
      curl_easy_setopt(h_, CURLOPT_SSLCERT, t.client_cert.c_str());
      curl_easy_setopt(h_, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(h_, CURLOPT_SSLKEY, t.client_key.c_str());
      curl_easy_setopt(h_, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (!t.session_reuse) curl_easy_setopt(h_, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    if (!t.verbose.empty()) curl_easy_setopt(h_, CURLOPT_VERBOSE, 1L);
  }
  ~Conn() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(h_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Returns the certificate PEM, or "" on failure (error in `err`).
  std::string Post(const std::string& payload, std::string* err) {
    body_.clear();
    curl_easy_setopt(h_, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(h_, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
    CURLcode rc = curl_easy_perform(h_);
    if (rc != CURLE_OK) {
      *err = curl_easy_strerror(rc);
      return "";
    }
    long code = 0, conns = 0;
    curl_easy_getinfo(h_, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(h_, CURLINFO_NUM_CONNECTS, &conns);
    new_connections += conns;
    auto j = nlohmann::json::parse(body_, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      *err = "HTTP " + std::to_string(code) + ": " + body_.substr(0, 200);
      return "";
    }
    if (t_.kind == "cfssl-sign") {
      if (code != 200 || !j.value("success", false)) {
        *err = "HTTP " + std::to_string(code) + ": " + body_.substr(0, 200);
        return "";
      }
      return j["result"].value("certificate", "");
    }
    if (code != 201) {
      *err = "HTTP " + std::to_string(code) + ": " + body_.substr(0, 200);
      return "";
    }
    return j.value("certificate", "");
  }
  long new_connections = 0;

 private:
  const Target& t_;
  CURL* h_;
  curl_slist* headers_ = nullptr;
  std::string body_;
};

std::string BodyFor(const Target& t, const std::vector<std::string>& csrs, int i) {
  const int k = static_cast<int>(static_cast<size_t>(i) % csrs.size());
  if (t.kind == "certkeeper-sign") {
    return nlohmann::json{{"csr", csrs[static_cast<size_t>(k)]}, {"profile", "server"}}.dump();
  }
  if (t.kind == "certkeeper-issue") {
    return nlohmann::json{{"profile", "server"}, {"dns", {NameFor(k)}}}.dump();
  }
  return nlohmann::json{{"certificate_request", csrs[static_cast<size_t>(k)]},
                        {"hosts", {NameFor(k)}}}
      .dump();
}

int Run(const std::map<std::string, std::string>& f) {
  auto get = [&](const char* k, const char* def = nullptr) -> std::string {
    auto it = f.find(k);
    if (it != f.end()) return it->second;
    if (!def) Die(std::string("missing --") + k);
    return def;
  };
  Target t{get("target"),
           get("url"),
           get("token", ""),
           get("cert", ""),
           get("key", ""),
           get("cacert", ""),
           get("tls-session-reuse", "1") == "1",
           get("verbose", "")};
  const bool warmup = get("warmup", "1") == "1";
  if (t.client_cert.empty() != t.client_key.empty()) Die("--cert and --key go together");
  if (!t.client_cert.empty() && !t.token.empty()) {
    Die("--cert/--key and --token are exclusive (the server would use the certificate)");
  }
  const char* auth = !t.client_cert.empty() ? "mtls" : !t.token.empty() ? "token" : "none";
  if (t.kind != "certkeeper-sign" && t.kind != "certkeeper-issue" && t.kind != "cfssl-sign") {
    Die("--target must be certkeeper-sign, certkeeper-issue or cfssl-sign");
  }
  const int n = std::atoi(get("n").c_str());
  const int conc = std::atoi(get("conc").c_str());
  const std::string label = get("label", (t.kind + "_c" + std::to_string(conc)).c_str());
  const std::string sample = get("sample", "");
  // Keep going (cycling over the CSRs) until at least this long has passed: a fast server
  // finishes N requests in a fraction of a second, too short to measure on a busy machine.
  const double min_seconds = std::atof(get("min-seconds", "0").c_str());
  constexpr int kMaxRequests = 1000000;
  if (n < 1 || n > 1000000 || conc < 1 || conc > 256) Die("1 <= n <= 1e6, 1 <= conc <= 256");

  std::vector<std::string> csrs;
  const std::string csr_dir = get("csr-dir");
  for (int i = 0;; ++i) {
    std::ifstream in(CsrPath(csr_dir, i));
    if (!in) break;
    std::stringstream ss;
    ss << in.rdbuf();
    csrs.push_back(ss.str());
  }
  if (csrs.empty()) Die("no CSRs in " + csr_dir + " (run api_load gen-csrs first)");

  std::vector<std::vector<double>> lats(static_cast<size_t>(conc));
  std::atomic<int> next{0}, failed{0}, ready{0};
  SteadyClock::time_point t0;
  std::atomic<long> new_conns{0};
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  std::string first_error, last_cert;
  std::atomic<bool> warm_failed{false};

  std::vector<std::thread> pool;
  for (int c = 0; c < conc; ++c) {
    pool.emplace_back([&, c] {
      Conn conn(t);
      std::string err;
      if (warmup && conn.Post(BodyFor(t, csrs, c), &err).empty()) {
        warm_failed = true;
        std::lock_guard<std::mutex> l(mu);
        if (first_error.empty()) first_error = "warm-up: " + err;
      }
      conn.new_connections = 0;
      {
        std::unique_lock<std::mutex> l(mu);
        ++ready;
        cv.notify_all();
        cv.wait(l, [&] { return go; });
      }
      std::string cert;
      auto more = [&](int i) {
        if (i >= kMaxRequests) return false;
        if (i < n) return true;
        return std::chrono::duration<double>(SteadyClock::now() - t0).count() < min_seconds;
      };
      for (int i = next++; more(i); i = next++) {
        auto s = SteadyClock::now();
        std::string got = conn.Post(BodyFor(t, csrs, i), &err);
        const double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - s).count();
        if (!got.empty()) lats[static_cast<size_t>(c)].push_back(ms);
        if (got.empty()) {
          if (failed++ == 0) {
            std::lock_guard<std::mutex> l(mu);
            first_error = err;
          }
        } else {
          cert = std::move(got);
        }
      }
      new_conns += conn.new_connections;
      std::lock_guard<std::mutex> l(mu);
      if (!cert.empty()) last_cert = cert;
    });
  }
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return ready.load() == conc; });
  }
  if (warm_failed) {
    {
      std::lock_guard<std::mutex> l(mu);
      go = true;
      next = kMaxRequests;  // nothing to do
    }
    cv.notify_all();
    for (auto& th : pool) th.join();
    Die(first_error);
  }
  const double cpu0 = CpuSeconds();
  {
    std::lock_guard<std::mutex> l(mu);
    t0 = SteadyClock::now();
    go = true;
  }
  cv.notify_all();
  for (auto& th : pool) th.join();
  const double wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;

  std::vector<double> ok_lat;
  for (const auto& v : lats) ok_lat.insert(ok_lat.end(), v.begin(), v.end());
  const int ok = static_cast<int>(ok_lat.size());
  const int total = ok + failed.load();
  if (!sample.empty() && !last_cert.empty()) std::ofstream(sample) << last_cert;
  if (failed > 0)
    std::fprintf(stderr, "api_load: %d failed; first: %s\n", failed.load(), first_error.c_str());
  std::printf(
      "RESULT %s n=%d conc=%d ok=%d failed=%d wall_s=%.3f per_s=%.1f p50_ms=%.2f p90_ms=%.2f "
      "p99_ms=%.2f client_cpu_ms_per_req=%.3f new_connections=%ld auth=%s\n",
      label.c_str(), total, conc, ok, failed.load(), wall, ok / wall, Percentile(ok_lat, 0.5),
      Percentile(ok_lat, 0.9), Percentile(ok_lat, 0.99), 1000.0 * cpu / std::max(total, 1),
      new_conns.load(), auth);
  return failed > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Die("usage: api_load gen-csrs|run --flag value...");
  curl_global_init(CURL_GLOBAL_ALL);
  std::string cmd = argv[1];
  auto flags = ParseFlags(argc, argv, 2);
  int rc = cmd == "gen-csrs" ? GenCsrs(flags) : cmd == "run" ? Run(flags) : 2;
  curl_global_cleanup();
  if (rc == 2) Die("unknown command " + cmd);
  return rc;
}
