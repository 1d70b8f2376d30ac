// Fuzz target: ck::pki::ParsePemBlocks, our own RFC 7468 armor reader (text between blocks,
// RFC 1421 headers, truncation and label mismatches), and EncodePem, which must write what
// ParsePemBlocks reads back unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pki/pem_armor.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ck;        // NOLINT(google-build-using-namespace)
  using namespace ck::fuzz;  // NOLINT(google-build-using-namespace)
  const std::string_view text = AsText(data, size);
  auto blocks = pki::ParsePemBlocks(text);
  if (!pki::LooksLikePem(text)) FUZZ_CHECK(!blocks.ok());
  if (!blocks.ok()) {
    FUZZ_CHECK(blocks.status().code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(!blocks.status().message().empty());
  } else {
    FUZZ_CHECK(!blocks->empty());
    FUZZ_CHECK(pki::LooksLikePem(text));
    std::string reencoded;
    for (size_t i = 0; i < blocks->size(); ++i) {
      const pki::PemBlock& b = (*blocks)[i];
      FUZZ_CHECK(b.index == i + 1);
      FUZZ_CHECK(!b.label.empty() && !b.der.empty());
      FUZZ_CHECK(b.label.find('\n') == std::string::npos);
      reencoded += pki::EncodePem(b.label, b.der);
    }
    // What we write, we read back: same labels, same bytes, no headers.
    auto again = pki::ParsePemBlocks(reencoded);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->size() == blocks->size());
    for (size_t i = 0; i < again->size(); ++i) {
      FUZZ_CHECK((*again)[i].label == (*blocks)[i].label);
      FUZZ_CHECK((*again)[i].der == (*blocks)[i].der);
      FUZZ_CHECK((*again)[i].headers.empty());
    }
  }
  // Any bytes survive being armored and read back.
  if (size > 0) {
    auto armored = pki::ParsePemBlocks("text before\n" +
                                       pki::EncodePem("FUZZ", AsBytes(data, size)) + "text after");
    FUZZ_CHECK(armored.ok() && armored->size() == 1);
    FUZZ_CHECK((*armored)[0].der == AsBytes(data, size));
  }
  return 0;
}
