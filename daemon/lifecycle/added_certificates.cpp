#include "daemon/lifecycle/added_certificates.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <regex>

#include "common/file_util.hpp"

namespace ck::lifecycle {
namespace {

constexpr char kDir[] = "certificates.d";

// TOML basic string: quotes, backslashes and control characters escaped.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool BareKey(const std::string& key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

Result<std::string> Value(const nlohmann::json& v, const std::string& where) {
  if (v.is_string()) return Quote(v.get<std::string>());
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string() && !v[i].is_number_integer() && !v[i].is_boolean()) {
        return InvalidArgumentError(where + "[" + std::to_string(i) +
                                    "]: only strings, integers and booleans");
      }
      ASSIGN_OR_RETURN(std::string item, Value(v[i], where));
      out += (i ? ", " : "") + item;
    }
    return out + "]";
  }
  return InvalidArgumentError(where + ": only strings, integers, booleans and arrays of them");
}

Status AppendKeys(const nlohmann::json& object, const std::string& where, std::string& out) {
  for (const auto& [key, value] : object.items()) {
    if (key == "deploy" || key == "pins" || key == "freeze") continue;
    if (!BareKey(key)) return InvalidArgumentError(where + ": bad key '" + key + "'");
    ASSIGN_OR_RETURN(std::string text, Value(value, where + "." + key));
    out += key + " = " + text + "\n";
  }
  return OkStatus();
}

size_t Lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n') + 1; }

// "path:LINE: ..." from parsing main_text + "\n" + drop-in: point at the drop-in's own line.
std::string ShiftLine(const std::string& message, const std::string& path, size_t offset) {
  std::smatch m;
  std::regex re("^" + std::regex_replace(path, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                ":([0-9]+):");
  if (std::regex_search(message, m, re)) {
    long line = std::stol(m[1]) - static_cast<long>(offset);
    if (line > 0) return path + ":" + std::to_string(line) + ":" + m.suffix().str();
  }
  return message;
}

Result<config::CertificateConfig> ParseOne(size_t main_count, const std::string& main_text,
                                           const std::string& text, const std::string& path) {
  auto merged = config::ParseConfig(main_text + "\n" + text, path);
  if (!merged.ok()) {
    return InvalidArgumentError(ShiftLine(merged.status().message(), path, Lines(main_text)));
  }
  if (merged->certificates.size() != main_count + 1) {
    return InvalidArgumentError(path + ": must hold exactly one [[certificate]] table");
  }
  return merged->certificates.back();
}

}  // namespace

std::string AddedCertificatesDir(const std::string& state_dir) { return state_dir + "/" + kDir; }

Status MergeAddedCertificates(config::Config& config, const std::string& main_text,
                              const std::string& state_dir) {
  const std::string dir = AddedCertificatesDir(state_dir);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return OkStatus();
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path().string());
  }
  if (ec) return UnavailableError("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  const size_t main_count = config.certificates.size();
  for (const auto& path : files) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    ASSIGN_OR_RETURN(config::CertificateConfig cert, ParseOne(main_count, main_text, text, path));
    if (config.FindCertificate(cert.name) != nullptr) {
      return AlreadyExistsError(path + ": certificate '" + cert.name + "' is declared twice");
    }
    config.certificates.push_back(std::move(cert));
  }
  return OkStatus();
}

Result<std::string> CertificateTomlFromJson(const nlohmann::json& body) {
  if (!body.is_object()) return InvalidArgumentError("the body must be a JSON object");
  std::string out = "# Added through the certkeeper API; same syntax as the config file.\n";
  out += "[[certificate]]\n";
  RETURN_IF_ERROR(AppendKeys(body, "certificate", out));
  if (auto deploy = body.find("deploy"); deploy != body.end()) {
    if (!deploy->is_array()) return InvalidArgumentError("deploy: must be a list of targets");
    for (size_t i = 0; i < deploy->size(); ++i) {
      const auto& t = (*deploy)[i];
      if (!t.is_object()) return InvalidArgumentError("deploy[" + std::to_string(i) + "]: object");
      out += "  [[certificate.deploy]]\n";
      std::string keys;
      RETURN_IF_ERROR(AppendKeys(t, "deploy[" + std::to_string(i) + "]", keys));
      out += keys;
    }
  }
  if (auto pins = body.find("pins"); pins != body.end()) {
    if (!pins->is_object()) return InvalidArgumentError("pins: must be an object");
    out += "  [certificate.pins]\n";
    RETURN_IF_ERROR(AppendKeys(*pins, "pins", out));
  }
  return out;
}

Result<config::Config> AddCertificate(const config::Config& current, const std::string& main_text,
                                      const std::string& state_dir, const nlohmann::json& body) {
  ASSIGN_OR_RETURN(std::string text, CertificateTomlFromJson(body));
  const std::string name = body.value("name", "");
  if (name.empty()) return InvalidArgumentError("name: required");
  const std::string path = AddedCertificatesDir(state_dir) + "/" + name + ".toml";
  // A drop-in is checked against the main file alone, like at load time.
  ASSIGN_OR_RETURN(config::Config main, config::ParseConfig(main_text, current.source_path));
  ASSIGN_OR_RETURN(config::CertificateConfig cert,
                   ParseOne(main.certificates.size(), main_text, text, path));
  if (current.FindCertificate(cert.name) != nullptr) {
    return AlreadyExistsError("certificate '" + cert.name + "' already exists");
  }
  RETURN_IF_ERROR(EnsureDirectory(AddedCertificatesDir(state_dir), 0700));
  RETURN_IF_ERROR(WriteFileAtomic(path, text, 0600));
  config::Config merged = current;
  merged.certificates.push_back(std::move(cert));
  return merged;
}

Status RemoveAddedCertificate(const config::Config& current, const std::string& state_dir,
                              const std::string& name) {
  const std::string path = AddedCertificatesDir(state_dir) + "/" + name + ".toml";
  if (::access(path.c_str(), F_OK) != 0) {
    if (current.FindCertificate(name) != nullptr) {
      return FailedPreconditionError("'" + name + "' is declared in " + current.source_path +
                                     "; remove it there and reload");
    }
    return NotFoundError("no added certificate named '" + name + "'");
  }
  if (::unlink(path.c_str()) != 0) {
    return UnavailableError("cannot remove " + path + ": " + std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace ck::lifecycle
