#include "common/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/clock.hpp"

namespace ck::log {
namespace {

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

// Text values are quoted when they contain spaces, quotes or '=' so lines stay parseable.
std::string TextValue(std::string_view s) {
  bool needs_quotes = s.empty();
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t') needs_quotes = true;
  }
  if (!needs_quotes) return std::string(s);
  return "\"" + JsonEscape(s) + "\"";
}

std::string NowTimestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::string base = FormatRfc3339(now);  // ends in 'Z'
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%03dZ", static_cast<int>(ms));
  return base.substr(0, base.size() - 1) + buf;
}

}  // namespace

Result<Level> ParseLevel(std::string_view s) {
  if (s == "debug") return Level::kDebug;
  if (s == "info") return Level::kInfo;
  if (s == "warn" || s == "warning") return Level::kWarn;
  if (s == "error") return Level::kError;
  return InvalidArgumentError("unknown log level '" + std::string(s) +
                              "' (expected debug, info, warn or error)");
}

Result<Format> ParseFormat(std::string_view s) {
  if (s == "text") return Format::kText;
  if (s == "json") return Format::kJson;
  return InvalidArgumentError("unknown log format '" + std::string(s) +
                              "' (expected text or json)");
}

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::string Redact(std::string_view value) {
  if (value.find("PRIVATE KEY") != std::string_view::npos) return "[REDACTED private key]";
  return std::string(value);
}

Logger::Logger()
    : sink_([](std::string_view line) {
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fputc('\n', stderr);
        std::fflush(stderr);
      }) {}

void Logger::SetLevel(Level l) {
  std::lock_guard lock(mu_);
  level_ = l;
}
void Logger::SetFormat(Format f) {
  std::lock_guard lock(mu_);
  format_ = f;
}
void Logger::SetSink(Sink sink) {
  std::lock_guard lock(mu_);
  sink_ = std::move(sink);
}
bool Logger::Enabled(Level l) const {
  std::lock_guard lock(mu_);
  return l >= level_;
}

std::string Logger::FormatLine(Level level, std::string_view message, const Fields& fields) const {
  Format format;
  {
    std::lock_guard lock(mu_);
    format = format_;
  }
  std::string line;
  if (format == Format::kJson) {
    line = "{\"ts\":\"" + NowTimestamp() + "\",\"level\":\"" + std::string(LevelName(level)) +
           "\",\"msg\":\"" + JsonEscape(Redact(message)) + "\"";
    for (const auto& f : fields) {
      line += ",\"" + JsonEscape(f.key) + "\":\"" + JsonEscape(Redact(f.value)) + "\"";
    }
    line += "}";
  } else {
    line = NowTimestamp() + " " + std::string(LevelName(level)) + " " + Redact(message);
    for (const auto& f : fields) line += " " + f.key + "=" + TextValue(Redact(f.value));
  }
  return line;
}

void Logger::Log(Level level, std::string_view message, const Fields& fields) {
  if (!Enabled(level)) return;
  std::string line = FormatLine(level, message, fields);
  std::lock_guard lock(mu_);
  if (sink_) sink_(line);
}

Logger& Default() {
  static Logger* logger = new Logger();  // never destroyed: usable from any static dtor
  return *logger;
}

void Failure(std::string_view cert_name, const Status& reason, std::string_view message,
             Fields extra) {
  Fields fields;
  fields.reserve(extra.size() + 3);
  fields.push_back({"cert", cert_name.empty() ? std::string("-") : std::string(cert_name)});
  fields.push_back({"reason", reason.message()});
  fields.push_back({"code", std::string(StatusCodeName(reason.code()))});
  for (auto& f : extra) fields.push_back(std::move(f));
  Default().Log(Level::kError, message, fields);
}

}  // namespace ck::log
