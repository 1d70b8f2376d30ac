// Strict reading of one [[certificate.deploy]] table: every key is known to its type, every
// value has the right shape, and an error names the target type and the key, so a typo such as
// `verfy_addr` is reported instead of silently disabling the closed-loop check.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace ck::deploy {

// "host:port" or "[v6]:port" where a consumer serves TLS, for the closed-loop check.
struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const;
};
Result<HostPort> ParseHostPort(std::string_view text);

// Managed certificate names end up in paths: [a-z0-9][a-z0-9._-]{0,62}.
Status CheckCertificateName(std::string_view name);

class TargetConfig {
 public:
  // Fails unless `target` is an object whose "type" is a string and whose keys are all in
  // `known` (plus "type").
  static Result<TargetConfig> Open(const nlohmann::json& target,
                                   std::initializer_list<std::string_view> known);

  const std::string& type() const { return type_; }

  // Each returns `fallback` when the key is absent and InvalidArgument when it has the wrong
  // shape; Required* fail when absent or empty.
  Result<std::string> String(std::string_view key, std::string fallback = "") const;
  Result<std::string> RequiredString(std::string_view key) const;
  Result<bool> Bool(std::string_view key, bool fallback) const;
  Result<int> Int(std::string_view key, int fallback, int min, int max) const;
  // ParseDuration syntax ("60s", "2m"); must be positive.
  Result<std::chrono::seconds> Duration(std::string_view key, std::chrono::seconds fallback) const;
  // An octal string such as "0600".
  Result<mode_t> Mode(std::string_view key, mode_t fallback) const;
  Result<std::optional<HostPort>> Address(std::string_view key) const;

  // "deploy target 'nginx': key 'conf' ..." prefix for messages.
  Status Error(std::string_view key, std::string_view what) const;

 private:
  TargetConfig(const nlohmann::json* j, std::string type) : json_(j), type_(std::move(type)) {}
  const nlohmann::json* Find(std::string_view key) const;

  const nlohmann::json* json_;
  std::string type_;
};

}  // namespace ck::deploy
