// In-process scripted ACME server behind the HttpTransport seam, and a clock that records the
// waits instead of sleeping. For component tests of retry, polling and error paths.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "acme/http_transport.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"

namespace ck::acme::testing {

// SleepUntil jumps to the deadline at once and records how long the caller wanted to wait.
class StepClock final : public Clock {
 public:
  TimePoint Now() const override {
    std::lock_guard<std::mutex> l(mu_);
    return now_;
  }
  bool SleepUntil(TimePoint deadline, const std::function<bool()>&) override {
    std::lock_guard<std::mutex> l(mu_);
    if (deadline > now_) {
      sleeps_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now_));
      now_ = deadline;
    }
    return true;
  }
  void Interrupt() override {}
  std::vector<std::chrono::milliseconds> sleeps() const {
    std::lock_guard<std::mutex> l(mu_);
    return sleeps_;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_ = FromUnixSeconds(1'700'000'000);
  std::vector<std::chrono::milliseconds> sleeps_;
};

struct SeenRequest {
  std::string method, url, nonce, kid;
  nlohmann::json payload;  // null for POST-as-GET and GETs
};

class FakeCa final : public HttpTransport {
 public:
  using Handler = std::function<Result<HttpResponse>(const SeenRequest&)>;
  static constexpr char kBase[] = "https://ca.test";

  FakeCa() {
    On("/dir", [](const SeenRequest&) {
      nlohmann::json d = {{"newNonce", std::string(kBase) + "/nonce"},
                          {"newAccount", std::string(kBase) + "/acct"},
                          {"newOrder", std::string(kBase) + "/order"},
                          {"revokeCert", std::string(kBase) + "/revoke"},
                          {"keyChange", std::string(kBase) + "/key-change"}};
      return Json(200, d);
    });
    On("/nonce", [](const SeenRequest&) { return Json(200, nullptr); });
    On("/acct", [](const SeenRequest&) {
      auto r = Json(201, {{"status", "valid"}});
      r.headers.push_back({"location", std::string(kBase) + "/acct/1"});
      return Result<HttpResponse>(r);
    });
  }

  // Replaces the handler of a path.
  void On(const std::string& path, Handler h) {
    std::lock_guard<std::mutex> l(mu_);
    handlers_[path] = std::move(h);
  }
  // Responses to return, in order, before the path's handler is used again.
  void Queue(const std::string& path, Result<HttpResponse> r) {
    std::lock_guard<std::mutex> l(mu_);
    queued_[path].push_back(std::move(r));
  }

  static HttpResponse Json(int status, const nlohmann::json& body) {
    HttpResponse r;
    r.status = status;
    if (!body.is_null()) r.body = body.dump();
    r.headers.push_back({"content-type", "application/json"});
    return r;
  }
  static HttpResponse Problem(int status, const std::string& type, const std::string& detail,
                              const std::string& retry_after = "") {
    HttpResponse r = Json(
        status,
        {{"type", "urn:ietf:params:acme:error:" + type}, {"detail", detail}, {"status", status}});
    if (!retry_after.empty()) r.headers.push_back({"retry-after", retry_after});
    return r;
  }

  Result<HttpResponse> Do(const HttpRequest& request) override {
    SeenRequest seen;
    seen.method = request.method;
    seen.url = request.url;
    if (request.method == "POST") {
      auto jws = nlohmann::json::parse(request.body, nullptr, false);
      auto header = nlohmann::json::parse(
          ToString(Base64UrlDecode(jws.value("protected", "")).value_or(Bytes{})), nullptr, false);
      seen.nonce = header.value("nonce", "");
      seen.kid = header.value("kid", "");
      std::string payload = ToString(Base64UrlDecode(jws.value("payload", "")).value_or(Bytes{}));
      if (!payload.empty()) seen.payload = nlohmann::json::parse(payload, nullptr, false);
    }
    std::string path = request.url.substr(std::string(kBase).size());
    Result<HttpResponse> result = InternalError("no handler for " + path);
    {
      std::lock_guard<std::mutex> l(mu_);
      seen_.push_back(seen);
      auto q = queued_.find(path);
      if (q != queued_.end() && !q->second.empty()) {
        result = std::move(q->second.front());
        q->second.pop_front();
      } else if (auto h = handlers_.find(path); h != handlers_.end()) {
        Handler handler = h->second;
        mu_.unlock();
        result = handler(seen);
        mu_.lock();
      }
      if (result.ok()) result->headers.push_back({"replay-nonce", "n" + std::to_string(++nonce_)});
    }
    return result;
  }

  std::vector<SeenRequest> seen() const {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }
  int CountPath(const std::string& path) const {
    int n = 0;
    for (const auto& s : seen()) n += s.url == std::string(kBase) + path;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Handler> handlers_;
  std::map<std::string, std::deque<Result<HttpResponse>>> queued_;
  std::vector<SeenRequest> seen_;
  int nonce_ = 0;
};

}  // namespace ck::acme::testing
