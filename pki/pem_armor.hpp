// RFC 7468 PEM armor: finding "-----BEGIN X-----" ... "-----END X-----" blocks in text and
// writing them. Decoding is ours rather than OpenSSL's PEM_read_* so that (a) text between
// blocks is tolerated, (b) a truncated or corrupt block is reported by position and label, and
// (c) OpenSSL never gets the chance to prompt on a terminal for a passphrase.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/encoding.hpp"
#include "common/status.hpp"

namespace ck::pki {

struct PemBlock {
  std::string label;  // e.g. "CERTIFICATE", "PRIVATE KEY"
  // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") seen before the base64; legacy encrypted
  // keys are recognised by these.
  std::vector<std::string> headers;
  Bytes der;
  size_t index = 0;  // 1-based position of the block in the input, for messages
};

// True when `text` contains a PEM BEGIN line (cheap; no validation).
bool LooksLikePem(std::string_view text);

// Every block in order. InvalidArgument when there is none, when a block is not terminated
// (truncated file), when BEGIN/END labels differ, or when the base64 is corrupt.
Result<std::vector<PemBlock>> ParsePemBlocks(std::string_view text);

// "-----BEGIN label-----\n" + base64 in 64-column lines + "-----END label-----\n".
std::string EncodePem(std::string_view label, const Bytes& der);

}  // namespace ck::pki
