#include "acme/solvers/tls_alpn01.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "acme/solvers/listen_socket.hpp"
#include "common/log.hpp"
#include "pki/digest.hpp"
#include "pki/handles.hpp"
#include "pki/openssl_error.hpp"

namespace ck::acme {
namespace {

constexpr unsigned char kAcmeTls1[] =
    "\x0a"
    "acme-tls/1";                                            // length-prefixed ALPN
constexpr char kAcmeIdentifierOid[] = "1.3.6.1.5.5.7.1.31";  // RFC 8737 §6.1

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string ReverseDnsName(const std::string& ip) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1) {
    return std::to_string(buf[3]) + "." + std::to_string(buf[2]) + "." + std::to_string(buf[1]) +
           "." + std::to_string(buf[0]) + ".in-addr.arpa";
  }
  if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += hex[buf[i] & 0xf];
      out += '.';
      out += hex[buf[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  return ip;
}

Result<pki::Certificate> BuildTlsAlpn01Certificate(const Identifier& identifier,
                                                   const std::string& key_authorization,
                                                   const pki::PrivateKey& key, TimePoint now) {
  pki::X509Ptr x(X509_new());
  if (!x) return pki::OpenSslError(StatusCode::kInternal, "X509_new");
  X509_set_version(x.get(), 2);
  ASSIGN_OR_RETURN(Bytes serial_bytes, pki::RandomBytes(16));
  serial_bytes[0] &= 0x7f;
  pki::BignumPtr bn(BN_bin2bn(serial_bytes.data(), static_cast<int>(serial_bytes.size()), nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()));
  time_t t = static_cast<time_t>(ToUnixSeconds(now));
  ASN1_TIME_set(X509_getm_notBefore(x.get()), t - 3600);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), t + 7 * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ACME tls-alpn-01"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), key.get());

  // subjectAltName: exactly the identifier being validated (RFC 8737 §3).
  std::string san = (identifier.type == "ip" ? "IP:" : "DNS:") + identifier.value;
  pki::X509ExtensionPtr san_ext(
      X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str()));
  if (!san_ext || !X509_add_ext(x.get(), san_ext.get(), -1)) {
    return pki::OpenSslError(StatusCode::kInvalidArgument, "tls-alpn-01 SAN " + san);
  }
  // id-pe-acmeIdentifier, critical, extnValue = DER OCTET STRING of the 32-byte digest.
  Bytes digest = pki::Sha256(key_authorization);
  Bytes inner = {0x04, 0x20};
  inner.insert(inner.end(), digest.begin(), digest.end());
  pki::Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(value.get(), inner.data(), static_cast<int>(inner.size()));
  ASN1_OBJECT* oid = OBJ_txt2obj(kAcmeIdentifierOid, 1);
  pki::X509ExtensionPtr acme_ext(X509_EXTENSION_create_by_OBJ(nullptr, oid, 1, value.get()));
  ASN1_OBJECT_free(oid);
  if (!acme_ext || !X509_add_ext(x.get(), acme_ext.get(), -1)) {
    return pki::OpenSslError(StatusCode::kInternal, "acmeIdentifier extension");
  }
  if (X509_sign(x.get(), key.get(), EVP_sha256()) <= 0) {
    return pki::OpenSslError(StatusCode::kInternal, "signing the tls-alpn-01 certificate");
  }
  return pki::Certificate::Share(x.get());
}

struct TlsAlpn01Server::Impl {
  Clock* clock = nullptr;
  std::optional<pki::PrivateKey> key;
  pki::SslCtxPtr ctx;
  Fd listener;
  int stop_pipe[2] = {-1, -1};
  mutable std::mutex mu;
  // SNI name (lowercase) -> (certificate, references)
  std::map<std::string, std::pair<pki::Certificate, int>> certs;
};

TlsAlpn01Server::TlsAlpn01Server() : impl_(std::make_unique<Impl>()) {}

