// Fuzz target: everything an ACME server (or a man in the middle of a broken TLS setup) sends
// that the client parses — directory, account, order, authorization, challenge, problem
// documents, renewal info, Retry-After and Link headers (issue 4: "Nothing in a problem
// document or a server response can crash the client"). The first byte picks the parser so
// one corpus covers all of them; the checks are the contracts callers rely on.
#include <cstddef>
#include <cstdint>
#include <string>

#include "acme/ari.hpp"
#include "acme/directory.hpp"
#include "acme/problem.hpp"
#include "acme/resources.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body = ck::fuzz::AsText(data + 1, size - 1);
  const ck::TimePoint now(std::chrono::seconds(1'800'000'000));
  switch (data[0] % 9) {
    case 0: {
      auto dir = ck::acme::ParseDirectory(body);
      // A directory the client accepts names where to get nonces, accounts and orders.
      if (dir.ok()) FUZZ_CHECK(!dir->new_nonce.empty() && !dir->new_order.empty());
      break;
    }
    case 1: (void)ck::acme::ParseAccount(body); break;
    case 2: {
      auto order = ck::acme::ParseOrder(body);
      if (order.ok()) FUZZ_CHECK(!order->status.empty());
      break;
    }
    case 3: (void)ck::acme::ParseAuthorization(body); break;
    case 4: (void)ck::acme::ParseChallenge(body); break;
    case 5: {
      auto problem = ck::acme::ParseProblem(body);
      if (problem.ok()) {
        for (int http : {400, 403, 404, 429, 500, 503}) {
          ck::Status s = ck::acme::ProblemToStatus(*problem, http, now);
          FUZZ_CHECK(!s.ok());  // a problem document is never success
        }
      }
      break;
    }
    case 6: {
      auto info = ck::acme::ParseRenewalInfo(body);
      if (info.ok()) FUZZ_CHECK(info->window_start <= info->window_end);
      break;
    }
    case 7: {
      auto t = ck::acme::ParseRetryAfter(body, now);
      if (t) FUZZ_CHECK(true);
      break;
    }
    case 8: {
      // Several Link headers separated by newlines.
      std::vector<std::string> headers;
      std::string current;
      for (char c : body) {
        if (c == '\n') {
          headers.push_back(current);
          current.clear();
        } else {
          current += c;
        }
      }
      headers.push_back(current);
      for (const auto& url : ck::acme::LinksWithRel(headers, "alternate")) {
        FUZZ_CHECK(url.size() <= body.size());
      }
      break;
    }
  }
  return 0;
}
