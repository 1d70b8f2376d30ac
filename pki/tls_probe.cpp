#include "pki/tls_probe.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

#include "pki/general_names.hpp"
#include "pki/handles.hpp"
#include "pki/openssl_error.hpp"
#include "pki/tcp_connect.hpp"

namespace ck::pki {
namespace {

// OpenSSL writes to the socket with write(2); a peer that resets mid-handshake would raise
// SIGPIPE and kill the daemon. Block it on this thread for the probe and swallow any SIGPIPE
// the probe itself caused, leaving the process's signal disposition alone.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_set, &old_) == 0;
  }
  ~ScopedSigpipeBlock() {
    if (!blocked_) return;
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe_set;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_set, nullptr, &zero) == -1 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t old_{};
  bool blocked_ = false;
  bool was_pending_ = false;
};

std::string ChooseSni(const TlsProbeOptions& o) {
  std::string sni = o.sni.empty() ? o.host : o.sni;
  if (sni.size() > 2 && sni.front() == '[' && sni.back() == ']') return "";  // IPv6 literal
  if (!sni.empty() && sni.back() == '.') sni.pop_back();  // RFC 6066 §3: no trailing dot
  if (o.sni.empty() && IsIpLiteral(sni)) return "";
  return sni;
}

Result<std::string> AlpnWire(const std::vector<std::string>& protos) {
  std::string wire;
  for (const auto& p : protos) {
    if (p.empty() || p.size() > 255) {
      return InvalidArgumentError("ALPN protocol names must be 1..255 bytes");
    }
    wire += static_cast<char>(p.size());
    wire += p;
  }
  return wire;
}

Status HandshakeError(SSL* ssl, int rc, const std::string& where) {
  const int err = SSL_get_error(ssl, rc);
  const int saved_errno = errno;
  std::string detail = DrainOpenSslErrors();
  if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && detail.empty())) {
    if (err == SSL_ERROR_SYSCALL && saved_errno != 0) {
      return UnavailableError("TLS handshake with " + where +
                              " failed: " + std::strerror(saved_errno));
    }
    return UnavailableError("TLS handshake with " + where +
                            " failed: the server closed the connection (not a TLS port, or it "
                            "rejected our ClientHello)");
  }
  return UnavailableError("TLS handshake with " + where + " failed" +
                          (detail.empty() ? std::string() : ": " + detail));
}

}  // namespace

Result<TlsProbeResult> ProbeTls(const TlsProbeOptions& options) {
  const std::string where = HostPort(options.host, options.port);
  if (options.timeout.count() <= 0) return InvalidArgumentError("TLS probe timeout must be > 0");
  if (options.sni.find('\0') != std::string::npos) {
    return InvalidArgumentError("SNI name contains a NUL byte");
  }
  ASSIGN_OR_RETURN(std::string alpn_wire, AlpnWire(options.alpn));
  ScopedSigpipeBlock no_sigpipe;
  ERR_clear_error();
  const Deadline deadline = std::chrono::steady_clock::now() + options.timeout;
  const std::string after = " after " + std::to_string(options.timeout.count()) + "ms";

  auto conn = ConnectTcp(options.host, options.port, deadline);
  if (!conn.ok()) {
    if (conn.status().code() == StatusCode::kDeadlineExceeded) {
      return DeadlineExceededError("connecting to " + where + " timed out" + after);
    }
    return conn.status();
  }
  if (Status s = NegotiateStartTls(conn->fd.get(), options.starttls, deadline, where); !s.ok()) {
    if (s.code() == StatusCode::kDeadlineExceeded) {
      return DeadlineExceededError(std::string(StartTlsName(options.starttls)) + " STARTTLS with " +
                                   where + " timed out" + after);
    }
    return s;
  }

  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return OpenSslError(StatusCode::kInternal, "SSL_CTX_new failed");
  // We observe, we do not trust: no verification here, and no security-level or protocol
  // floor, so that a weak or outdated server can still be captured and reported on.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
  if (options.legacy_only) {
    // TLS 1.0/1.1 need SHA-1/MD5 in their PRF and CBC-SHA suites, which DEFAULT only offers at
    // security level 0.
    SSL_CTX_set_max_proto_version(ctx.get(), TLS1_1_VERSION);
    if (SSL_CTX_set_cipher_list(ctx.get(), "DEFAULT@SECLEVEL=0") != 1) {
      return OpenSslError(StatusCode::kInternal, "cannot enable legacy cipher suites");
    }
  }
  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), conn->fd.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "SSL_new failed");
  }
  const std::string sni = ChooseSni(options);
  if (!sni.empty() && SSL_set_tlsext_host_name(ssl.get(), sni.c_str()) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument, "invalid SNI name '" + sni + "'");
  }
  if (!alpn_wire.empty() &&
      SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(alpn_wire.data()),
                          static_cast<unsigned int>(alpn_wire.size())) != 0) {  // 0 = success
    return OpenSslError(StatusCode::kInternal, "cannot set ALPN");
  }

  for (;;) {
    errno = 0;
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    const int err = SSL_get_error(ssl.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      Status wait = WaitForSocket(conn->fd.get(), err == SSL_ERROR_WANT_WRITE, deadline,
                                  "TLS handshake with " + where);
      if (wait.code() == StatusCode::kDeadlineExceeded) {
        return DeadlineExceededError("TLS handshake with " + where + " timed out" + after);
      }
      RETURN_IF_ERROR(wait);
      continue;
    }
    return HandshakeError(ssl.get(), rc, where);
  }

  TlsProbeResult result;
  result.peer_address = conn->peer_address;
  result.sni = sni;
  result.protocol = SSL_get_version(ssl.get());
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl.get()); cipher != nullptr) {
    result.cipher = SSL_CIPHER_get_name(cipher);
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl.get(), &alpn, &alpn_len);
  if (alpn != nullptr) result.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  // On the client side the peer chain includes the leaf (SSL_get_peer_cert_chain(3)).
  STACK_OF(X509)* served = SSL_get_peer_cert_chain(ssl.get());
  for (int i = 0; served != nullptr && i < sk_X509_num(served); ++i) {
    // Re-parse through FromDer so served certificates get the same validation as files.
    unsigned char* der = nullptr;
    const int len = i2d_X509(sk_X509_value(served, i), &der);
    OpenSslBytesPtr owner(der);
    auto cert = len > 0 ? Certificate::FromDer(der, static_cast<size_t>(len))
                        : Result<Certificate>(InvalidArgumentError("cannot re-encode"));
    if (!cert.ok()) {
      return cert.status().WithContext("TLS server " + where + " sent an unusable certificate #" +
                                       std::to_string(i + 1));
    }
    result.chain.push_back(std::move(cert).value());
  }
  SSL_shutdown(ssl.get());  // best effort close_notify; we do not wait for the reply
  ERR_clear_error();
  if (result.chain.empty()) {
    return UnavailableError("TLS server " + where + " sent no certificate");
  }
  return result;
}

}  // namespace ck::pki
