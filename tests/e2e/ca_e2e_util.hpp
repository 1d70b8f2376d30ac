// Shared by the CA end-to-end tests: an Authority on a SqliteStore file in a TempDir, helpers
// that write what it issued to PEM files for openssl/curl, and running the openssl binary.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "store/sqlite_store.hpp"
#include "tests/testing/child_process.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::ca::e2e {

inline std::pair<int, std::string> OpenSsl(std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/openssl");
  return ck::testing::RunCommand(args);
}

inline CaSettings E2eSettings() {
  CaSettings s;
  s.trust_domain = "example.org";
  s.crl_url = "http://127.0.0.1:1/crl/{ca}.crl";
  s.ocsp_url = "http://127.0.0.1:1/ocsp";
  return s;
}

// Wall-clock time, whole seconds: what openssl and curl will check against.
inline TimePoint Now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(SystemClock().Now());
}

class CaE2eFixture : public ::testing::Test {
 protected:
  // Creates the CA as of `at` and writes root.pem and inter.pem.
  void InitCa(TimePoint at, const InitOptions& options = {}, CaSettings settings = E2eSettings()) {
    auto key = store::MasterKey::Generate();
    ASSERT_OK(key);
    auto opened = store::SqliteStore::Open(dir_.Path("ca.db"), *key);
    ASSERT_OK(opened);
    store_ = std::move(*opened);
    authority_ = std::make_unique<Authority>(*store_, std::move(settings));
    ASSERT_OK(authority_->Init(options, at));
    auto chain = authority_->ChainBundle();
    ASSERT_OK(chain);
    root_pem_ = dir_.WriteFile("root.pem", chain->back().ToPem());
    inter_pem_ = dir_.WriteFile("inter.pem", chain->front().ToPem());
  }

  Issued Issue(const std::string& profile, pki::SanRequest sans, TimePoint at,
               std::optional<seconds> lifetime = std::nullopt) {
    KeyIssueRequest req;
    req.options.profile = profile;
    req.options.lifetime = lifetime;
    req.sans = std::move(sans);
    auto issued = authority_->IssueWithKey(req, at);
    EXPECT_OK(issued);
    return std::move(issued).value();
  }

  struct Files {
    std::string cert, key, fullchain;
  };
  // <name>.crt, <name>.key (0600) and <name>.full.pem (certificate + intermediate).
  Files Write(const std::string& name, const Issued& issued) {
    Files f;
    f.cert = dir_.WriteFile(name + ".crt", issued.CertificatePem());
    f.key = dir_.WriteFile(name + ".key", issued.key ? issued.key->ToPem() : "", 0600);
    f.fullchain =
        dir_.WriteFile(name + ".full.pem", issued.CertificatePem() + pki::ChainToPem(issued.chain));
    return f;
  }

  std::string WriteCrl(const std::string& name, std::string_view ca_name = "") {
    auto crl = authority_->CurrentCrl(ca_name);
    EXPECT_OK(crl);
    return dir_.WriteFile(name, crl.ok() ? crl->crl_pem : "");
  }

  ck::testing::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Authority> authority_;
  std::string root_pem_, inter_pem_;
};

}  // namespace ck::ca::e2e
