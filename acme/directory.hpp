// The ACME directory (RFC 8555 §7.1.1), with the ARI (RFC 9773 §4) and profiles extensions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace ck::acme {

struct DirectoryMeta {
  std::string terms_of_service;
  std::string website;
  std::vector<std::string> caa_identities;
  bool external_account_required = false;
  // Let's Encrypt profiles extension: name -> human description ("classic", "shortlived").
  std::map<std::string, std::string> profiles;
};

struct Directory {
  std::string new_nonce;
  std::string new_account;
  std::string new_order;
  std::string new_authz;  // optional (pre-authorization)
  std::string revoke_cert;
  std::string key_change;
  std::string renewal_info;  // RFC 9773 §4; empty when the CA has no ARI
  DirectoryMeta meta;
};

// InvalidArgument when `body` is not a JSON object or lacks newNonce, newAccount or newOrder;
// every URL must be http(s). Unknown members are ignored.
Result<Directory> ParseDirectory(std::string_view body);

}  // namespace ck::acme
