#include "tests/testing/test_ca.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <chrono>

#include "pki/handles.hpp"
#include "pki/openssl_error.hpp"

namespace ck::testing {
namespace {

using pki::OpenSslError;

std::string Join(const std::vector<std::string>& items, const std::string& prefix) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + prefix + item;
  return out;
}

Status AddExt(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  if (value.empty()) return OkStatus();
  pki::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        "TestCa: bad extension " + std::string(OBJ_nid2sn(nid)) + "=" + value);
  }
  return OkStatus();
}

Status SetSerial(X509* cert, const std::string& serial_hex) {
  BIGNUM* raw = nullptr;
  if (serial_hex.empty()) {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) return InternalError("TestCa: RAND_bytes");
    bytes[0] &= 0x7f;  // positive
    bytes[0] |= 0x01;  // and full length, so serials always print as 32 hex digits
    raw = BN_bin2bn(bytes, sizeof(bytes), nullptr);
  } else if (BN_hex2bn(&raw, serial_hex.c_str()) == 0) {
    return InvalidArgumentError("TestCa: bad serial_hex " + serial_hex);
  }
  pki::BignumPtr bn(raw);
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError(StatusCode::kInternal, "TestCa: serial");
  }
  return OkStatus();
}

Status SetName(X509_NAME* name, const CertSpec& spec) {
  auto add = [&](const char* field, const std::string& value) -> Status {
    if (value.empty()) return OkStatus();
    if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      return OpenSslError(StatusCode::kInvalidArgument, "TestCa: bad " + std::string(field));
    }
    return OkStatus();
  };
  RETURN_IF_ERROR(add("O", spec.organization));
  return add("CN", spec.common_name);
}

std::vector<std::string> DefaultKeyUsage(const CertSpec& spec, const EVP_PKEY* key) {
  if (spec.is_ca) return {"keyCertSign", "cRLSign", "digitalSignature"};
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) return {"digitalSignature", "keyEncipherment"};
  return {"digitalSignature"};
}

