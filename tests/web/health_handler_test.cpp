#include "web/health_handler.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "tests/web/fake_backend.hpp"
#include "web/admin_server.hpp"

namespace ck::web {
namespace {

class FakeBackend : public FakeBackendBase {
 public:
  HealthReport Health() override { return report; }
  HealthReport report{"test", {{"store", true, "schema v3"}}};
};

HttpRequest Req(const std::string& method) {
  HttpRequest r;
  r.method = method;
  r.path = "/healthz";
  return r;
}

TEST(HealthHandlerTest, OkWhenAllChecksPass) {
  FakeBackend backend;
  HttpResponse r = HandleHealthz(Req("GET"), backend);
  EXPECT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["checks"]["store"]["ok"], true);
}

TEST(HealthHandlerTest, UnavailableWhenACheckFails) {
  FakeBackend backend;
  backend.report.checks.push_back({"disk", false, "read-only"});
  HttpResponse r = HandleHealthz(Req("GET"), backend);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"], "unhealthy");
}

TEST(HealthHandlerTest, RejectsOtherMethods) {
  FakeBackend backend;
  HttpResponse r = HandleHealthz(Req("POST"), backend);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.content_type, "application/problem+json");
}

TEST(ProblemResponseTest, MapsCodes) {
  EXPECT_EQ(ProblemResponse(NotFoundError("x")).status, 404);
  EXPECT_EQ(ProblemResponse(PermissionDeniedError("x")).status, 403);
  EXPECT_EQ(ProblemResponse(UnauthenticatedError("x")).status, 401);
  EXPECT_EQ(ProblemResponse(UnavailableError("x")).status, 503);
  auto j = nlohmann::json::parse(ProblemResponse(InvalidArgumentError("bad csr")).body);
  EXPECT_EQ(j["status"], 400);
  EXPECT_EQ(j["detail"], "bad csr");
}

TEST(AdminServerTest, ServesHealthzOverRealSocket) {
  FakeBackend backend;
  AdminServerOptions options;
  options.port = 0;
  AdminServer server(options, backend);
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << port.status().ToString();
  httplib::Client client("127.0.0.1", *port);
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->get_header_value("Content-Type"), "application/problem+json");
  server.Stop();
  server.Stop();  // idempotent
}

TEST(AdminServerTest, PortInUseIsAClearError) {
  FakeBackend backend;
  AdminServerOptions options;
  options.port = 0;
  AdminServer first(options, backend);
  auto port = first.Start();
  ASSERT_TRUE(port.ok());
  options.port = *port;
  AdminServer second(options, backend);
  auto again = second.Start();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(again.status().message().find("cannot listen on 127.0.0.1"), std::string::npos);
}

}  // namespace
}  // namespace ck::web
