// The dashboard's server side through the real AdminServer over HTTPS with a fake backend:
// login sessions (cookie flags, expiry, revocation, bound), CSRF and Origin checks on every
// cookie-authenticated change, the embedded assets and their headers, and the inventory JSON
// (filters, cursor paging, days_left, lifecycle fields, detail).
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "pki/key.hpp"
#include "tests/testing/test_ca.hpp"
#include "tests/web/fake_lifecycle_backend.hpp"
#include "tests/web/tls_test_server.hpp"
#include "web/auth.hpp"
#include "web/inventory_json.hpp"
#include "web/request_auth.hpp"
#include "web/session_store.hpp"

namespace ck::web {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));

// Real tokens (ckt_...) so their hashes can be checked the way the daemon does; the hash
// lookup honours revocation like the token service.
class DashboardBackend : public FakeLifecycleBackend {
 public:
  explicit DashboardBackend(const Clock& clock) : clock_(clock) {
    admin_token = *GenerateApiToken();
    viewer_token = *GenerateApiToken();
  }
  Result<Identity> AuthenticateToken(std::string_view token) override {
    return AuthenticateTokenHash(HashApiToken(token));
  }
  Result<Identity> AuthenticateTokenHash(std::string_view hash) override {
    std::lock_guard lock(mu_);
    if (revoked.count(std::string(hash)) != 0) return UnauthenticatedError("token was revoked");
    if (hash == HashApiToken(admin_token)) return Identity{"root", Role::kAdmin, "token"};
    if (hash == HashApiToken(viewer_token)) return Identity{"looker", Role::kViewer, "token"};
    return UnauthenticatedError("unknown API token");
  }
  TimePoint Now() override { return clock_.Now(); }

  // Certificates sorted like the store: (not_after, id), filtered, keyset-paged.
  Result<std::vector<CertificateView>> ListCertificates(const CertificateFilter& f) override {
    std::lock_guard lock(mu_);
    last_filter = f;
    std::vector<CertificateView> sorted = certificates;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return std::tie(a.not_after, a.id) < std::tie(b.not_after, b.id);
    });
    std::vector<CertificateView> out;
    bool past_cursor = f.after_id == 0;
    for (const auto& c : sorted) {
      if (!past_cursor) {
        past_cursor = c.id == f.after_id;
        continue;
      }
      if (!f.source.empty() && c.source != f.source) continue;
      if (!f.status.empty() && c.status != f.status) continue;
      if (f.expiring_before && c.not_after >= *f.expiring_before) continue;
      if (static_cast<int>(out.size()) == f.limit) break;
      out.push_back(c);
    }
    return out;
  }
  Result<CertificateView> GetCertificate(int64_t id) override {
    std::lock_guard lock(mu_);
    for (const auto& c : certificates) {
      if (c.id == id) return c;
    }
    return NotFoundError("no certificate " + std::to_string(id));
  }

  void RevokeTokenSecret(const std::string& token) {
    std::lock_guard lock(mu_);
    revoked.insert(HashApiToken(token));
  }

  std::string admin_token, viewer_token;
  std::vector<CertificateView> certificates;
  std::set<std::string> revoked;
  CertificateFilter last_filter;

 private:
  const Clock& clock_;
  std::mutex mu_;
};

CertificateView Cert(int64_t id, std::string name, std::string source, TimePoint not_after,
                     std::string serial) {
  CertificateView c;
  c.id = id;
  c.name = std::move(name);
  c.source = std::move(source);
  c.issuer = "CN=Test CA";
  c.serial_hex = std::move(serial);
  c.sans = {c.name + ".test"};
  c.not_before = not_after - hours(24 * 90);
  c.not_after = not_after;
  c.status = "active";
  return c;
}

class DashboardApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<FakeClock>(kNow);
    backend_ = std::make_unique<DashboardBackend>(*clock_);
    auto& b = *backend_;
    // "web" is managed and issued by the internal CA, so its rows' source is "ca".
    b.certificates = {Cert(1, "web", "ca", kNow + hours(24 * 20), "0a"),
                      Cert(2, "db", "ca", kNow + hours(24 * 3), "0b"),
                      Cert(3, "old", "external", kNow - hours(5), "0c"),
                      Cert(4, "web", "ca", kNow - hours(24 * 40), "09")};
    b.certificates[3].status = "superseded";
    ManagedCertificateView web;
    web.name = "web";
    web.status = "valid";
    web.serial_hex = "0a";
    web.last_renewal_at = kNow - hours(24 * 70);
    web.next_renewal_at = kNow + hours(24 * 10);
    web.deploy = {{"files", "/etc/certkeeper/live/web", "0a", kNow - hours(1), "ok"}};
    b.managed = {web};
    b.events = {{7, kNow - hours(2), "web", "renewed", "renewed by ca:server", ""},
                {8, kNow - hours(1), "db", "issued", "issued", ""}};
    AdminServerOptions options;
    options.clock = clock_.get();
    options.sessions.idle_timeout = minutes(30);
    options.sessions.absolute_timeout = hours(8);
    options.sessions.max_sessions = 3;
    server_ = std::make_unique<TlsTestServer>(b, options);
    ASSERT_TRUE(server_->ok()) << server_->error();
  }

  std::unique_ptr<httplib::SSLClient> Client() {
    auto c = std::make_unique<httplib::SSLClient>("localhost", server_->port());
    c->set_ca_cert_path(server_->root_pem_path().c_str());
    c->enable_server_certificate_verification(true);
    return c;
  }

  struct Login {
    std::string cookie;      // "ck_session=..."
    std::string set_cookie;  // the whole header
    std::string csrf;
    json body;
  };

  Login LogIn(const std::string& token) {
    auto res = Client()->Post("/v1/session", json{{"token", token}}.dump(), "application/json");
    Login out;
    if (!res || res->status != 201) {
      ADD_FAILURE() << "login failed: " << (res ? res->body : "no response");
      return out;
    }
    out.set_cookie = res->get_header_value("Set-Cookie");
    out.cookie = out.set_cookie.substr(0, out.set_cookie.find(';'));
    out.body = json::parse(res->body);
    out.csrf = out.body.value("csrf_token", "");
    return out;
  }

  httplib::Result Send(const std::string& method, const std::string& path, httplib::Headers headers,
                       const std::string& body = "{}") {
    auto c = Client();
    if (method == "GET") return c->Get(path, headers);
    if (method == "DELETE") return c->Delete(path, headers);
    return c->Post(path, headers, body, "application/json");
  }

  std::unique_ptr<FakeClock> clock_;
  std::unique_ptr<DashboardBackend> backend_;
  std::unique_ptr<TlsTestServer> server_;
};

TEST_F(DashboardApiTest, LoginSetsAStrictSessionCookie) {
  Login login = LogIn(backend_->admin_token);
  EXPECT_EQ(login.cookie.rfind("ck_session=", 0), 0u) << login.set_cookie;
  // 32 random bytes, base64url: 43 characters.
  EXPECT_EQ(login.cookie.size(), std::string("ck_session=").size() + 43) << login.cookie;
  for (const char* flag : {"; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/"}) {
    EXPECT_NE(login.set_cookie.find(flag), std::string::npos) << flag << " in " << login.set_cookie;
  }
  EXPECT_EQ(login.body["identity"], "root");
  EXPECT_EQ(login.body["role"], "admin");
  EXPECT_EQ(login.csrf.size(), 43u);
  EXPECT_EQ(login.set_cookie.find(backend_->admin_token), std::string::npos);

  // The cookie alone reads (GET needs no CSRF token), and GET /v1/session hands the CSRF
  // token back to a reloaded page.
  auto list = Send("GET", "/v1/certificates", {{"Cookie", login.cookie}});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200) << list->body;
  auto again = Send("GET", "/v1/session", {{"Cookie", "theme=dark; " + login.cookie}});
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(json::parse(again->body)["csrf_token"], login.csrf);
}