// Builds and signs one certificate. `issuer` null means self-signed with `subject_key`.
Result<pki::Certificate> Mint(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                              EVP_PKEY* issuer_key) {
  pki::X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError(StatusCode::kInternal, "TestCa: X509_new");
  }
  RETURN_IF_ERROR(SetSerial(cert.get(), spec.serial_hex));
  RETURN_IF_ERROR(SetName(X509_get_subject_name(cert.get()), spec));
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer)
                                                     : X509_get_subject_name(cert.get()));
  const TimePoint now = SystemClock().Now();
  const TimePoint nb = spec.not_before.value_or(now - std::chrono::hours(1));
  const TimePoint na = spec.not_after.value_or(now + std::chrono::hours(24 * 90));
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), ToUnixSeconds(nb)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), ToUnixSeconds(na)) == nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return OpenSslError(StatusCode::kInternal, "TestCa: validity/pubkey");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string bc = spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
  if (spec.is_ca && spec.path_length) bc += ",pathlen:" + std::to_string(*spec.path_length);
  RETURN_IF_ERROR(AddExt(cert.get(), &ctx, NID_basic_constraints, bc));
  const auto ku = spec.key_usage.value_or(DefaultKeyUsage(spec, subject_key));
  if (!ku.empty()) {
    RETURN_IF_ERROR(AddExt(cert.get(), &ctx, NID_key_usage, "critical," + Join(ku, "")));
  }
  RETURN_IF_ERROR(AddExt(cert.get(), &ctx, NID_ext_key_usage, Join(spec.ekus, "")));
  if (spec.subject_key_id) {
    RETURN_IF_ERROR(AddExt(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  }
  if (spec.authority_key_id) {
    RETURN_IF_ERROR(AddExt(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  }
  std::vector<std::string> sans;
  for (const auto& v : spec.dns_names) sans.push_back("DNS:" + v);
  for (const auto& v : spec.ip_addresses) sans.push_back("IP:" + v);
  for (const auto& v : spec.uris) sans.push_back("URI:" + v);
  for (const auto& v : spec.emails) sans.push_back("email:" + v);
  for (const auto& v : spec.raw_sans) sans.push_back(v);
  RETURN_IF_ERROR(AddExt(cert.get(), &ctx, NID_subject_alt_name, Join(sans, "")));
  std::vector<std::string> aia;
  for (const auto& v : spec.ocsp_urls) aia.push_back("OCSP;URI:" + v);
  for (const auto& v : spec.ca_issuer_urls) aia.push_back("caIssuers;URI:" + v);
  RETURN_IF_ERROR(AddExt(cert.get(), &ctx, NID_info_access, Join(aia, "")));
  RETURN_IF_ERROR(
      AddExt(cert.get(), &ctx, NID_crl_distribution_points, Join(spec.crl_urls, "URI:")));

  const int id = EVP_PKEY_get_base_id(issuer_key);
  const EVP_MD* md = nullptr;
  if (id != EVP_PKEY_ED25519 && id != EVP_PKEY_ED448) {
    md = EVP_get_digestbyname(spec.digest.c_str());
    if (md == nullptr) return InvalidArgumentError("TestCa: unknown digest " + spec.digest);
  }
  if (X509_sign(cert.get(), issuer_key, md) <= 0) {
    return OpenSslError(StatusCode::kInternal, "TestCa: X509_sign");
  }
  // Round-trip through DER so the result is exactly what a parser would see on the wire.
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  pki::OpenSslBytesPtr owner(der);
  if (len <= 0) return OpenSslError(StatusCode::kInternal, "TestCa: i2d_X509");
  return pki::Certificate::FromDer(der, static_cast<size_t>(len));
}

Result<pki::PrivateKey> KeyFor(const CertSpec& spec) {
  if (spec.key) return *spec.key;
  return pki::PrivateKey::Generate(spec.key_type);
}

}  // namespace

TimePoint UtcTime(int year, unsigned month, unsigned day, int hour, int minute, int second) {
  using namespace std::chrono;
  return TimePoint(sys_days(year_month_day{std::chrono::year{year}, std::chrono::month{month},
                                           std::chrono::day{day}})) +
         hours(hour) + minutes(minute) + seconds(second);
}

CertSpec CaSpec(std::string common_name) {
  CertSpec spec;
  spec.common_name = std::move(common_name);
  spec.organization = "certkeeper tests";
  spec.is_ca = true;
  spec.ekus = {};
  const TimePoint now = SystemClock().Now();
  spec.not_before = now - std::chrono::hours(24 * 365);
  spec.not_after = now + std::chrono::hours(24 * 365 * 10);
  return spec;
}

Result<TestCa> TestCa::CreateRoot(CertSpec spec) {
  spec.is_ca = true;
  ASSIGN_OR_RETURN(pki::PrivateKey key, KeyFor(spec));
  ASSIGN_OR_RETURN(pki::Certificate cert, Mint(spec, key.get(), nullptr, key.get()));
  pki::Certificate root = cert;
  return TestCa(std::move(cert), std::move(key), std::move(root), {});
}

Result<TestCa> TestCa::CreateIntermediate(CertSpec spec) const {
  spec.is_ca = true;
  ASSIGN_OR_RETURN(pki::PrivateKey key, KeyFor(spec));
  ASSIGN_OR_RETURN(pki::Certificate cert, Mint(spec, key.get(), cert_.get(), key_.get()));
  std::vector<pki::Certificate> intermediates = {cert};
  intermediates.insert(intermediates.end(), intermediates_.begin(), intermediates_.end());
  return TestCa(std::move(cert), std::move(key), root_, std::move(intermediates));
}

Result<IssuedCert> TestCa::Issue(CertSpec spec) const {
  ASSIGN_OR_RETURN(pki::PrivateKey key, KeyFor(spec));
  ASSIGN_OR_RETURN(pki::Certificate cert, Mint(spec, key.get(), cert_.get(), key_.get()));
  std::vector<pki::Certificate> chain = {cert};
  chain.insert(chain.end(), intermediates_.begin(), intermediates_.end());
  return IssuedCert{std::move(cert), std::move(key), std::move(chain)};
}

Result<pki::Certificate> TestCa::IssueForCsr(const pki::Csr& csr, CertSpec spec) const {
  EVP_PKEY* pub = X509_REQ_get0_pubkey(csr.get());
  if (pub == nullptr) return InvalidArgumentError("TestCa: CSR has no usable public key");
  return Mint(spec, pub, cert_.get(), key_.get());
}

}  // namespace ck::testing
