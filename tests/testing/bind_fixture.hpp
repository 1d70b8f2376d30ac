// A real BIND 9 `named` on a free loopback port, authoritative for one zone that accepts
// RFC 2136 updates signed with a TSIG key (hmac-sha256), every name resolving to 127.0.0.1.
// Started and stopped by pid, its files in a temp dir.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::testing {

class BindFixture {
 public:
  static bool Installed();  // /usr/sbin/named exists
  static Result<std::unique_ptr<BindFixture>> Start(const std::string& zone = "example.test");
  ~BindFixture();
  BindFixture(const BindFixture&) = delete;
  BindFixture& operator=(const BindFixture&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& zone() const { return zone_; }
  const std::string& key_file() const { return key_file_; }  // BIND key file (tsig-keygen format)
  const std::string& key_name() const { return key_name_; }
  std::string Log() const { return tmp_.ReadFile("named.log"); }

 private:
  BindFixture() = default;
  TempDir tmp_;
  std::string zone_, key_file_, key_name_ = "certkeeper-test";
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace ck::testing
