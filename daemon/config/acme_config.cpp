// [acme] and [acme.accounts.NAME].
#include <arpa/inet.h>

#include <charconv>

#include "daemon/config/toml_helpers.hpp"
#include "pki/general_names.hpp"
#include "pki/key.hpp"

namespace ck::config::detail {
namespace {

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  unsigned char addr[4];
  std::string h(host);
  return inet_pton(AF_INET, h.c_str(), addr) == 1 && addr[0] == 127;
}

// RFC 8555 §6.1: ACME requires HTTPS. Plain http:// is allowed only on loopback (a local test
// server), where nobody can sit in the middle.
Status ValidateDirectoryUrl(std::string_view url) {
  std::string_view rest;
  bool https = false;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
    https = true;
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return InvalidArgumentError("'" + std::string(url) +
                                "' is not an https:// URL (the ACME directory URL)");
  }
  for (char c : url) {
    if (c <= ' ' || c == 0x7f) {
      return InvalidArgumentError("'" + std::string(url) + "' contains whitespace");
    }
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgumentError("'" + std::string(url) + "': user info is not allowed in the URL");
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') == std::string_view::npos ? 0 : host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host.empty()) return InvalidArgumentError("'" + std::string(url) + "' has no host");
  if (!https && !IsLoopbackHost(host)) {
    return InvalidArgumentError("'" + std::string(url) +
                                "': ACME needs https:// (http:// only for a loopback test server)");
  }
  return OkStatus();
}

Status ValidateListen(std::string_view text) { return ParseListenAddress(text).status(); }

Status ParseAccount(std::string_view source, const std::string& name, const toml::node& node,
                    AcmeAccountConfig& a) {
  const std::string prefix = "acme.accounts." + name;
  const toml::table* t = node.as_table();
  if (t == nullptr) return KeyError(source, node, prefix, "expected a table");
  if (!IsValidObjectName(name)) {
    return KeyError(source, node, prefix,
                    "account names are 1..63 of a-z, 0-9, '.', '_', '-', starting with a letter "
                    "or digit");
  }
  RETURN_IF_ERROR(CheckKnownKeys(
      source, *t, prefix, {"server", "email", "ca_bundle", "eab_kid", "eab_hmac_file", "key"}));
  a.name = name;
  a.line = Line(node);
  const toml::node* server = t->get("server");
  if (server == nullptr) {
    return KeyError(source, node, prefix + ".server",
                    "required (the ACME directory URL, e.g. "
                    "https://acme-v02.api.letsencrypt.org/directory)");
  }
  ASSIGN_OR_RETURN(a.server, GetString(source, *server, prefix + ".server"));
  if (Status st = ValidateDirectoryUrl(a.server); !st.ok()) {
    return KeyError(source, *server, prefix + ".server", st.message());
  }
  if (const toml::node* n = t->get("email")) {
    ASSIGN_OR_RETURN(a.email, GetString(source, *n, prefix + ".email"));
    // RFC 8555 §7.3 contacts are mailto: URLs; accept either form, keep the address.
    if (a.email.starts_with("mailto:")) a.email.erase(0, 7);
    if (Status st = pki::ValidateEmail(a.email); !st.ok()) {
      return KeyError(source, *n, prefix + ".email", st.message());
    }
  }
  if (const toml::node* n = t->get("ca_bundle")) {
    ASSIGN_OR_RETURN(a.ca_bundle, GetAbsolutePath(source, *n, prefix + ".ca_bundle"));
  }
  if (const toml::node* n = t->get("key")) {
    ASSIGN_OR_RETURN(std::string text, GetString(source, *n, prefix + ".key"));
    auto type = pki::ParseKeyType(text);
    if (!type.ok()) return KeyError(source, *n, prefix + ".key", type.status().message());
    a.key = std::string(pki::KeyTypeName(*type));
  }
  const toml::node* kid = t->get("eab_kid");
  const toml::node* hmac = t->get("eab_hmac_file");
  if (kid != nullptr) {
    ASSIGN_OR_RETURN(a.eab_kid, GetString(source, *kid, prefix + ".eab_kid"));
    if (a.eab_kid.empty()) return KeyError(source, *kid, prefix + ".eab_kid", "must not be empty");
    if (hmac == nullptr) {
      return KeyError(source, *kid, prefix + ".eab_kid",
                      "needs eab_hmac_file (the file holding the base64url HMAC key the CA gave "
                      "with this key id)");
    }
  }
  if (hmac != nullptr) {
    ASSIGN_OR_RETURN(a.eab_hmac_file, GetAbsolutePath(source, *hmac, prefix + ".eab_hmac_file"));
    if (kid == nullptr) {
      return KeyError(source, *hmac, prefix + ".eab_hmac_file",
                      "needs eab_kid (the External Account Binding key id)");
    }
  }
  return OkStatus();
}

}  // namespace

bool IsValidObjectName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

Status ValidateDnsServer(std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError("'" + std::string(text) +
                                "' is not an IPv4 address with an optional port "
                                "(e.g. 192.0.2.53 or 127.0.0.1:5353)");
  };
  std::string_view host = text;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return bad();
    }
  }
  unsigned char addr[4];
  if (inet_pton(AF_INET, std::string(host).c_str(), addr) != 1) return bad();
  return OkStatus();
}

Status ParseAcmeTable(std::string_view source, const toml::node& node, AcmeConfig& out) {
  const toml::table* t = node.as_table();
  if (t == nullptr) return KeyError(source, node, "acme", "expected a table ([acme])");
  out.line = Line(node);
  RETURN_IF_ERROR(CheckKnownKeys(
      source, *t, "acme", {"ca_bundle", "http_listen", "tls_listen", "dns_resolvers", "accounts"}));
  if (const toml::node* n = t->get("ca_bundle")) {
    ASSIGN_OR_RETURN(out.ca_bundle, GetAbsolutePath(source, *n, "acme.ca_bundle"));
  }
  for (auto [key, field] :
       {std::pair{"http_listen", &out.http_listen}, std::pair{"tls_listen", &out.tls_listen}}) {
    if (const toml::node* n = t->get(key)) {
      const std::string full = std::string("acme.") + key;
      ASSIGN_OR_RETURN(*field, GetString(source, *n, full));
      if (Status st = ValidateListen(*field); !st.ok()) {
        return KeyError(source, *n, full, st.message());
      }
    }
  }
  if (const toml::node* n = t->get("dns_resolvers")) {
    ASSIGN_OR_RETURN(out.dns_resolvers,
                     GetStringList(source, *n, "acme.dns_resolvers", ValidateDnsServer));
  }
  if (const toml::node* n = t->get("accounts")) {
    const toml::table* at = n->as_table();
    if (at == nullptr) {
      return KeyError(source, *n, "acme.accounts", "expected tables ([acme.accounts.NAME])");
    }
    for (const auto& [name, account_node] : *at) {
      AcmeAccountConfig a;
      RETURN_IF_ERROR(ParseAccount(source, std::string(name.str()), account_node, a));
      out.accounts.emplace(a.name, std::move(a));
    }
  }
  return OkStatus();
}

}  // namespace ck::config::detail
