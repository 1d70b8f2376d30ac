// inventory_bench: the inventory at scale (issue 6's benchmark). Seeds a SqliteStore file with N
// certificates in one transaction, then measures what the daemon does with a large inventory:
//
//   due scan  Store::ListDueBefore(now + 7d), repeated: median and p99
//   list API  GET /v1/certificates?status=active&limit=100&after_id=<random id> over the real
//             AdminServer (HTTPS, one libcurl keep-alive connection, bearer token): p50/p99
//   metrics   DaemonBackend::RenderMetrics() (every external/file certificate's gauges + the
//             process registry), repeated: median; and one GET /metrics over the same connection
//
//   inventory_bench --dir DIR [--n 10000] [--due-runs 200] [--pages 1000] [--metrics-runs 5]
//
// Rows are realistic: four real PEMs (leaf + chain) issued by an internal CA are reused, with
// distinct names, serials and fingerprints, not_after spread over a year (from 5 days ago, so
// ~3% are due within 7 days and a few expired), 90% source "ca", 8% "external", 2% "file", and 5%
// superseded history rows. Prints "RESULT inventory_<what>_<n> key=value ..." lines for
// bench/run.sh.
#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"
#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "daemon/daemon_backend.hpp"
#include "store/master_key.hpp"
#include "store/sqlite_store.hpp"
#include "web/admin_server.hpp"
#include "web/tls_config.hpp"

namespace {

using ck::bench::Die;
using ck::bench::Percentile;

using namespace ck;  // NOLINT(google-build-using-namespace): a benchmark's main file
using Steady = std::chrono::steady_clock;

template <typename T>
T OrDie(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.status().ToString());
  return std::move(*r);
}

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Options {
  std::string dir;
  int n = 10000;
  int due_runs = 200;
  int pages = 1000;
  int metrics_runs = 5;
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
    } else if (a == "--due-runs") {
      o.due_runs = std::atoi(next().c_str());
    } else if (a == "--pages") {
      o.pages = std::atoi(next().c_str());
    } else if (a == "--metrics-runs") {
      o.metrics_runs = std::atoi(next().c_str());
    } else {
      Die("unknown argument " + a);
    }
  }
  if (o.dir.empty() || o.n < 1) Die("usage: inventory_bench --dir DIR [--n N]");
  return o;
}

// Bytes allocated on disk by the files in `dir` whose name starts with `prefix`.
uint64_t DiskBytes(const std::string& dir, const std::string& prefix = "") {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.path().filename().string().starts_with(prefix)) continue;
    struct stat st {};
    if (::stat(e.path().c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

struct Template {
  std::string cert_pem, chain_pem;
  std::vector<std::string> sans;
};

// N rows in one transaction. Returns the seconds it took.
double Seed(store::Store& st, const std::vector<Template>& templates, int n, TimePoint now) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> offset(-5 * 86400, 360 * 86400);
  const auto start = Steady::now();
  Status s = st.RunInTransaction([&](store::Store& tx) -> Status {
    for (int i = 0; i < n; ++i) {
      const Template& t = templates[static_cast<size_t>(i) % templates.size()];
      store::CertificateRecord r;
      char name[64], serial[40], fp[72];
      const int bucket = i % 100;
      r.source = bucket < 90 ? "ca" : bucket < 98 ? "external" : "file";
      std::snprintf(name, sizeof name, "%s-%07d.bench.internal",
                    r.source == "ca"         ? "svc"
                    : r.source == "external" ? "ext"
                                             : "file",
                    i);
      std::snprintf(serial, sizeof serial, "%016llX%08X", 0x5EEDULL << 40,
                    static_cast<unsigned>(i));
      std::snprintf(fp, sizeof fp, "%016llx%016llx%016llx%016llx",
                    static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()),
                    static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(i));
      r.name = name;
      r.issuer = r.source == "ca" ? "certkeeper Intermediate CA" : (i % 2 ? "R11" : "E6");
      r.serial_hex = serial;
      r.sans = {r.name};
      r.not_after = now + std::chrono::seconds(offset(rng));
      r.not_before = r.not_after - std::chrono::hours(24 * 90);
      r.cert_pem = t.cert_pem;
      r.chain_pem = r.source == "file" ? "" : t.chain_pem;
      r.status = i % 20 == 7 ? store::kCertSuperseded : store::kCertActive;
      r.fingerprint_sha256 = fp;
      r.created_at = r.not_before;
      RETURN_IF_ERROR(tx.PutCertificate(r).status());
    }
    return OkStatus();
  });
  if (!s.ok()) Die("seed: " + s.ToString());
  return std::chrono::duration<double>(Steady::now() - start).count();
}

