// http-01 (RFC 8555 §8.3) solvers.
//  - Http01Standalone: one built-in HTTP listener serving any number of tokens, shared by every
//    order in flight (tokens are reference-counted: two orders may present the same pending
//    authorization's token).
//  - Http01Webroot: writes <webroot>/.well-known/acme-challenge/<token> for a web server that
//    is already running, and removes it on CleanUp.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "acme/solver.hpp"

namespace ck::acme {

class Http01Standalone final : public Solver {
 public:
  // Binds `address:port` (see ListenTcp: "" = every interface, dual-stack; port 0 picks one)
  // and serves from an accept thread plus a few workers until destroyed. Unavailable when the
  // port is taken.
  static Result<std::unique_ptr<Http01Standalone>> Start(const std::string& address, uint16_t port);
  ~Http01Standalone() override;

  uint16_t port() const { return port_; }
  uint64_t requests_served() const { return served_; }
  size_t tokens() const;

  Status Present(const ChallengeContext& challenge) override;
  Status CleanUp(const ChallengeContext& challenge) override;

 private:
  struct Server;
  Http01Standalone();
  // Key authorization for `token`, empty when unknown.
  std::string Lookup(const std::string& token) const;
  void Accept();
  void Work();
  void Serve(int fd);

  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, int>> tokens_;  // token -> (key auth, refs)
  std::unique_ptr<Server> server_;
  std::thread accept_thread_;
  std::vector<std::thread> workers_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> served_{0};
};

class Http01Webroot final : public Solver {
 public:
  explicit Http01Webroot(std::string webroot) : webroot_(std::move(webroot)) {}
  Status Present(const ChallengeContext& challenge) override;
  Status CleanUp(const ChallengeContext& challenge) override;
  std::string PathFor(const std::string& token) const;

 private:
  std::string webroot_;
  std::mutex mu_;
  std::map<std::string, int> refs_;
};

// RFC 8555 §8.3: tokens are base64url; anything else must never become a path or a key.
bool IsValidToken(const std::string& token);

}  // namespace ck::acme
