// The daemon's configuration: a TOML file (default /etc/certkeeper/certkeeper.toml) validated
// strictly, so a typo is reported with its key and line instead of being silently ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ca/settings.hpp"
#include "common/log.hpp"
#include "common/status.hpp"
#include "daemon/config/alerts_config.hpp"
#include "daemon/config/metrics_config.hpp"
#include "daemon/config/watch_config.hpp"
#include "daemon/renewal/renewal_policy.hpp"

namespace ck::config {

inline constexpr std::string_view kDefaultConfigPath = "/etc/certkeeper/certkeeper.toml";
inline constexpr std::string_view kDefaultStateDir = "/var/lib/certkeeper";
inline constexpr std::string_view kDefaultListen = "127.0.0.1:8443";

struct ListenAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;
  std::string ToString() const;
};

// "127.0.0.1:8443", "[::1]:8443", "localhost:0". Port 0 asks the OS for a free port.
Result<ListenAddress> ParseListenAddress(std::string_view text);

struct LogConfig {
  log::Level level = log::Level::kInfo;
  log::Format format = log::Format::kText;
};

// [acme.accounts.NAME]: one ACME account (issue 4).
struct AcmeAccountConfig {
  std::string name;                // the table key in [acme.accounts.NAME]
  std::string server;              // directory URL, required, https:// (http:// only for loopback)
  std::string email;               // optional, without "mailto:"; becomes the "mailto:" contact
  std::string ca_bundle;           // trust for the ACME server's HTTPS; overrides [acme].ca_bundle
  std::string eab_kid;             // External Account Binding; needs eab_hmac_file
  std::string eab_hmac_file;       // file holding the base64url HMAC key (secret: mode 0600/0400)
  std::string key = "ecdsa-p256";  // account key type, canonical pki::KeyTypeName
  int line = 0;                    // source line, for messages
};

// [acme]: defaults shared by every account and the built-in solver listeners.
struct AcmeConfig {
  std::string ca_bundle;                   // default trust for all ACME servers
  std::string http_listen = "0.0.0.0:80";  // built-in http-01 listener (host:port)
  std::string tls_listen = "0.0.0.0:443";  // built-in tls-alpn-01 listener
  // IPv4[:port] servers for the dns-01 propagation check; empty = authoritative discovery.
  std::vector<std::string> dns_resolvers;
  std::map<std::string, AcmeAccountConfig> accounts;
  int line = 0;  // source line of [acme], for messages
};

// [certificate.pins]: publish the next key's pin `overlap` before it enters service.
struct PinPolicyConfig {
  std::chrono::seconds overlap = std::chrono::hours(24 * 30);  // "30d"
};

// One [[certificate]]: a certificate the daemon keeps valid and deployed (issue 5).
struct CertificateConfig {
  std::string name;                  // [a-z0-9][a-z0-9._-]{0,62}; unique; used in paths
  std::vector<std::string> domains;  // DNS names (lowercased; "*." for acme only with dns-01)
                                     // and IP addresses
  std::vector<std::string> uris;     // URI SANs (spiffe://...), only for ca: issuers
  std::string issuer;                // "acme:ACCOUNT" or "ca:PROFILE", both checked to exist
  std::string fallback_issuer;       // optional second issuer, same syntax (multi-CA failover)
  int failover_after = 3;            // consecutive failures before the fallback is used
  std::string solver = "http-01";    // acme only: http-01 | tls-alpn-01 | dns-01
  std::string webroot;               // http-01 via webroot instead of the built-in listener
  std::string dns_exec;              // dns-01 exec provider (lego: PROG present|cleanup FQDN VALUE)
  std::string dns_rfc2136;           // dns-01 RFC 2136 server IPv4[:port]
  std::string tsig_key;              // tsig-keygen file for dns_rfc2136
  std::string dns_zone;              // optional zone for rfc2136
  std::string profile;               // ACME profile (classic, tlsserver, shortlived), acme only
  std::string preferred_chain;       // acme only
  std::string key = "ecdsa-p256";    // key type, canonical pki::KeyTypeName ("rsa2048")
  bool reuse_key = false;            // TOML `key_policy`: "new" (default) | "reuse"
  std::optional<std::chrono::seconds> lifetime;  // ca only; <= every ca: profile's max_lifetime
  renewal::RenewalPolicy renewal;                // renew_before, jitter, [[certificate.freeze]]
  std::vector<nlohmann::json> deploy;   // each [[certificate.deploy]] as JSON; "type" is checked
  std::vector<int> deploy_lines;        // source line of each deploy table, parallel to `deploy`
  std::optional<PinPolicyConfig> pins;  // present when [certificate.pins] exists
  int line = 0;                         // source line, for messages
};

// The deploy target types a [[certificate.deploy]] table may name.
inline constexpr std::string_view kDeployTypes[] = {"files",   "exec",    "nginx",
                                                    "haproxy", "webhook", "pull"};

struct Config {
  // Where the file came from ("" when running on built-in defaults), for messages.
  std::string source_path;
  std::string state_dir;  // empty: decided by ResolveStateDir()
  ListenAddress listen;
  // Master key file; empty means $CREDENTIALS_DIRECTORY/master-key, then <state_dir>/master.key.
  std::string master_key_file;
  LogConfig log;
  // [ca]: the internal CA. Without a [ca.profiles.*] table the built-in server, client and
  // peer profiles apply; once one is defined, exactly the defined ones exist (a profile named
  // server/client/peer starts from that built-in's settings).
  ca::CaSettings ca;
  // [acme] and [acme.accounts.NAME].
  AcmeConfig acme;
  // [[certificate]], in file order.
  std::vector<CertificateConfig> certificates;
  // [alerts] and [[alerts.channel]].
  AlertsConfig alerts;

  // [metrics]: scrape access to GET /metrics.
  MetricsConfig metrics;
  // [[watch]] (external endpoints and certificate files) and [monitor] (their schedule).
  std::vector<WatchConfig> watches;
  MonitorConfig monitor;

  const CertificateConfig* FindCertificate(std::string_view name) const;
};

// Parses TOML text. Errors name the file, the line and the key:
//   "certkeeper.toml:7: log.level: unknown log level 'verbose' (expected ...)".
Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name);

// Reads and parses a file. NotFound when it does not exist (callers decide if that is fatal).
Result<Config> LoadConfigFile(const std::string& path);

// The checks that need the file system, for `config check` and daemon start: CA bundles
// readable, EAB HMAC and TSIG key files private (0600/0400), dns_exec executable, webroot a
// directory. Errors name the file, line and key like ParseConfig's.
Status CheckReferencedFiles(const Config& config);

// The commented example printed by `certkeeper config example` (= examples/certkeeper.toml).
std::string_view ExampleConfigText();

}  // namespace ck::config
