// Parsers of server responses: valid documents parse, and any garbage — truncations, wrong
// types, random bytes, deep nesting, mutations of valid documents — yields a Status, never a
// crash or an exception.
#include <gtest/gtest.h>

#include <random>

#include "acme/directory.hpp"
#include "acme/nonce_pool.hpp"
#include "acme/problem.hpp"
#include "acme/resources.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::acme {
namespace {

constexpr char kDirectory[] = R"({
  "newNonce": "https://ca.test/new-nonce", "newAccount": "https://ca.test/new-acct",
  "newOrder": "https://ca.test/new-order", "revokeCert": "https://ca.test/revoke",
  "keyChange": "https://ca.test/key-change", "renewalInfo": "https://ca.test/renewal-info",
  "meta": {"termsOfService": "https://ca.test/tos", "externalAccountRequired": true,
           "caaIdentities": ["ca.test"], "profiles": {"classic": "90 days", "shortlived": "6 days"}}
})";
constexpr char kOrder[] = R"({"status":"pending","expires":"2026-01-01T00:00:00Z",
  "identifiers":[{"type":"dns","value":"example.com"},{"type":"ip","value":"192.0.2.1"}],
  "authorizations":["https://ca.test/authz/1","https://ca.test/authz/2"],
  "finalize":"https://ca.test/order/1/finalize","profile":"shortlived","replaces":"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"})";
constexpr char kAuthz[] = R"({"identifier":{"type":"dns","value":"example.com"},"status":"pending",
  "wildcard":true,"challenges":[{"type":"dns-01","url":"https://ca.test/chall/1","status":"pending","token":"tok"},
  {"type":"future-01","url":"https://ca.test/chall/2","status":"pending"},{"bogus":1},
  {"type":"http-01","url":"https://ca.test/chall/3","status":"invalid","token":"t3",
   "error":{"type":"urn:ietf:params:acme:error:connection","detail":"refused"}}]})";
constexpr char kProblem[] = R"({"type":"urn:ietf:params:acme:error:rejectedIdentifier",
  "detail":"some names refused","status":400,"subproblems":[{"type":"urn:ietf:params:acme:error:caa",
  "detail":"CAA forbids","identifier":{"type":"dns","value":"a.example.com"}}]})";

TEST(DirectoryTest, ParsesEverything) {
  ASSERT_OK_AND_ASSIGN(Directory d, ParseDirectory(kDirectory));
  EXPECT_EQ(d.new_nonce, "https://ca.test/new-nonce");
  EXPECT_EQ(d.renewal_info, "https://ca.test/renewal-info");
  EXPECT_TRUE(d.meta.external_account_required);
  EXPECT_EQ(d.meta.terms_of_service, "https://ca.test/tos");
  EXPECT_EQ(d.meta.profiles.size(), 2u);
  EXPECT_EQ(d.meta.profiles["shortlived"], "6 days");
}

