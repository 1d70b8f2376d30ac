// A small ACME server over real HTTP on 127.0.0.1:0 for what Debian's Pebble 2.4 lacks: ARI
// (RFC 9773: renewalInfo, certificate IDs, "replaces", alreadyReplaced) and profiles
// (meta.profiles, "profile" on orders). Authorizations are valid at once (no challenges); the
// finalize CSR is signed by a TestCa with a validity that depends on the profile. It checks
// what a CA checks for these extensions, and records what clients sent.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "tests/testing/test_ca.hpp"

namespace httplib {
class Server;
}

namespace ck::acme::testing {

class ScriptedAcmeServer {
 public:
  struct Options {
    bool renewal_info = true;
    std::map<std::string, std::string> profiles = {{"classic", "90-day certificates"},
                                                   {"shortlived", "6-day certificates"}};
  };
  explicit ScriptedAcmeServer(Options options);
  ScriptedAcmeServer() : ScriptedAcmeServer(Options{}) {}
  ~ScriptedAcmeServer();

  std::string directory_url() const;
  const ck::testing::TestCa& ca() const { return *ca_; }

  // The window served for a certificate ID (default: the middle third of its validity).
  void SetWindow(const std::string& cert_id, TimePoint start, TimePoint end);
  int retry_after_seconds = 21600;

  // What clients sent in newOrder, in order.
  std::vector<nlohmann::json> new_orders() const;

 private:
  struct Order {
    nlohmann::json json;
    std::string cert_pem;
  };
  struct Issued {
    TimePoint not_before, not_after;
    bool replaced = false;
  };
  void Routes();

  Options options_;
  std::unique_ptr<ck::testing::TestCa> ca_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  int next_ = 0;
  std::map<int, Order> orders_;
  std::map<std::string, Issued> issued_;  // by ARI certificate ID
  std::map<std::string, std::pair<TimePoint, TimePoint>> windows_;
  std::vector<nlohmann::json> new_orders_;
};

}  // namespace ck::acme::testing
