// Fuzz target: ck::store::MasterKey::Parse, which reads the key file / systemd credential (raw
// 32 bytes, 64 hex digits or base64). An accepted key must survive every format the key can be
// written in, and an error must never echo the content (it may be a slightly damaged key).
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/encoding.hpp"
#include "store/master_key.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using ck::store::MasterKey;

void CheckSame(const ck::Result<MasterKey>& parsed, const MasterKey& key) {
  FUZZ_CHECK(parsed.ok());
  FUZZ_CHECK(parsed->bytes() == key.bytes());
  FUZZ_CHECK(parsed->id() == key.id());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content = ck::fuzz::AsText(data, size);
  auto key = MasterKey::Parse(content, "fuzz key");
  if (!key.ok()) {
    FUZZ_CHECK(key.status().code() == ck::StatusCode::kInvalidArgument);
    // The message has a fixed shape apart from the length; the content must not appear in it
    // unless it happens to be a piece of that fixed text.
    if (size >= 8) {
      const std::string& message = key.status().message();
      auto reference = MasterKey::Parse(std::string(size, '\x01'), "fuzz key");
      FUZZ_CHECK(!reference.ok());
      if (message.find(content) != std::string::npos) {
        FUZZ_CHECK(reference.status().message().find(content) != std::string::npos);
      }
    }
    return 0;
  }
  FUZZ_CHECK(key->id().size() == 16);
  CheckSame(MasterKey::Parse(key->ToFileContent(), "file content"), *key);
  const auto& b = key->bytes();
  CheckSame(MasterKey::Parse(ck::HexEncode(b.data(), b.size()), "hex"), *key);
  CheckSame(MasterKey::Parse(ck::HexEncode(b.data(), b.size(), true) + "\n", "HEX"), *key);
  CheckSame(
      MasterKey::Parse(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), "raw"),
      *key);
  MasterKey copy = *key;
  FUZZ_CHECK(copy.bytes() == key->bytes() && copy.id() == key->id());
  return 0;
}
