#include "pki/resolve.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace ck::pki {
namespace {

constexpr int kMaxOutstanding = 64;
std::atomic<int> g_outstanding{0};

// Shared by the caller and the lookup thread; whichever lets go last frees it (and the result,
// when the caller gave up).
struct Lookup {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int gai = 0;
  addrinfo* result = nullptr;
  ~Lookup() {
    if (result != nullptr) freeaddrinfo(result);
  }
};

int SystemResolver(const std::string& name, const std::string& service, const addrinfo& hints,
                   addrinfo** out) {
  return ::getaddrinfo(name.c_str(), service.c_str(), &hints, out);
}

bool IsIpLiteral(const std::string& name) {
  in6_addr scratch{};
  return ::inet_pton(AF_INET, name.c_str(), &scratch) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), &scratch) == 1;
}

}  // namespace

int OutstandingLookups() { return g_outstanding.load(); }

Result<AddrInfoPtr> ResolveHost(const std::string& host, uint16_t port,
                                std::chrono::steady_clock::time_point deadline) {
  return ResolveHost(host, port, deadline, SystemResolver);
}

Result<AddrInfoPtr> ResolveHost(const std::string& host, uint16_t port,
                                std::chrono::steady_clock::time_point deadline,
                                const ResolverFn& resolver) {
  if (host.empty()) return InvalidArgumentError("no host to resolve");
  if (host.find('\0') != std::string::npos) {
    return InvalidArgumentError("host name contains a NUL byte");  // the resolver would truncate
  }
  std::string name = host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  const std::string service = std::to_string(port);
  auto failed = [&](int gai) {
    return UnavailableError("cannot resolve '" + host + "': " + ::gai_strerror(gai));
  };

  if (IsIpLiteral(name)) {
    hints.ai_flags |= AI_NUMERICHOST;  // no name server involved: nothing to wait for
    addrinfo* raw = nullptr;
    int gai = resolver(name, service, hints, &raw);
    AddrInfoPtr out(raw);
    if (gai != 0) return failed(gai);
    return out;
  }
  if (std::chrono::steady_clock::now() >= deadline) {
    return DeadlineExceededError("resolving '" + host + "' timed out");
  }
  if (g_outstanding.fetch_add(1) >= kMaxOutstanding) {
    g_outstanding.fetch_sub(1);
    return UnavailableError("cannot resolve '" + host + "': " + std::to_string(kMaxOutstanding) +
                            " earlier DNS lookups are still running (is the name server down?)");
  }
  auto lookup = std::make_shared<Lookup>();
  try {
    std::thread([lookup, name, service, hints, resolver] {
      addrinfo* raw = nullptr;
      const int gai = resolver(name, service, hints, &raw);
      {
        std::lock_guard lock(lookup->mu);
        lookup->gai = gai;
        lookup->result = raw;
        lookup->done = true;
      }
      lookup->cv.notify_all();
      g_outstanding.fetch_sub(1);
    }).detach();
  } catch (const std::system_error& e) {
    g_outstanding.fetch_sub(1);
    return UnavailableError("cannot resolve '" + host + "': no thread for the lookup (" + e.what() +
                            ")");
  }
  std::unique_lock lock(lookup->mu);
  if (!lookup->cv.wait_until(lock, deadline, [&] { return lookup->done; })) {
    return DeadlineExceededError("resolving '" + host + "' timed out");
  }
  if (lookup->gai != 0) return failed(lookup->gai);
  return AddrInfoPtr(std::exchange(lookup->result, nullptr));
}

}  // namespace ck::pki