TEST(DirectoryTest, RejectsMissingOrBadUrls) {
  EXPECT_FALSE(ParseDirectory(R"({"newNonce":"https://a/","newAccount":"https://a/"})").ok());
  EXPECT_FALSE(
      ParseDirectory(R"({"newNonce":5,"newAccount":"https://a/","newOrder":"https://a/"})").ok());
  EXPECT_FALSE(
      ParseDirectory(
          R"({"newNonce":"file:///etc/passwd","newAccount":"https://a/","newOrder":"https://a/"})")
          .ok());
  EXPECT_OK(ParseDirectory(
      R"({"newNonce":"https://a/","newAccount":"https://a/","newOrder":"https://a/","meta":7})"));
}

TEST(ResourcesTest, OrderAuthorizationChallenge) {
  ASSERT_OK_AND_ASSIGN(Order o, ParseOrder(kOrder));
  EXPECT_EQ(o.status, "pending");
  ASSERT_EQ(o.identifiers.size(), 2u);
  EXPECT_EQ(o.identifiers[1], (Identifier{"ip", "192.0.2.1"}));
  EXPECT_EQ(o.authorizations.size(), 2u);
  EXPECT_EQ(o.profile, "shortlived");
  EXPECT_TRUE(o.expires.has_value());
  ASSERT_OK_AND_ASSIGN(Authorization a, ParseAuthorization(kAuthz));
  EXPECT_TRUE(a.wildcard);
  // The malformed entry is skipped; unknown types are kept for the caller to ignore.
  ASSERT_EQ(a.challenges.size(), 3u);
  ASSERT_TRUE(a.challenges[2].error.has_value());
  EXPECT_EQ(a.challenges[2].error->ShortType(), "connection");
}

TEST(ProblemTest, ParsesAndMaps) {
  ASSERT_OK_AND_ASSIGN(Problem p, ParseProblem(kProblem));
  EXPECT_EQ(p.ShortType(), "rejectedIdentifier");
  ASSERT_EQ(p.subproblems.size(), 1u);
  EXPECT_EQ(p.subproblems[0].identifier->value, "a.example.com");
  EXPECT_NE(p.Describe().find("a.example.com: caa: CAA forbids"), std::string::npos);
  Status s = ProblemToStatus(p, 400);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.problem_type(), "urn:ietf:params:acme:error:rejectedIdentifier");
}

TEST(ProblemTest, EveryRfc8555TypeHasACode) {
  const std::vector<std::pair<std::string, StatusCode>> table = {
      {"accountDoesNotExist", StatusCode::kNotFound},
      {"alreadyRevoked", StatusCode::kAlreadyExists},
      {"badCSR", StatusCode::kInvalidArgument},
      {"badNonce", StatusCode::kUnavailable},
      {"badPublicKey", StatusCode::kInvalidArgument},
      {"badRevocationReason", StatusCode::kInvalidArgument},
      {"badSignatureAlgorithm", StatusCode::kInvalidArgument},
      {"caa", StatusCode::kPermissionDenied},
      {"compound", StatusCode::kFailedPrecondition},
      {"connection", StatusCode::kFailedPrecondition},
      {"dns", StatusCode::kFailedPrecondition},
      {"externalAccountRequired", StatusCode::kFailedPrecondition},
      {"incorrectResponse", StatusCode::kFailedPrecondition},
      {"invalidContact", StatusCode::kInvalidArgument},
      {"malformed", StatusCode::kInvalidArgument},
      {"orderNotReady", StatusCode::kFailedPrecondition},
      {"rateLimited", StatusCode::kResourceExhausted},
      {"rejectedIdentifier", StatusCode::kPermissionDenied},
      {"serverInternal", StatusCode::kUnavailable},
      {"tls", StatusCode::kFailedPrecondition},
      {"unauthorized", StatusCode::kPermissionDenied},
      {"unsupportedContact", StatusCode::kInvalidArgument},
      {"unsupportedIdentifier", StatusCode::kInvalidArgument},
      {"userActionRequired", StatusCode::kFailedPrecondition},
      {"alreadyReplaced", StatusCode::kAlreadyExists},
  };
  for (const auto& [type, code] : table) {
    Problem p;
    p.type = std::string(kAcmeErrorPrefix) + type;
    EXPECT_EQ(ProblemToStatus(p, 400).code(), code) << type;
  }
  Problem unknown;
  unknown.type = "urn:example:whatever";
  EXPECT_EQ(ProblemToStatus(unknown, 503).code(), StatusCode::kUnavailable);
  EXPECT_EQ(ProblemToStatus(unknown, 404).code(), StatusCode::kNotFound);
  EXPECT_EQ(ProblemToStatus(unknown, 400).code(), StatusCode::kInvalidArgument);
}

TEST(ProblemTest, RateLimitedAndUserActionRequiredCarryWhatTheUserNeeds) {
  Problem rl;
  rl.type = std::string(kAcmeErrorPrefix) + "rateLimited";
  rl.detail = "too many certificates";
  TimePoint at = FromUnixSeconds(1'800'000'000);
  Status s = ProblemToStatus(rl, 429, at);
  EXPECT_EQ(s.retry_after(), at);
  EXPECT_NE(s.message().find("retry at " + FormatRfc3339(at)), std::string::npos);
  EXPECT_TRUE(s.IsRetryable());

  ASSERT_OK_AND_ASSIGN(Problem ua,
                       ParseProblem(R"({"type":"urn:ietf:params:acme:error:userActionRequired",
    "detail":"Terms of service have changed","instance":"https://ca.test/tos/2026"})"));
  Status u = ProblemToStatus(ua, 403);
  EXPECT_EQ(u.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(u.message().find("https://ca.test/tos/2026"), std::string::npos);
}

TEST(ProblemTest, RetryAfter) {
  TimePoint now = FromUnixSeconds(1'700'000'000);
  EXPECT_EQ(ParseRetryAfter("120", now), now + std::chrono::seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), now);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), FromUnixSeconds(784111777));
  // A century or more away (outside 1677-2262 the nanosecond TimePoint would overflow).
  for (const char* bad : {"", "soon", "-5", "1e9", "99999999999999999999", "Sun, 06 Nov",
                          "Wed, 21 Oct 2427 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
                          "Wed, 21 Oct 0225 07:28:00 GMT"}) {
    EXPECT_FALSE(ParseRetryAfter(bad, now).has_value()) << bad;
  }
}

TEST(ResourcesTest, LinkHeaders) {
  std::vector<std::string> h = {
      R"(<https://ca.test/cert/1/1>;rel="alternate", <https://ca.test/dir>;rel="index")",
      R"(<https://ca.test/cert/1/2>; rel=alternate)", R"(<https://ca.test/x>; rel="up alternate")",
      "garbage <unterminated", "<>;rel=alternate"};
  auto alts = LinksWithRel(h, "alternate");
  ASSERT_EQ(alts.size(), 4u);
  EXPECT_EQ(alts[0], "https://ca.test/cert/1/1");
  EXPECT_EQ(alts[1], "https://ca.test/cert/1/2");
  EXPECT_EQ(alts[2], "https://ca.test/x");
  EXPECT_EQ(LinksWithRel(h, "index"), std::vector<std::string>{"https://ca.test/dir"});
}

TEST(ResourcesTest, IdentifierKinds) {
  EXPECT_EQ(IdentifierFor("example.com").type, "dns");
  EXPECT_EQ(IdentifierFor("*.example.com").type, "dns");
  EXPECT_EQ(IdentifierFor("192.0.2.1").type, "ip");
  EXPECT_EQ(IdentifierFor("2001:db8::1").type, "ip");
}

// Every parser on one input: none may crash or throw; all return a Status on failure.
void ParseAll(std::string_view s) {
  (void)ParseDirectory(s);
  (void)ParseProblem(s);
  (void)ParseOrder(s);
  (void)ParseAuthorization(s);
  (void)ParseChallenge(s);
  (void)ParseAccount(s);
  (void)ParseRetryAfter(s, FromUnixSeconds(0));
  (void)LinksWithRel({std::string(s)}, "alternate");
}

TEST(GarbageTest, HandPickedGarbageIsAStatus) {
  const std::vector<std::string> garbage = {
      "",
      "null",
      "[]",
      "1",
      "\"x\"",
      "{",
      "}",
      "{\"status\":null}",
      "{\"identifiers\":{}}",
      R"({"status":"valid","identifiers":[1,2],"authorizations":[],"finalize":"x"})",
      R"({"status":"valid","identifiers":[],"authorizations":[{}],"finalize":"x"})",
      R"({"identifier":"dns","status":"valid","challenges":[]})",
      R"({"identifier":{"type":1,"value":[]},"status":"valid","challenges":[]})",
      R"({"type":{"a":1},"status":"x","subproblems":"no"})",
      R"({"type":"urn:ietf:params:acme:error:malformed","status":1e400})",
      R"({"newNonce":"https://a","newAccount":"https://a","newOrder":"https://a","meta":{"profiles":[1]}})",
      std::string(100000, '['),
      std::string(100000, '{'),
      std::string("\0\xff\xfe{", 4),
      R"({"status":"pending","expires":"not a time","identifiers":[],"authorizations":[],"finalize":"u"})"};
  for (const auto& g : garbage) ParseAll(g);
  EXPECT_FALSE(ParseOrder(garbage[9]).ok());
  EXPECT_FALSE(ParseAuthorization(garbage[11]).ok());
  EXPECT_FALSE(ParseProblem("[]").ok());
  // Deeply nested subproblems are cut off, not recursed into without bound.
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += R"({"type":"t","subproblems":[)";
  deep += "{}";
  for (int i = 0; i < 5000; ++i) deep += "]}";
  ParseAll(deep);
}

TEST(GarbageTest, MutatedAndRandomDocumentsNeverCrash) {
  std::mt19937_64 rng(42);
  const std::vector<std::string> seeds = {kDirectory, kOrder, kAuthz, kProblem};
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[i % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t pos = rng() % s.size();
      switch (rng() % 4) {
        case 0: s[pos] = static_cast<char>(rng()); break;
        case 1: s.erase(pos, 1 + rng() % 16); break;
        case 2: s.insert(pos, 1, "{}[]\",:0\\"[rng() % 9]); break;
        case 3: s.resize(pos); break;
      }
    }
    ParseAll(s);
  }
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 256, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    ParseAll(s);
  }
}

TEST(NoncePoolTest, ReusesNewestAndDropsGarbage) {
  NoncePool pool(3);
  EXPECT_FALSE(pool.Take().has_value());
  pool.Put("a1");
  pool.Put("not a nonce!");
  pool.Put("");
  pool.Put("b2");
  pool.Put("c3");
  pool.Put("d4");  // evicts the oldest
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.Take(), "d4");
  EXPECT_EQ(pool.Take(), "c3");
  EXPECT_EQ(pool.Take(), "b2");
  EXPECT_FALSE(pool.Take().has_value());
}

}  // namespace
}  // namespace ck::acme
