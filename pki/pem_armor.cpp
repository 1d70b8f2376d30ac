#include "pki/pem_armor.hpp"

namespace ck::pki {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Returns the label of a "-----<marker>LABEL-----" line, or false.
bool MatchMarker(std::string_view line, std::string_view marker, std::string* label) {
  if (line.size() < marker.size() + kDashes.size() || line.substr(0, marker.size()) != marker ||
      line.substr(line.size() - kDashes.size()) != kDashes) {
    return false;
  }
  *label = std::string(line.substr(marker.size(), line.size() - marker.size() - kDashes.size()));
  return true;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

}  // namespace

bool LooksLikePem(std::string_view text) { return text.find(kBegin) != std::string_view::npos; }

Result<std::vector<PemBlock>> ParsePemBlocks(std::string_view text) {
  std::vector<PemBlock> blocks;
  bool inside = false;
  bool in_headers = false;
  PemBlock current;
  std::string body;
  size_t line_no = 0;
  size_t begin_line = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = Trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    std::string label;
    if (!inside) {
      // Anything outside a block is explanatory text (RFC 7468 §2) and is skipped.
      if (MatchMarker(line, kBegin, &label)) {
        if (label.empty()) {
          return InvalidArgumentError("PEM: BEGIN line " + std::to_string(line_no) +
                                      " has an empty label");
        }
        inside = true;
        in_headers = true;
        current = PemBlock{};
        current.label = std::move(label);
        current.index = blocks.size() + 1;
        body.clear();
        begin_line = line_no;
      }
      continue;
    }
    if (MatchMarker(line, kEnd, &label)) {
      if (label != current.label) {
        return InvalidArgumentError("PEM block " + std::to_string(current.index) + " '" +
                                    current.label + "' ends with a mismatched END '" +
                                    Printable(label) + "' line");
      }
      auto der = Base64Decode(body);
      if (!der.ok()) {
        return InvalidArgumentError("PEM block " + std::to_string(current.index) + " '" +
                                    current.label +
                                    "' has corrupt base64: " + der.status().message());
      }
      if (der->empty()) {
        return InvalidArgumentError("PEM block " + std::to_string(current.index) + " '" +
                                    current.label + "' is empty");
      }
      current.der = std::move(der).value();
      blocks.push_back(std::move(current));
      current = PemBlock{};
      inside = false;
      continue;
    }
    if (MatchMarker(line, kBegin, &label)) {
      return InvalidArgumentError("PEM block " + std::to_string(current.index) + " '" +
                                  current.label + "' (line " + std::to_string(begin_line) +
                                  ") has no END line before the next BEGIN (truncated?)");
    }
    // RFC 1421 encapsulated headers precede the base64 and end at a blank line.
    if (in_headers && line.find(':') != std::string_view::npos) {
      current.headers.emplace_back(line);
      continue;
    }
    in_headers = false;
    body.append(line);
  }
  if (inside) {
    return InvalidArgumentError("PEM block " + std::to_string(current.index) + " '" +
                                current.label + "' (line " + std::to_string(begin_line) +
                                ") has no END line (truncated?)");
  }
  if (blocks.empty()) {
    return InvalidArgumentError("no PEM block found (expected a line like '-----BEGIN ...-----')");
  }
  return blocks;
}

std::string EncodePem(std::string_view label, const Bytes& der) {
  std::string b64 = Base64Encode(der);
  std::string out;
  out.reserve(b64.size() + b64.size() / 64 + 2 * label.size() + 40);
  out.append(kBegin).append(label).append(kDashes).append("\n");
  for (size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64).append("\n");
  }
  out.append(kEnd).append(label).append(kDashes).append("\n");
  return out;
}

}  // namespace ck::pki
