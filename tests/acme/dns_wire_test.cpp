// The shared DNS wire code (acme/solvers/dns_wire.hpp) against hand-built messages: name
// compression, pointer loops, truncation at every length, lying counts and wrong ids are
// errors, never crashes; then resolv.conf reading and authoritative server discovery against
// a scripted UDP resolver on 127.0.0.1.
#include "acme/solvers/dns_wire.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "acme/solvers/dns01.hpp"
#include "acme/solvers/dns_discovery.hpp"
#include "tests/acme/fake_ca.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::acme {
namespace {

using namespace dns;  // NOLINT(google-build-using-namespace): a test of that namespace

// A response to `query` (id and question copied) with the given sections appended as raw
// bytes; counts are given explicitly so tests can lie with them.
std::string Response(const std::string& query, uint16_t flags, uint16_t an, uint16_t ns,
                     uint16_t ar, const std::string& records) {
  std::string m = query.substr(0, 2);
  Put16(m, flags);
  Put16(m, 1);
  Put16(m, an);
  Put16(m, ns);
  Put16(m, ar);
  m += query.substr(12);
  m += records;
  return m;
}

// One record: owner as raw wire bytes (maybe a pointer), type, class IN, TTL 60, RDATA.
std::string Record(const std::string& owner, uint16_t type, const std::string& rdata) {
  std::string r = owner;
  Put16(r, type);
  Put16(r, kClassIn);
  Put32(r, 60);
  Put16(r, static_cast<uint16_t>(rdata.size()));
  return r + rdata;
}

std::string Ptr(size_t offset) {
  std::string p;
  Put16(p, static_cast<uint16_t>(0xc000 | offset));
  return p;
}

// What a resolver sends for "NS example.test": two NS in the answer, the second compressed
// against the first's RDATA, glue in the additional section.
std::string NsAnswer(const std::string& q) {
  // Offsets: header 12, question name "example.test" at 12 (14 octets), QTYPE/QCLASS, then
  // the answer section at 30.
  std::string records;
  size_t at = q.size();
  std::string rd1 = "\x03ns1" + Ptr(12);
  records += Record(Ptr(12), kTypeNs, rd1);  // ns1.example.test
  size_t ns1_name = at + 2 + 10;             // RDATA of the first record
  std::string rd2 = "\x03ns2" + Ptr(12);
  records += Record(Ptr(12), kTypeNs, rd2);
  size_t ns2_name = at + records.size() - rd2.size();
  records += Record(Ptr(ns1_name), kTypeA, std::string("\x7f\x00\x00\x01", 4));
  records += Record(Ptr(ns2_name), kTypeA, std::string("\x7f\x00\x00\x02", 4));
  return Response(q, 0x8580, 2, 0, 2, records);
}

TEST(DnsWireTest, QueryLayout) {
  std::string q = BuildQuery("Example.TEST.", kTypeNs, 0xbeef, true);
  EXPECT_EQ(q.substr(0, 4), std::string("\xbe\xef\x01\x00", 4));
  EXPECT_EQ(q.substr(12), std::string("\x07"
                                      "Example\x04TEST\x00\x00\x02\x00\x01",
                                      18));
  EXPECT_EQ(WireName(""), std::string(1, '\0'));
  EXPECT_EQ(WireName("a..b."), std::string("\x01"
                                           "a\x01"
                                           "b\x00",
                                           5))
      << "empty labels dropped";
  EXPECT_EQ(CanonicalName("Ns1.Example.TEST."), "ns1.example.test");
}

TEST(DnsWireTest, ParsesCompressedNsAnswerWithGlue) {
  std::string q = BuildQuery("example.test", kTypeNs, 7, true);
  std::string m = NsAnswer(q);
  ASSERT_OK_AND_ASSIGN(Message msg, ParseMessage(m, 7));
  EXPECT_TRUE(msg.authoritative);
  EXPECT_EQ(msg.question_name, "example.test");
  EXPECT_EQ(msg.question_type, kTypeNs);
  ASSERT_EQ(msg.answers.size(), 2u);
  ASSERT_EQ(msg.additional.size(), 2u);
  EXPECT_EQ(msg.answers[0].name, "example.test");
  EXPECT_EQ(*ReadRdataName(m, msg.answers[0]), "ns1.example.test");
  EXPECT_EQ(*ReadRdataName(m, msg.answers[1]), "ns2.example.test");
  EXPECT_EQ(msg.additional[0].name, "ns1.example.test");
  EXPECT_EQ(msg.additional[1].name, "ns2.example.test");
  EXPECT_EQ(*ReadRdataIpv4(m, msg.additional[0]), "127.0.0.1");
  EXPECT_EQ(*ReadRdataIpv4(m, msg.additional[1]), "127.0.0.2");
}

TEST(DnsWireTest, WrongIdQueriesAndLyingCountsAreErrors) {
  std::string q = BuildQuery("example.test", kTypeNs, 7, true);
  std::string m = NsAnswer(q);
  EXPECT_EQ(ParseMessage(m, 8).status().code(), StatusCode::kUnavailable) << "wrong id";
  std::string query_only = q;
  EXPECT_FALSE(ParseMessage(query_only, 7).ok()) << "a query is not a response";
  std::string more = m;
  more[7] =
      3;  // ANCOUNT 3 with two answers: the "third" eats the additional section, then runs out
  EXPECT_FALSE(ParseMessage(more, 7).ok());
  std::string huge = m;
  huge[6] = '\xff';
  huge[7] = '\xff';
  EXPECT_FALSE(ParseMessage(huge, 7).ok()) << "65535 answers cannot fit";
  std::string two_questions = m;
  two_questions[5] = 2;
  EXPECT_FALSE(ParseMessage(two_questions, 7).ok());
  // An A record whose RDATA is not 4 octets.
  ResourceRecord bad_a;
  bad_a.type = kTypeA;
  bad_a.rdata_offset = 0;
  bad_a.rdata_length = 5;
  EXPECT_FALSE(ReadRdataIpv4(m, bad_a).ok());
  ResourceRecord outside;
  outside.rdata_offset = m.size() - 1;
  outside.rdata_length = 10;
  EXPECT_FALSE(ReadRdataName(m, outside).ok());
  EXPECT_FALSE(ReadRdataTxt(m, outside).ok());
}

TEST(DnsWireTest, NamesWithLoopsForwardPointersAndOverflowAreErrors) {
  std::string header(12, '\0');
  auto read = [](const std::string& m, size_t pos) { return ReadName(m, pos); };
  // A pointer to itself, and two pointers to each other.
  EXPECT_FALSE(read(header + Ptr(12), 12).ok());
  EXPECT_FALSE(read(header + Ptr(14) + Ptr(12), 12).ok());
  EXPECT_FALSE(read(header + Ptr(14) + Ptr(12), 14).ok());
  // A forward pointer (to a name further on) is refused even when it would terminate.
  EXPECT_FALSE(read(header + Ptr(14) +
                        std::string("\x01"
                                    "a\x00",
                                    3),
                    12)
                   .ok());
  // Backward chains work and report where the in-place part ends.
  std::string m = header +
                  std::string(
                      "\x01"
                      "a\x00",
                      3) +
                  "\x01"
                  "b" +
                  Ptr(12) +
                  "\x01"
                  "c" +
                  Ptr(15);
  size_t pos = 19;
  ASSERT_OK_AND_ASSIGN(std::string name, ReadName(m, pos));
  EXPECT_EQ(name, "c.b.a");
  EXPECT_EQ(pos, m.size());
  // Reserved label types 0x40/0x80, truncation, a dot inside a label, > 255 octets.
  EXPECT_FALSE(read(header + "\x41"
                             "a",
                    12)
                   .ok());
  EXPECT_FALSE(read(header + "\x81"
                             "a",
                    12)
                   .ok());
  EXPECT_FALSE(read(header + "\x05"
                             "ab",
                    12)
                   .ok());
  EXPECT_FALSE(read(header + "\xc0", 12).ok());
  EXPECT_FALSE(read(header + std::string("\x03"
                                         "a.b\x00",
                                         5),
                    12)
                   .ok());
  std::string long_name = header;
  for (int i = 0; i < 5; ++i) long_name += "\x3f" + std::string(63, 'x');
  long_name += '\0';
  EXPECT_FALSE(read(long_name, 12).ok());
  // A long chain of backward pointers, each to the one before: bounded and refused.
  std::string chain = header + std::string("\x00", 1);
  for (int i = 0; i < 200; ++i) chain += Ptr(chain.size() - (i == 0 ? 1 : 2));
  EXPECT_FALSE(read(chain, chain.size() - 2).ok());
}

TEST(DnsWireTest, EveryTruncationAndRandomDamageIsAnErrorNotACrash) {
  std::string q = BuildQuery("example.test", kTypeNs, 7, true);
  std::string good = NsAnswer(q);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(ParseMessage(good.substr(0, n), 7).ok()) << "prefix " << n;
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 50000; ++i) {
    std::string m = good;
    for (int e = 0; e < 1 + static_cast<int>(rng() % 4); ++e) {
      size_t pos = 12 + rng() % (m.size() - 12);
      m[pos] = static_cast<char>(rng());
    }
    auto msg = ParseMessage(m, 7);
    if (!msg.ok()) continue;
    for (const auto* section : {&msg->answers, &msg->authority, &msg->additional}) {
      for (const auto& rr : *section) {
        EXPECT_LE(rr.rdata_offset + rr.rdata_length, m.size());
        (void)ReadRdataName(m, rr);
        (void)ReadRdataIpv4(m, rr);
        (void)ReadRdataTxt(m, rr);
      }
    }
  }
}

