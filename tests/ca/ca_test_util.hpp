// Shared by the Authority tests: an Authority on a fresh in-memory SqliteStore, with test
// settings (trust domain, CRL/OCSP/AIA URLs) and a fixed starting instant.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "store/sqlite_store.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::ca::testing {

inline CaSettings TestSettings() {
  CaSettings s;
  s.trust_domain = "example.org";
  s.crl_url = "http://ca.test/crl/{ca}.crl";
  s.ocsp_url = "http://ca.test/ocsp";
  s.ca_issuers_url = "http://ca.test/ca/{ca}.crt";
  Profile svc = ProfileDefaults("server");
  svc.name = "svc";
  svc.max_lifetime = std::chrono::hours(24 * 7);
  svc.policy.allow_dns = {"**.svc.internal"};
  svc.policy.allow_ip = {"10.0.0.0/8"};
  s.profiles.push_back(svc);
  return s;
}

class AuthorityFixture : public ::testing::Test {
 protected:
  void SetUp() override { Reset(TestSettings()); }

  void Reset(CaSettings settings) {
    authority_.reset();
    auto key = store::MasterKey::Generate();
    ASSERT_OK(key);
    auto opened = store::SqliteStore::Open(":memory:", *key);
    ASSERT_OK(opened);
    store_ = std::move(*opened);
    authority_ = std::make_unique<Authority>(*store_, std::move(settings));
  }

  void InitCa(const InitOptions& options = {}) { ASSERT_OK(authority_->Init(options, now_)); }

  // A server certificate for `dns` with a generated key.
  Issued IssueServer(const std::string& dns, std::string profile = "server",
                     std::optional<TimePoint> at = std::nullopt) {
    KeyIssueRequest req;
    req.options.profile = std::move(profile);
    req.sans.dns_names = {dns};
    auto issued = authority_->IssueWithKey(req, at.value_or(now_));
    EXPECT_OK(issued);
    return std::move(issued).value();
  }

  size_t CertificateCount() { return store_->ListCertificates({})->size(); }
  size_t EventCount() {
    store::EventQuery q;
    q.limit = 0;
    return store_->ListEvents(q)->size();
  }
  size_t KeyCount() { return store_->ListKeys()->size(); }

  TimePoint now_ = TimePoint(std::chrono::seconds(1'900'000'000));  // 2030-03-17
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Authority> authority_;
};

}  // namespace ck::ca::testing
