// Fuzz target: the DNS wire parser (acme/solvers/dns_wire.hpp) that reads what resolvers and
// authoritative servers send during the dns-01 propagation check and authoritative server
// discovery: whole messages with name compression, RDATA names, A and TXT records, and
// ParseTxtAnswer on top. The input is one message; its own id is the one expected.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "acme/solvers/dns01.hpp"
#include "acme/solvers/dns_wire.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace ck::acme::dns;  // NOLINT(google-build-using-namespace)

// A name as ReadName returns it: canonical, at most 253 characters, no empty label, and it
// reads back the same from its own uncompressed wire form.
void CheckName(const std::string& name) {
  FUZZ_CHECK(name.size() <= 253);
  FUZZ_CHECK(name == CanonicalName(name));
  FUZZ_CHECK(name.empty() || (name.front() != '.' && name.back() != '.'));
  FUZZ_CHECK(name.find("..") == std::string::npos);
  std::string wire = WireName(name);
  size_t pos = 0;
  auto again = ReadName(wire, pos);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == name);
  FUZZ_CHECK(pos == wire.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string m(reinterpret_cast<const char*>(data), size);
  const uint16_t id = size >= 2 ? Get16(m, 0) : 0;
  auto msg = ParseMessage(m, id);
  if (msg.ok()) {
    FUZZ_CHECK(size >= 12);
    FUZZ_CHECK(msg->id == id);
    FUZZ_CHECK((msg->flags & 0x8000) != 0);  // only responses are accepted
    FUZZ_CHECK(msg->rcode >= 0 && msg->rcode <= 15);
    CheckName(msg->question_name);
    // Counts never exceed what the header said, and every record lies inside the message.
    FUZZ_CHECK(msg->answers.size() == Get16(m, 6));
    FUZZ_CHECK(msg->authority.size() == Get16(m, 8));
    FUZZ_CHECK(msg->additional.size() == Get16(m, 10));
    for (const auto* section : {&msg->answers, &msg->authority, &msg->additional}) {
      for (const auto& rr : *section) {
        FUZZ_CHECK(rr.rdata_offset >= 12);
        FUZZ_CHECK(rr.rdata_offset + rr.rdata_length <= size);
        CheckName(rr.name);
        auto target = ReadRdataName(m, rr);
        if (target.ok()) CheckName(*target);
        auto ip = ReadRdataIpv4(m, rr);
        if (ip.ok()) FUZZ_CHECK(rr.rdata_length == 4 && ip->size() >= 7 && ip->size() <= 15);
        auto txt = ReadRdataTxt(m, rr);
        if (txt.ok()) FUZZ_CHECK(txt->size() < rr.rdata_length || rr.rdata_length == 0);
      }
    }
    // Another id is always refused.
    FUZZ_CHECK(!ParseMessage(m, static_cast<uint16_t>(id + 1)).ok());
  } else {
    FUZZ_CHECK(msg.status().code() == ck::StatusCode::kUnavailable);
  }
  // ParseTxtAnswer sits on ParseMessage: it accepts nothing ParseMessage refuses.
  auto txt = ck::acme::ParseTxtAnswer(m, id);
  if (txt.ok()) {
    FUZZ_CHECK(msg.ok() && msg->rcode == 0 && !txt->empty());
  }
  // A name can start anywhere (RDATA names point into the message): never a crash.
  for (size_t at = 0; at < size && at < 64; ++at) {
    size_t pos = at;
    auto name = ReadName(m, pos);
    if (name.ok()) {
      FUZZ_CHECK(pos > at && pos <= size);
      CheckName(*name);
    }
  }
  return 0;
}