TEST(DnsWireTest, SystemResolverReadsTheFirstIpv4Nameserver) {
  ck::testing::TempDir dir;
  std::string conf = dir.WriteFile("resolv.conf",
                                   "# generated\n; comment\nsearch example.test\n"
                                   "nameserver 2001:db8::53\nnameserver   192.0.2.53  # primary\n"
                                   "nameserver 192.0.2.54\n");
  EXPECT_EQ(*SystemResolver(conf), "192.0.2.53:53");
  std::string v6 = dir.WriteFile("v6.conf", "nameserver ::1\noptions edns0\n");
  EXPECT_EQ(SystemResolver(v6).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SystemResolver(dir.Path("missing")).status().code(), StatusCode::kNotFound);
  std::string garbage = dir.WriteFile("garbage.conf", "nameserver\nnameserver 999.1.1.1\n");
  EXPECT_EQ(SystemResolver(garbage).status().code(), StatusCode::kNotFound);
}

// A recursive resolver on 127.0.0.1 whose answers a test scripts as a function of the query.
class ScriptedResolver {
 public:
  using Script =
      std::function<std::string(const std::string& query, const std::string& name, uint16_t type)>;
  explicit ScriptedResolver(Script script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buf[512];
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n < 12) continue;
        std::string query(buf, static_cast<size_t>(n));
        size_t pos = 12;
        auto name = ReadName(query, pos);
        if (!name.ok() || pos + 4 > query.size()) continue;
        ++queries_;
        std::string a = script_(query, *name, Get16(query, pos));
        if (!a.empty())
          ::sendto(fd_, a.data(), a.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
      }
    });
  }
  ~ScriptedResolver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int queries() const { return queries_; }

 private:
  Script script_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

