// Fuzz target: ck::config::ParseConfig (strict TOML daemon configuration) and
// ParseListenAddress. A configuration that parses must mean the same thing after being written
// back out as TOML, errors must name the file, and no exception may escape (toml++ throws).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon/config/config.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace ck;  // NOLINT(google-build-using-namespace)

constexpr std::string_view kSource = "fuzz.toml";

// A TOML basic string holding exactly `s` (which toml++ gave us, so it is valid UTF-8). Non-ASCII
// code points are written as \uXXXX / \UXXXXXXXX escapes: ParseConfig refuses raw non-ASCII.
std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
      uint32_t cp = c & (0x3F >> extra);
      for (int k = 1; k <= extra && i + k < s.size(); ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      }
      char buf[16];
      if (cp > 0xFFFF) {
        std::snprintf(buf, sizeof buf, "\\U%08X", cp);
      } else {
        std::snprintf(buf, sizeof buf, "\\u%04X", cp);
      }
      out += buf;
      i += 1 + extra;
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out + "\"";
}

std::string ToToml(const config::Config& c) {
  std::string out;
  if (!c.state_dir.empty()) out += "state_dir = " + TomlString(c.state_dir) + "\n";
  out += "listen = " + TomlString(c.listen.ToString()) + "\n";
  if (!c.master_key_file.empty()) {
    out += "master_key_file = " + TomlString(c.master_key_file) + "\n";
  }
  out += "[log]\nlevel = " + TomlString(std::string(log::LevelName(c.log.level))) + "\n";
  out += std::string("format = ") + (c.log.format == log::Format::kJson ? "\"json\"" : "\"text\"");
  return out + "\n";
}

bool SameConfig(const config::Config& a, const config::Config& b) {
  return a.source_path == b.source_path && a.state_dir == b.state_dir &&
         a.listen.host == b.listen.host && a.listen.port == b.listen.port &&
         a.master_key_file == b.master_key_file && a.log.level == b.log.level &&
         a.log.format == b.log.format;
}

void CheckListenAddress(std::string_view text) {
  auto addr = config::ParseListenAddress(text);
  if (!addr.ok()) {
    FUZZ_CHECK(addr.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(!addr->host.empty());
  // The canonical form (what `config check` prints) must read back as the same address.
  auto again = config::ParseListenAddress(addr->ToString());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->host == addr->host && again->port == addr->port);
}

// toml++ 3.3.0 (Debian 12) reaches __builtin_unreachable on some non-ASCII code points
// (marzer/tomlplusplus#295). CK_FUZZ_CONFIG_ASCII_ONLY=1 skips such inputs so a fuzzing
// session can look past it; see README.md.
bool SkipNonAscii(std::string_view text) {
  static const bool skip = [] {
    const char* v = std::getenv("CK_FUZZ_CONFIG_ASCII_ONLY");
    return v != nullptr && std::string_view(v) == "1";
  }();
  if (!skip) return false;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = ck::fuzz::AsText(data, size);
  if (SkipNonAscii(text)) return 0;
  CheckListenAddress(text);

  auto cfg = config::ParseConfig(text, kSource);
  auto twice = config::ParseConfig(text, kSource);
  FUZZ_CHECK(cfg.ok() == twice.ok());
  if (!cfg.ok()) {
    FUZZ_CHECK(cfg.status().code() == StatusCode::kInvalidArgument);
    // "fuzz.toml:7: log.level: ..." — every error names the file and the line.
    FUZZ_CHECK(cfg.status().message().rfind(std::string(kSource) + ":", 0) == 0);
    FUZZ_CHECK(cfg.status().message() == twice.status().message());
    return 0;
  }
  FUZZ_CHECK(SameConfig(*cfg, *twice));
  FUZZ_CHECK(cfg->source_path == kSource);
  FUZZ_CHECK(cfg->state_dir.empty() || cfg->state_dir.front() == '/');
  const std::string listen = cfg->listen.ToString();
  CheckListenAddress(listen);

  // Written back as TOML, the configuration must parse to the same values.
  const std::string toml = ToToml(*cfg);
  auto again = config::ParseConfig(toml, kSource);
  if (!again.ok()) {
    std::fprintf(stderr, "re-serialized config was refused: %s\n---\n%s---\n",
                 again.status().message().c_str(), toml.c_str());
  }
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(SameConfig(*cfg, *again));
  return 0;
}
