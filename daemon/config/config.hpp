// The daemon's configuration: a TOML file (default /etc/certkeeper/certkeeper.toml) validated
// strictly, so a typo is reported with its key and line instead of being silently ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ca/settings.hpp"
#include "common/log.hpp"
#include "common/status.hpp"

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
};

// Parses TOML text. Errors name the file, the line and the key:
//   "certkeeper.toml:7: log.level: unknown log level 'verbose' (expected ...)".
Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name);

// Reads and parses a file. NotFound when it does not exist (callers decide if that is fatal).
Result<Config> LoadConfigFile(const std::string& path);

}  // namespace ck::config