constexpr uint16_t kNoError = 0x8180;  // response, RD, RA
constexpr uint16_t kNxDomain = 0x8183;

// The SOA of "zone.test" (owner compressed against the question when it is a suffix).
std::string SoaRecord() {
  std::string rdata = std::string("\x02ns\x04zone\x04test\x00", 12) + "\x00";
  for (int i = 0; i < 5; ++i) Put32(rdata, 60);
  return Record(std::string("\x04zone\x04test\x00", 11), kTypeSoa, rdata);
}

TEST(DnsDiscoveryTest, WalksUpToTheSoaZoneAndResolvesNameserversWithoutGlue) {
  ScriptedResolver resolver([](const std::string& q, const std::string& name, uint16_t type) {
    if (type == kTypeNs && name == "zone.test") {
      return Response(q, kNoError, 2, 0, 0,
                      Record(Ptr(12), kTypeNs, "\x03ns1" + Ptr(12)) +
                          Record(Ptr(12), kTypeNs, std::string("\x05other\x04test\x00", 12)));
    }
    if (type == kTypeNs) {  // NXDOMAIN below the zone, with its SOA (RFC 2308 §2.1)
      return Response(q, kNxDomain, 0, 1, 0, SoaRecord());
    }
    if (type == kTypeA && name == "ns1.zone.test") {
      return Response(q, kNoError, 1, 0, 0,
                      Record(Ptr(12), kTypeA, std::string("\x0a\0\0\x01", 4)));
    }
    if (type == kTypeA && name == "other.test") {  // an alias, then the address
      std::string target(
          "\x05"
          "alias\x04test\x00",
          12);
      size_t target_at = q.size() + 12;
      return Response(q, kNoError, 2, 0, 0,
                      Record(Ptr(12), kTypeCname, target) +
                          Record(Ptr(target_at), kTypeA, std::string("\x0a\0\0\x02", 4)));
    }
    return Response(q, kNxDomain, 0, 0, 0, "");
  });
  ASSERT_OK_AND_ASSIGN(auto servers, DiscoverAuthoritativeServers("_acme-challenge.www.Zone.Test.",
                                                                  resolver.address(),
                                                                  std::chrono::seconds(5), 5353));
  EXPECT_EQ(servers, (std::vector<std::string>{"10.0.0.1:5353", "10.0.0.2:5353"}));
}