namespace {

int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  // RFC 8737 §3: only "acme-tls/1"; anything else gets no_application_protocol.
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kAcmeTls1, sizeof(kAcmeTls1) - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

Result<std::unique_ptr<TlsAlpn01Server>> TlsAlpn01Server::Start(const std::string& address,
                                                                uint16_t port, Clock& clock) {
  std::unique_ptr<TlsAlpn01Server> self(new TlsAlpn01Server());
  Impl& impl = *self->impl_;
  impl.clock = &clock;
  ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256));
  impl.key = std::move(key);
  impl.ctx.reset(SSL_CTX_new(TLS_server_method()));
  if (!impl.ctx) return pki::OpenSslError(StatusCode::kInternal, "SSL_CTX_new");
  // RFC 8737 §4: TLS 1.2 or later.
  SSL_CTX_set_min_proto_version(impl.ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_alpn_select_cb(impl.ctx.get(), SelectAlpn, nullptr);
  // The certificate is chosen by SNI as soon as the ClientHello is in.
  SSL_CTX_set_client_hello_cb(
      impl.ctx.get(),
      [](SSL* s, int* alert, void*) -> int {
        auto* self = static_cast<TlsAlpn01Server*>(SSL_get_app_data(s));
        const unsigned char* ext = nullptr;
        size_t ext_len = 0;
        // server_name extension: list length(2) type(1) name length(2) name.
        if (!SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &ext, &ext_len) || ext_len < 5 ||
            ext[2] != TLSEXT_NAMETYPE_host_name) {
          *alert = SSL_AD_UNRECOGNIZED_NAME;
          return SSL_CLIENT_HELLO_ERROR;
        }
        size_t n = (static_cast<size_t>(ext[3]) << 8) | ext[4];
        if (5 + n > ext_len) return SSL_CLIENT_HELLO_ERROR;
        std::string sni = Lower(std::string(reinterpret_cast<const char*>(ext + 5), n));
        std::lock_guard<std::mutex> l(self->impl_->mu);
        auto it = self->impl_->certs.find(sni);
        if (it == self->impl_->certs.end()) {
          *alert = SSL_AD_UNRECOGNIZED_NAME;
          return SSL_CLIENT_HELLO_ERROR;
        }
        if (SSL_use_certificate(s, it->second.first.get()) != 1 ||
            SSL_use_PrivateKey(s, self->impl_->key->get()) != 1) {
          return SSL_CLIENT_HELLO_ERROR;
        }
        return SSL_CLIENT_HELLO_SUCCESS;
      },
      nullptr);

  auto sock = ListenTcp(address, port);
  if (!sock.ok()) return sock.status().WithContext("tls-alpn-01 solver");
  impl.listener.fd = sock->fd;
  self->port_ = sock->port;
  if (::pipe2(impl.stop_pipe, O_CLOEXEC) != 0) return InternalError("pipe2 failed");
  TlsAlpn01Server* raw = self.get();
  self->thread_ = std::thread([raw] { raw->Serve(); });
  return self;
}

TlsAlpn01Server::~TlsAlpn01Server() {
  if (impl_->stop_pipe[1] >= 0) {
    char c = 1;
    (void)::write(impl_->stop_pipe[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : impl_->stop_pipe) {
    if (fd >= 0) ::close(fd);
  }
}

size_t TlsAlpn01Server::names() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->certs.size();
}

void TlsAlpn01Server::Serve() {
  // A validator that closes early makes OpenSSL's write raise SIGPIPE, which would kill the
  // process; blocked in this thread, the write fails with EPIPE instead.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
  for (;;) {
    pollfd fds[2] = {{impl_->listener.fd, POLLIN, 0}, {impl_->stop_pipe[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(impl_->listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    HandleConnection(fd);
  }
}

void TlsAlpn01Server::HandleConnection(int raw_fd) {
  Fd fd{raw_fd};
  // A validator that stalls must not block the listener for long.
  timeval tv{5, 0};
  ::setsockopt(fd.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  pki::SslPtr ssl(SSL_new(impl_->ctx.get()));
  if (!ssl) return;
  SSL_set_fd(ssl.get(), fd.fd);
  SSL_set_app_data(ssl.get(), this);
  if (SSL_accept(ssl.get()) == 1) {
    handshakes_++;
    SSL_shutdown(ssl.get());
  }
  pki::DrainOpenSslErrors();
}

Status TlsAlpn01Server::Present(const ChallengeContext& challenge) {
  ASSIGN_OR_RETURN(pki::Certificate cert,
                   BuildTlsAlpn01Certificate(challenge.identifier, challenge.key_authorization,
                                             *impl_->key, impl_->clock->Now()));
  std::string sni = challenge.identifier.type == "ip" ? ReverseDnsName(challenge.identifier.value)
                                                      : Lower(challenge.identifier.value);
  std::lock_guard<std::mutex> l(impl_->mu);
  auto it = impl_->certs.find(sni);
  if (it == impl_->certs.end()) {
    impl_->certs.emplace(sni, std::make_pair(std::move(cert), 1));
  } else {
    it->second.first = std::move(cert);
    it->second.second++;
  }
  return OkStatus();
}

Status TlsAlpn01Server::CleanUp(const ChallengeContext& challenge) {
  std::string sni = challenge.identifier.type == "ip" ? ReverseDnsName(challenge.identifier.value)
                                                      : Lower(challenge.identifier.value);
  std::lock_guard<std::mutex> l(impl_->mu);
  auto it = impl_->certs.find(sni);
  if (it != impl_->certs.end() && --it->second.second <= 0) impl_->certs.erase(it);
  return OkStatus();
}

}  // namespace ck::acme