TEST_F(DashboardApiTest, BadLoginsAreRefused) {
  auto c = Client();
  auto bad = c->Post("/v1/session", R"({"token":"ckt_nope"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  EXPECT_FALSE(bad->has_header("Set-Cookie"));
  auto malformed = c->Post("/v1/session", "token=x", "application/x-www-form-urlencoded");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  // A login posted from another site is refused (login CSRF).
  auto foreign = c->Post("/v1/session", {{"Origin", "https://evil.example"}},
                         json{{"token", backend_->admin_token}}.dump(), "application/json");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  auto no_cookie = c->Get("/v1/session");
  ASSERT_TRUE(no_cookie);
  EXPECT_EQ(no_cookie->status, 401);
  auto forged = c->Get("/v1/certificates", {{"Cookie", "ck_session=forgedforgedforged"}});
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
}

TEST_F(DashboardApiTest, ChangesNeedTheSessionsCsrfTokenAndOwnOrigin) {
  Login login = LogIn(backend_->admin_token);
  const std::string host = "localhost:" + std::to_string(server_->port());
  // Missing, forged, another session's token, a foreign Origin: 403 and nothing happens.
  Login other = LogIn(backend_->viewer_token);
  const std::vector<httplib::Headers> refused = {
      {{"Cookie", login.cookie}},
      {{"Cookie", login.cookie}, {"X-CSRF-Token", "forged"}},
      {{"Cookie", login.cookie}, {"X-CSRF-Token", login.csrf.substr(1) + "A"}},
      {{"Cookie", login.cookie}, {"X-CSRF-Token", other.csrf}},
      {{"Cookie", login.cookie}, {"X-CSRF-Token", login.csrf}, {"Origin", "https://evil.example"}},
      {{"Cookie", login.cookie}, {"X-CSRF-Token", login.csrf}, {"Origin", "null"}},
      {{"Cookie", login.cookie}, {"X-CSRF-Token", login.csrf}, {"Sec-Fetch-Site", "cross-site"}},
  };
  for (const auto& headers : refused) {
    auto res = Send("POST", "/v1/managed/web/renew", headers, R"({"force":true})");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << res->body;
  }
  EXPECT_TRUE(backend_->renew_calls.empty());
  // Logout is a change too.
  auto logout = Send("DELETE", "/v1/session", {{"Cookie", login.cookie}});
  ASSERT_TRUE(logout);
  EXPECT_EQ(logout->status, 403);

  // The right token from the page's own origin works.
  auto ok = Send("POST", "/v1/managed/web/renew",
                 {{"Cookie", login.cookie},
                  {"X-CSRF-Token", login.csrf},
                  {"Origin", "https://" + host},
                  {"Sec-Fetch-Site", "same-origin"}},
                 R"({"force":true})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 202) << ok->body;
  ASSERT_EQ(backend_->renew_calls.size(), 1u);
  EXPECT_EQ(backend_->renew_calls[0].first, "web");

  // Roles still apply to sessions: the viewer cannot renew even with its CSRF token.
  auto viewer = Send("POST", "/v1/managed/web/renew",
                     {{"Cookie", other.cookie}, {"X-CSRF-Token", other.csrf}});
  ASSERT_TRUE(viewer);
  EXPECT_EQ(viewer->status, 403);
  EXPECT_EQ(backend_->renew_calls.size(), 1u);

  // Bearer clients are not browsers: no CSRF token needed.
  auto bearer = Send("POST", "/v1/managed/web/renew",
                     {{"Authorization", "Bearer " + backend_->admin_token}}, R"({"force":true})");
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->status, 202);

  // Logout with the token ends the session.
  auto out =
      Send("DELETE", "/v1/session", {{"Cookie", login.cookie}, {"X-CSRF-Token", login.csrf}});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204);
  EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  auto after = Send("GET", "/v1/certificates", {{"Cookie", login.cookie}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
}

TEST_F(DashboardApiTest, SessionsExpireWhenIdleAndAtTheirAbsoluteLimit) {
  Login idle = LogIn(backend_->viewer_token);
  clock_->Advance(minutes(29));
  auto fresh = Send("GET", "/v1/session", {{"Cookie", idle.cookie}});
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200);  // and that use restarts the idle timer
  clock_->Advance(minutes(29));
  EXPECT_EQ(Send("GET", "/v1/certificates", {{"Cookie", idle.cookie}})->status, 200);
  clock_->Advance(minutes(31));
  EXPECT_EQ(Send("GET", "/v1/certificates", {{"Cookie", idle.cookie}})->status, 401);

  // Kept busy, a session still ends 8 h after login.
  Login busy = LogIn(backend_->viewer_token);
  for (int i = 0; i < 19; ++i) {  // 7 h 55 min
    clock_->Advance(minutes(25));
    ASSERT_EQ(Send("GET", "/v1/certificates", {{"Cookie", busy.cookie}})->status, 200) << i;
  }
  clock_->Advance(minutes(25));  // 8 h 20 min after login
  EXPECT_EQ(Send("GET", "/v1/certificates", {{"Cookie", busy.cookie}})->status, 401);
}

TEST_F(DashboardApiTest, RevokingTheTokenEndsItsSessions) {
  Login login = LogIn(backend_->admin_token);
  ASSERT_EQ(Send("GET", "/v1/certificates", {{"Cookie", login.cookie}})->status, 200);
  backend_->RevokeTokenSecret(backend_->admin_token);
  auto res = Send("GET", "/v1/certificates", {{"Cookie", login.cookie}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_NE(res->body.find("revoked"), std::string::npos) << res->body;
  EXPECT_EQ(Send("GET", "/v1/session", {{"Cookie", login.cookie}})->status, 401);
}

TEST_F(DashboardApiTest, SessionCountIsBounded) {
  std::vector<Login> logins;
  for (int i = 0; i < 4; ++i) {
    logins.push_back(LogIn(backend_->viewer_token));
    clock_->Advance(minutes(1));
  }
  // The bound is 3: the least recently used (the first) went.
  EXPECT_EQ(Send("GET", "/v1/session", {{"Cookie", logins[0].cookie}})->status, 401);
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(Send("GET", "/v1/session", {{"Cookie", logins[i].cookie}})->status, 200) << i;
  }
}

TEST_F(DashboardApiTest, AssetsAreEmbeddedWithAStrictPolicy) {
  auto c = Client();
  auto index = c->Get("/");
  ASSERT_TRUE(index);
  ASSERT_EQ(index->status, 200);
  EXPECT_NE(index->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(index->body.find("<script src=\"/assets/app.js\""), std::string::npos);
  const std::string csp = index->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(index->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(index->get_header_value("X-Content-Type-Options"), "nosniff");
  // No inline script or style, nothing from another host.
  EXPECT_EQ(index->body.find("<script>"), std::string::npos);
  EXPECT_EQ(index->body.find("<style"), std::string::npos);
  EXPECT_EQ(index->body.find("style=\""), std::string::npos);
  EXPECT_EQ(index->body.find("http://"), std::string::npos);
  EXPECT_EQ(index->body.find("https://"), std::string::npos);
  for (const char* path : {"/assets/app.js", "/assets/app.css"}) {
    auto res = c->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_GT(res->body.size(), 1000u) << path;
    EXPECT_FALSE(res->get_header_value("Content-Security-Policy").empty()) << path;
    EXPECT_EQ(res->body.find("https://"), std::string::npos) << path;
  }
  EXPECT_NE(c->Get("/assets/app.js")->get_header_value("Content-Type").find("javascript"),
            std::string::npos);
  EXPECT_EQ(c->Get("/assets/nope.js")->status, 404);
  EXPECT_EQ(c->Get("/assets/../app.js")->status, 404);
}

TEST_F(DashboardApiTest, InventoryListsByTimeLeftWithLifecycleFields) {
  auto res = Send("GET", "/v1/certificates?status=active",
                  {{"Authorization", "Bearer " + backend_->viewer_token}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json page = json::parse(res->body);
  ASSERT_EQ(page["certificates"].size(), 3u);
  EXPECT_EQ(page["certificates"][0]["name"], "old");
  EXPECT_EQ(page["certificates"][0]["days_left"], -1);  // 5 hours past: day -1
  EXPECT_EQ(page["certificates"][1]["name"], "db");
  EXPECT_EQ(page["certificates"][1]["days_left"], 3);
  EXPECT_TRUE(page["certificates"][1]["state"].is_null());
  EXPECT_EQ(page["certificates"][1]["managed"], false);
  json web = page["certificates"][2];
  EXPECT_EQ(web["name"], "web");
  EXPECT_EQ(web["days_left"], 20);
  EXPECT_EQ(web["state"], "valid");
  EXPECT_EQ(web["managed"], true);
  EXPECT_EQ(web["next_renewal_at"], FormatRfc3339(kNow + hours(24 * 10)));
  EXPECT_EQ(web["last_renewal_at"], FormatRfc3339(kNow - hours(24 * 70)));
  EXPECT_EQ(web["sans"], json::array({"web.test"}));
  EXPECT_TRUE(page["next_after"].is_null());
  EXPECT_EQ(backend_->last_filter.limit, 100);  // the default page

  // Superseded history of a managed name does not borrow the current lifecycle state.
  auto all = json::parse(
      Send("GET", "/v1/certificates", {{"Authorization", "Bearer " + backend_->viewer_token}})
          ->body);
  ASSERT_EQ(all["certificates"].size(), 4u);
  EXPECT_EQ(all["certificates"][0]["serial"], "09");
  EXPECT_TRUE(all["certificates"][0]["state"].is_null());
  EXPECT_EQ(all["certificates"][0]["managed"], false);

  // Paging with the cursor; the old parameter name still works.
  auto first = json::parse(Send("GET", "/v1/certificates?limit=2",
                                {{"Authorization", "Bearer " + backend_->viewer_token}})
                               ->body);
  ASSERT_EQ(first["certificates"].size(), 2u);
  ASSERT_TRUE(first["next_after"].is_number());
  EXPECT_EQ(first["next_after"], first["next_after_id"]);
  for (const char* param : {"after", "after_id"}) {
    auto second = json::parse(Send("GET",
                                   "/v1/certificates?limit=2&" + std::string(param) + "=" +
                                       std::to_string(first["next_after"].get<int64_t>()),
                                   {{"Authorization", "Bearer " + backend_->viewer_token}})
                                  ->body);
    ASSERT_EQ(second["certificates"].size(), 2u) << param;
    EXPECT_EQ(second["certificates"][0]["name"], "db") << param;
  }

  // A file name that is not UTF-8 still lists (replacement character), not a 500.
  backend_->certificates.push_back(
      Cert(5, std::string("/etc/ssl/caf\xe9.pem"), "file", kNow + hours(24 * 400), "0d"));
  auto odd =
      Send("GET", "/v1/certificates", {{"Authorization", "Bearer " + backend_->viewer_token}});
  ASSERT_TRUE(odd);
  ASSERT_EQ(odd->status, 200) << odd->body;
  EXPECT_EQ(json::parse(odd->body)["certificates"].back()["name"], "/etc/ssl/caf\xEF\xBF\xBD.pem");
  backend_->certificates.pop_back();

  // Filters reach the backend.
  ASSERT_EQ(
      Send("GET", "/v1/certificates?q=Web.TEST&source=managed&expiring_before=2030-01-01T00:00:00Z",
           {{"Authorization", "Bearer " + backend_->viewer_token}})
          ->status,
      200);
  EXPECT_EQ(backend_->last_filter.text, "Web.TEST");
  EXPECT_EQ(backend_->last_filter.source, "managed");
  ASSERT_TRUE(backend_->last_filter.expiring_before.has_value());
  EXPECT_EQ(FormatRfc3339(*backend_->last_filter.expiring_before), "2030-01-01T00:00:00Z");
  for (const char* bad : {"limit=0", "limit=1001", "after=x", "expiring_before=tomorrow"}) {
    EXPECT_EQ(Send("GET", std::string("/v1/certificates?") + bad,
                   {{"Authorization", "Bearer " + backend_->viewer_token}})
                  ->status,
              400)
        << bad;
  }
}

TEST_F(DashboardApiTest, DetailShowsChainKeyPinsDeployAndEvents) {
  auto root = testing::TestCa::CreateRoot(testing::CaSpec("Detail Root"));
  ASSERT_TRUE(root.ok());
  testing::CertSpec spec;
  spec.common_name = "web.test";
  spec.dns_names = {"web.test"};
  auto leaf = root->Issue(spec);
  ASSERT_TRUE(leaf.ok());
  backend_->certificates[0].cert_pem = leaf->cert.ToPem();
  backend_->certificates[0].chain_pem = root->cert().ToPem();
  PinSetView pins;
  pins.name = "web";
  pins.pins = {{"AAAA", "active", kNow - hours(48), kNow - hours(24), std::nullopt}};
  backend_->pins["web"] = pins;

  auto res =
      Send("GET", "/v1/certificates/1", {{"Authorization", "Bearer " + backend_->viewer_token}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json d = json::parse(res->body);
  ASSERT_EQ(d["chain"].size(), 2u);
  EXPECT_NE(d["chain"][0]["subject"].get<std::string>().find("web.test"), std::string::npos);
  EXPECT_EQ(d["chain"][0]["sha256_fingerprint"], leaf->cert.Sha256Fingerprint());
  EXPECT_NE(d["chain"][1]["subject"].get<std::string>().find("Detail Root"), std::string::npos);
  EXPECT_EQ(d["key"]["spki_sha256_pin"], leaf->cert.SpkiSha256Pin());
  EXPECT_FALSE(d["key"]["algorithm"].get<std::string>().empty());
  EXPECT_EQ(d["pins"]["pins"][0]["pin"], "AAAA");
  EXPECT_EQ(d["deploy"][0]["type"], "files");
  EXPECT_EQ(d["deploy"][0]["last_result"], "ok");
  ASSERT_EQ(d["events"].size(), 1u);  // only this name's
  EXPECT_EQ(d["events"][0]["kind"], "renewed");
  EXPECT_EQ(d["state"], "valid");
  EXPECT_EQ(res->body.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(
      Send("GET", "/v1/certificates/99", {{"Authorization", "Bearer " + backend_->viewer_token}})
          ->status,
      404);
}

TEST_F(DashboardApiTest, ResponsesAreNotCompressed) {
  // Brotli at cpp-httplib's quality cost ~1 s per 400 KB inventory page: the server ignores
  // Accept-Encoding (loopback/LAN, where bytes are cheap and CPU is not).
  for (const char* path : {"/assets/app.js", "/v1/certificates"}) {
    auto res = Send("GET", path,
                    {{"Accept-Encoding", "gzip, deflate, br"},
                     {"Authorization", "Bearer " + backend_->viewer_token}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->get_header_value("Content-Encoding"), "") << path;
  }
}

TEST(SessionCookieTest, CookieValueFindsTheNamedCookie) {
  EXPECT_EQ(CookieValue("a=1; ck_session=xyz; b=2", "ck_session"), "xyz");
  EXPECT_EQ(CookieValue("ck_session=\"q\"", "ck_session"), "q");
  EXPECT_EQ(CookieValue("xck_session=1", "ck_session"), "");
  EXPECT_EQ(CookieValue("", "ck_session"), "");
}

TEST(OriginTest, OnlyThisServersOriginCounts) {
  auto req = [](std::map<std::string, std::string> headers) {
    HttpRequest r;
    r.method = "POST";
    r.headers = std::move(headers);
    r.headers["host"] = "127.0.0.1:8443";
    return r;
  };
  EXPECT_TRUE(OriginIsSameSite(req({})));  // curl, scripts: no Origin
  EXPECT_TRUE(OriginIsSameSite(req({{"origin", "https://127.0.0.1:8443"}})));
  EXPECT_TRUE(OriginIsSameSite(
      req({{"origin", "https://127.0.0.1:8443"}, {"sec-fetch-site", "same-origin"}})));
  EXPECT_FALSE(OriginIsSameSite(req({{"origin", "https://127.0.0.1:9443"}})));
  EXPECT_FALSE(OriginIsSameSite(req({{"origin", "https://evil.example"}})));
  EXPECT_FALSE(OriginIsSameSite(req({{"origin", "null"}})));
  EXPECT_FALSE(OriginIsSameSite(req({{"origin", "file://127.0.0.1:8443"}})));
  EXPECT_FALSE(OriginIsSameSite(req({{"sec-fetch-site", "cross-site"}})));
  EXPECT_FALSE(OriginIsSameSite(req({{"sec-fetch-site", "same-site"}})));
}

TEST(DaysLeftTest, RoundsDown) {
  EXPECT_EQ(DaysLeft(kNow + hours(47), kNow), 1);
  EXPECT_EQ(DaysLeft(kNow + hours(48), kNow), 2);
  EXPECT_EQ(DaysLeft(kNow, kNow), 0);
  EXPECT_EQ(DaysLeft(kNow - std::chrono::seconds(1), kNow), -1);
  EXPECT_EQ(DaysLeft(kNow - hours(24), kNow), -1);
  EXPECT_EQ(DaysLeft(kNow - hours(25), kNow), -2);
}

}  // namespace
}  // namespace ck::web