TEST(DnsDiscoveryTest, NoZoneIsNotFoundAndNetworkTroubleIsUnavailable) {
  ScriptedResolver nothing([](const std::string& q, const std::string&, uint16_t) {
    return Response(q, kNxDomain, 0, 0, 0, "");
  });
  auto none =
      DiscoverAuthoritativeServers("a.b.c.test", nothing.address(), std::chrono::seconds(5));
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound) << none.status().ToString();
  EXPECT_EQ(nothing.queries(), 4) << "a.b.c.test, b.c.test, c.test, test; never the root";

  ScriptedResolver servfail([](const std::string& q, const std::string&, uint16_t) {
    return Response(q, 0x8182, 0, 0, 0, "");
  });
  EXPECT_EQ(DiscoverAuthoritativeServers("x.test", servfail.address(), std::chrono::seconds(5))
                .status()
                .code(),
            StatusCode::kUnavailable);

  // Answers for another question, with another id, or garbled: ignored or refused, bounded
  // by the timeout.
  ScriptedResolver liar([](const std::string& q, const std::string&, uint16_t) {
    std::string other = BuildQuery("evil.test", kTypeNs, Get16(q, 0), true);
    return Response(other, kNoError, 1, 0, 0, Record(Ptr(12), kTypeNs, "\x02ns" + Ptr(12)));
  });
  EXPECT_EQ(DiscoverAuthoritativeServers("x.test", liar.address(), std::chrono::seconds(5))
                .status()
                .code(),
            StatusCode::kUnavailable);
  ScriptedResolver wrong_id([](const std::string& q, const std::string&, uint16_t) {
    std::string a = NsAnswer(q);
    a[0] = static_cast<char>(a[0] ^ 0x55);
    return a;
  });
  auto silent =
      DiscoverAuthoritativeServers("x.test", wrong_id.address(), std::chrono::milliseconds(300));
  EXPECT_EQ(silent.status().code(), StatusCode::kUnavailable);

  EXPECT_EQ(DiscoverAuthoritativeServers("x.test", "not-an-address", std::chrono::seconds(1))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(DnsDiscoveryTest, WaitForTxtWithoutServersFallsBackToNoCheckWhenDiscoveryFails) {
  // A resolver that never answers: discovery fails within its budget, and the wait returns
  // OK (the check is skipped with a warning) instead of failing issuance.
  ScriptedResolver mute([](const std::string&, const std::string&, uint16_t) { return ""; });
  testing::StepClock clock;
  PropagationCheck check;
  check.resolver = mute.address();
  check.timeout = std::chrono::seconds(1);
  EXPECT_OK(WaitForTxt(clock, check, "_acme-challenge.x.test", "value"));
  EXPECT_GE(mute.queries(), 1);
  // A stop request before discovery ends the wait at once.
  check.should_stop = [] { return true; };
  EXPECT_EQ(WaitForTxt(clock, check, "_acme-challenge.x.test", "value").code(),
            StatusCode::kAborted);
}

}  // namespace
}  // namespace ck::acme