size_t WriteBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One keep-alive HTTPS connection with a bearer token.
class Client {
 public:
  Client(const std::string& cafile, const std::string& token) : curl_(curl_easy_init()) {
    auth_ = curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, auth_);
    curl_easy_setopt(curl_, CURLOPT_CAINFO, cafile.c_str());
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body_);
    curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
  }
  ~Client() {
    curl_easy_cleanup(curl_);
    curl_slist_free_all(auth_);
  }
  // Returns the HTTP status; the body in body().
  long Get(const std::string& url) {
    body_.clear();
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    CURLcode rc = curl_easy_perform(curl_);
    if (rc != CURLE_OK) Die(url + ": " + curl_easy_strerror(rc));
    long code = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }
  long Connections() {
    long n = 0;
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &n);
    return n;
  }
  const std::string& body() const { return body_; }

 private:
  CURL* curl_;
  curl_slist* auth_ = nullptr;
  std::string body_;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::filesystem::create_directories(o.dir);
  SystemClock clock;
  const TimePoint now = clock.Now();

  auto master = OrDie(store::MasterKey::Generate(), "master key");
  auto st = OrDie(store::SqliteStore::Open(o.dir + "/store.db", master), "open store");
  ca::Authority authority(*st, ca::CaSettings{});
  if (Status s = authority.Init({}, now); !s.ok()) Die("ca init: " + s.ToString());

  // Real material: four leaves from the internal CA (rows reuse their PEMs), and the admin
  // server's own certificate.
  std::vector<Template> templates;
  for (int i = 0; i < 4; ++i) {
    ca::KeyIssueRequest req;
    req.sans.dns_names = {"template-" + std::to_string(i) + ".bench.internal"};
    auto issued = OrDie(authority.IssueWithKey(req, now), "issue template");
    templates.push_back(
        {issued.CertificatePem(), pki::ChainToPem(issued.chain), req.sans.dns_names});
  }
  ca::KeyIssueRequest server_req;
  server_req.sans.dns_names = {"localhost"};
  server_req.sans.ip_addresses = {"127.0.0.1"};
  auto server_cert = OrDie(authority.IssueWithKey(server_req, now), "issue server certificate");

  const double seed_s = Seed(*st, templates, o.n, now);
  // The database, and everything with the WAL (one big transaction spills every page it
  // touches into the WAL; it stays that size until the last connection closes).
  const double mib = 1024.0 * 1024.0;
  const double db_mib =
      static_cast<double>(DiskBytes(o.dir, "store.db") - DiskBytes(o.dir, "store.db-")) / mib;
  const double disk_mib = static_cast<double>(DiskBytes(o.dir)) / mib;
  std::printf(
      "RESULT inventory_seed_%d n=%d seed_s=%.2f rows_per_s=%.0f db_mib=%.1f disk_mib=%.1f\n", o.n,
      o.n, seed_s, o.n / seed_s, db_mib, disk_mib);
  std::fflush(stdout);

  // --- due scan ---
  std::vector<double> due_ms;
  size_t due_rows = 0;
  for (int i = 0; i < o.due_runs; ++i) {
    const auto t0 = Steady::now();
    auto due = OrDie(st->ListDueBefore(now + std::chrono::hours(24 * 7)), "due scan");
    due_ms.push_back(Ms(Steady::now() - t0));
    due_rows = due.size();
  }
  std::printf("RESULT inventory_due_%d n=%d rows=%zu runs=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
              o.n, o.n, due_rows, o.due_runs, Percentile(due_ms, 0.5), Percentile(due_ms, 0.99),
              Percentile(due_ms, 1.0));
  std::fflush(stdout);

  // --- the admin API over HTTPS ---
  daemon::DaemonBackend backend(*st, clock);
  backend.SetAuthority(&authority);
  auto token =
      OrDie(backend.CreateToken("bench", web::Role::kViewer, std::chrono::hours(1)), "token");
  auto credentials = std::make_shared<web::ServerCredentials>();
  std::vector<pki::Certificate> chain = {server_cert.certificate()};
  for (const auto& c : server_cert.chain) chain.push_back(c);
  if (Status s = credentials->Set(chain, *server_cert.key); !s.ok()) Die("tls: " + s.ToString());
  web::AdminServerOptions server_options;
  server_options.port = 0;
  server_options.tls = std::make_shared<web::TlsServerSettings>();
  server_options.tls->credentials = credentials;
  web::AdminServer server(server_options, backend);
  const uint16_t port = OrDie(server.Start(), "admin server");
  const std::string cafile = o.dir + "/ca.pem";
  std::ofstream(cafile) << server_cert.root.ToPem();
  const std::string base = "https://127.0.0.1:" + std::to_string(port);

  auto client_owner = std::make_unique<Client>(cafile, token.secret);
  Client& client = *client_owner;
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> pick(1, o.n);  // row ids (CA rows come first: a few)
  auto page_url = [&] {
    return base + "/v1/certificates?status=active&limit=100&after_id=" + std::to_string(pick(rng));
  };
  for (int i = 0; i < 20; ++i) {  // warm-up: TLS handshake, page cache
    if (long code = client.Get(page_url()); code != 200) {
      Die("list API answered " + std::to_string(code) + ": " + client.body());
    }
  }
  std::vector<double> list_ms;
  size_t bytes = 0;
  const long connections_before = client.Connections();
  for (int i = 0; i < o.pages; ++i) {
    const std::string url = page_url();
    const auto t0 = Steady::now();
    const long code = client.Get(url);
    list_ms.push_back(Ms(Steady::now() - t0));
    if (code != 200) Die("list API answered " + std::to_string(code) + ": " + client.body());
    bytes += client.body().size();
  }
  std::printf(
      "RESULT inventory_list_%d n=%d pages=%d limit=100 p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
      "kib_per_page=%.1f new_connections=%ld\n",
      o.n, o.n, o.pages, Percentile(list_ms, 0.5), Percentile(list_ms, 0.99),
      Percentile(list_ms, 1.0), static_cast<double>(bytes) / o.pages / 1024.0,
      client.Connections() - connections_before);
  std::fflush(stdout);

  // --- /metrics ---
  std::vector<double> render_ms;
  size_t metrics_bytes = 0;
  for (int i = 0; i < o.metrics_runs; ++i) {
    const auto t0 = Steady::now();
    auto text = OrDie(backend.RenderMetrics(), "render metrics");
    render_ms.push_back(Ms(Steady::now() - t0));
    metrics_bytes = text.size();
  }
  const auto t0 = Steady::now();
  const long code = client.Get(base + "/metrics");
  const double scrape_ms = Ms(Steady::now() - t0);
  if (code != 200) Die("/metrics answered " + std::to_string(code));
  size_t series = 0;
  for (size_t pos = 0;
       (pos = client.body().find("certkeeper_certificate_expiration", pos)) != std::string::npos;
       ++pos) {
    ++series;
  }
  std::printf(
      "RESULT inventory_metrics_%d n=%d runs=%d render_p50_ms=%.1f render_max_ms=%.1f "
      "scrape_https_ms=%.1f bytes=%zu certificates_exposed=%zu\n",
      o.n, o.n, o.metrics_runs, Percentile(render_ms, 0.5), Percentile(render_ms, 1.0), scrape_ms,
      metrics_bytes, series > 2 ? series - 2 : 0);  // minus the HELP and TYPE lines
  // Close the keep-alive connection first: the server would otherwise wait for it to idle out.
  client_owner.reset();
  server.Stop();
  curl_global_cleanup();
  return 0;
}
