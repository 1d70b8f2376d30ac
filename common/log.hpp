// Structured logging: one line per event, text ("ts level msg key=value ...") or JSON lines.
// Failures go through Failure(), which always carries the certificate name and the reason.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace ck::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError };
enum class Format { kText, kJson };

struct Field {
  std::string key;
  std::string value;
};
using Fields = std::vector<Field>;

// "debug"/"info"/"warn"/"error" and "text"/"json"; InvalidArgument on anything else.
Result<Level> ParseLevel(std::string_view s);
Result<Format> ParseFormat(std::string_view s);
std::string_view LevelName(Level l);

class Logger {
 public:
  using Sink = std::function<void(std::string_view line)>;

  Logger();  // info level, text format, writes to stderr
  void SetLevel(Level l);
  void SetFormat(Format f);
  void SetSink(Sink sink);  // tests capture lines here
  bool Enabled(Level l) const;

  void Log(Level level, std::string_view message, const Fields& fields = {});

  // Builds the line without emitting it (exposed for tests).
  std::string FormatLine(Level level, std::string_view message, const Fields& fields) const;

 private:
  mutable std::mutex mu_;
  Level level_ = Level::kInfo;
  Format format_ = Format::kText;
  Sink sink_;
};

// The process-wide logger.
Logger& Default();

inline void Debug(std::string_view m, const Fields& f = {}) { Default().Log(Level::kDebug, m, f); }
inline void Info(std::string_view m, const Fields& f = {}) { Default().Log(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const Fields& f = {}) { Default().Log(Level::kWarn, m, f); }
inline void Error(std::string_view m, const Fields& f = {}) { Default().Log(Level::kError, m, f); }

// An error line that names the certificate and the reason (status code + message).
void Failure(std::string_view cert_name, const Status& reason, std::string_view message,
             Fields extra = {});

// Replaces anything that looks like PEM private key material; applied to every value.
std::string Redact(std::string_view value);

}  // namespace ck::log
