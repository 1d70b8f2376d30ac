#include "pki/verify.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "pki/general_names.hpp"
#include "pki/openssl_error.hpp"
#include "pki/x509_util.hpp"

namespace ck::pki {
namespace {

struct PurposeEntry {
  std::string_view name;
  int id;
};
constexpr PurposeEntry kPurposes[] = {
    {"serverAuth", X509_PURPOSE_SSL_SERVER},
    {"clientAuth", X509_PURPOSE_SSL_CLIENT},
    {"emailProtection", X509_PURPOSE_SMIME_SIGN},
    {"OCSPSigning", X509_PURPOSE_OCSP_HELPER},
    {"any", X509_PURPOSE_ANY},
};

VerifyResult Fail(VerifyReason reason, std::string message) {
  VerifyResult r;
  r.reason = reason;
  r.message = std::move(message);
  return r;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

// How the failing certificate is called in messages: the leaf is "certificate", the rest are
// named by their role so "intermediate expired" is not mistaken for "your cert expired".
std::string Role(int depth, const Certificate& cert) {
  if (depth <= 0) return "certificate";
  return cert.IsSelfSigned() ? "root certificate" : "intermediate certificate";
}

std::string Explain(int err, int depth, const Certificate* cert, const VerifyOptions& options,
                    VerifyResult* result) {
  const std::string at = FormatRfc3339(options.at);
  if (cert == nullptr) {
    return std::string(X509_verify_cert_error_string(err)) + " (at " + at + ")";
  }
  const std::string who = Role(depth, *cert) + " '" + cert->Subject() + "'";
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  switch (result->reason) {
    case VerifyReason::kExpired: {
      const TimePoint end = cert->NotAfter();
      return who + " expired at " + FormatRfc3339(end) + " (" +
             HumanDuration(duration_cast<seconds>(options.at - end)) + " before the check time " +
             at + ")";
    }
    case VerifyReason::kNotYetValid: {
      const TimePoint start = cert->NotBefore();
      return who + " is not yet valid until " + FormatRfc3339(start) + " (" +
             HumanDuration(duration_cast<seconds>(start - options.at)) + " after the check time " +
             at + ") — check clock skew";
    }
    case VerifyReason::kUnknownIssuer:
      return "unknown authority: issuer '" + result->missing_issuer + "' of " + who +
             " not found in the trust store or the served chain";
    case VerifyReason::kSelfSignedNotTrusted:
      if (depth == 0) return who + " is self-signed and not in the trust store";
      return "the chain ends at self-signed root '" + cert->Subject() +
             "', which is not in the trust store";
    case VerifyReason::kHostnameMismatch: {
      std::vector<std::string> names;
      for (const auto& san : cert->SubjectAltNames()) names.push_back(FormatSan(san));
      return who + " is not valid for '" + options.hostname + "' (it names: " + Join(names) + ")";
    }
    case VerifyReason::kBadSignature:
      return "the signature on " + who + " does not verify with its issuer's key ('" +
             cert->Issuer() + "'): the chain is corrupt or mixes up issuers";
    case VerifyReason::kInvalidPurpose:
      return who + " may not be used for " + options.purpose +
             " (extended key usages: " + Join(cert->Inspect().extended_key_usages) + ")";
    case VerifyReason::kRevoked: return who + " is revoked";
    default: return who + ": " + X509_verify_cert_error_string(err) + " (at " + at + ")";
  }
}

VerifyReason ReasonFor(int err) {
  switch (err) {
    case X509_V_OK: return VerifyReason::kOk;
    case X509_V_ERR_CERT_HAS_EXPIRED: return VerifyReason::kExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return VerifyReason::kNotYetValid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return VerifyReason::kUnknownIssuer;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return VerifyReason::kSelfSignedNotTrusted;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return VerifyReason::kHostnameMismatch;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: return VerifyReason::kBadSignature;
    case X509_V_ERR_INVALID_PURPOSE: return VerifyReason::kInvalidPurpose;
    case X509_V_ERR_CERT_REVOKED: return VerifyReason::kRevoked;
    default: return VerifyReason::kOther;
  }
}

VerifyResult Verify(const std::vector<Certificate>& chain, X509_STORE* store,
                    const VerifyOptions& options) {
  ScopedOpenSslErrorClear clear;
  if (chain.empty()) return Fail(VerifyReason::kOther, "no certificate to verify (empty chain)");
  if (options.at == TimePoint{}) {
    return Fail(VerifyReason::kOther, "no verification time given (VerifyOptions::at)");
  }
  int purpose = 0;
  if (!options.purpose.empty()) {
    for (const auto& p : kPurposes) {
      if (p.name == options.purpose) purpose = p.id;
    }
    if (purpose == 0) {
      return Fail(VerifyReason::kOther, "unknown verification purpose '" + options.purpose +
                                            "' (expected serverAuth, clientAuth, "
                                            "emailProtection, OCSPSigning or any)");
    }
  }
  StackOfX509Ptr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) return Fail(VerifyReason::kOther, "out of memory");
  for (size_t i = 1; i < chain.size(); ++i) {
    if (sk_X509_push(untrusted.get(), chain[i].get()) <= 0) {
      return Fail(VerifyReason::kOther, "out of memory");
    }
    X509_up_ref(chain[i].get());  // the stack's deleter drops this reference
  }
  if (X509_STORE_CTX_init(ctx.get(), store, chain[0].get(), untrusted.get()) != 1) {
    return Fail(VerifyReason::kOther,
                OpenSslError(StatusCode::kInternal, "cannot initialise verification").message());
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // The caller's clock, never OpenSSL's time(): see the header.
  X509_VERIFY_PARAM_set_time(param, ToTimeT(options.at));
  if (options.allow_partial_chain) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  if (purpose != 0 && X509_STORE_CTX_set_purpose(ctx.get(), purpose) != 1) {
    return Fail(VerifyReason::kOther, "cannot set verification purpose " + options.purpose);
  }
  if (!options.hostname.empty()) {
    std::string host = options.hostname;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (!host.empty() && host.back() == '.') host.pop_back();
    int set = 0;
    if (IsIpLiteral(host)) {
      set = X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      // Same RFC 6125 rules as MatchesHostname: whole-label wildcards, SAN only.
      X509_VERIFY_PARAM_set_hostflags(
          param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
      set = X509_VERIFY_PARAM_set1_host(param, host.data(), host.size());
    }
    if (set != 1 || host.empty()) {
      return Fail(
          VerifyReason::kOther,
          "invalid hostname '" +
              EscapeForDisplay(reinterpret_cast<const unsigned char*>(options.hostname.data()),
                               options.hostname.size()) +
              "'");
    }
  }

  VerifyResult result;
  if (X509_verify_cert(ctx.get()) == 1) {
    result.ok = true;
    result.reason = VerifyReason::kOk;
    STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
    for (int i = 0; built != nullptr && i < sk_X509_num(built); ++i) {
      Certificate c = Certificate::Share(sk_X509_value(built, i));
      result.path.push_back(c.Subject());
      result.verified_chain.push_back(std::move(c));
    }
    return result;
  }
  const int err = X509_STORE_CTX_get_error(ctx.get());
  result.openssl_error = err;
  result.reason = ReasonFor(err);
  result.failing_depth = X509_STORE_CTX_get_error_depth(ctx.get());
  std::optional<Certificate> failing;
  if (X509* cur = X509_STORE_CTX_get_current_cert(ctx.get()); cur != nullptr) {
    failing = Certificate::Share(cur);
    result.failing_subject = failing->Subject();
    for (size_t i = 0; i < chain.size(); ++i) {
      if (chain[i] == *failing) {
        result.failing_index = static_cast<int>(i);
        break;
      }
    }
    if (result.reason == VerifyReason::kUnknownIssuer) result.missing_issuer = failing->Issuer();
  }
  result.message =
      Explain(err, result.failing_depth, failing ? &*failing : nullptr, options, &result);
  return result;
}

}  // namespace

std::string_view VerifyReasonName(VerifyReason reason) {
  switch (reason) {
    case VerifyReason::kOk: return "ok";
    case VerifyReason::kExpired: return "expired";
    case VerifyReason::kNotYetValid: return "not_yet_valid";
    case VerifyReason::kUnknownIssuer: return "unknown_issuer";
    case VerifyReason::kSelfSignedNotTrusted: return "self_signed_not_trusted";
    case VerifyReason::kHostnameMismatch: return "hostname_mismatch";
    case VerifyReason::kBadSignature: return "bad_signature";
    case VerifyReason::kInvalidPurpose: return "invalid_purpose";
    case VerifyReason::kRevoked: return "revoked";
    case VerifyReason::kOther: return "other";
  }
  return "other";
}

VerifyResult VerifyChain(const std::vector<Certificate>& chain,
                         const std::vector<Certificate>& trust_roots,
                         const VerifyOptions& options) {
  X509StorePtr store(X509_STORE_new());
  if (!store) return Fail(VerifyReason::kOther, "out of memory");
  for (const auto& root : trust_roots) {
    // X509_STORE_add_cert takes its own reference; a duplicate root is not an error.
    if (X509_STORE_add_cert(store.get(), root.get()) != 1) ERR_clear_error();
  }
  return Verify(chain, store.get(), options);
}

VerifyResult VerifyChainWithSystemRoots(const std::vector<Certificate>& chain,
                                        const VerifyOptions& options) {
  X509StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_set_default_paths(store.get()) != 1) {
    return Fail(
        VerifyReason::kOther,
        OpenSslError(StatusCode::kInternal, "cannot load the system trust store").message());
  }
  return Verify(chain, store.get(), options);
}

Status CheckChainOrder(const std::vector<Certificate>& chain) {
  if (chain.empty()) return InvalidArgumentError("certificate chain is empty");
  ScopedOpenSslErrorClear clear;
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    for (size_t j = i + 1; j < chain.size(); ++j) {
      if (chain[i] == chain[j]) {
        return InvalidArgumentError("certificate #" + std::to_string(j + 1) + " '" +
                                    chain[j].Subject() + "' appears twice in the chain");
      }
    }
    if (X509_check_issued(chain[i + 1].get(), chain[i].get()) == X509_V_OK) continue;
    std::string hint;
    for (size_t k = 0; k < chain.size(); ++k) {
      if (k != i && X509_check_issued(chain[k].get(), chain[i].get()) == X509_V_OK) {
        hint = " (its issuer is certificate #" + std::to_string(k + 1) + ")";
      }
    }
    return InvalidArgumentError("chain out of order: certificate #" + std::to_string(i + 2) + " '" +
                                chain[i + 1].Subject() + "' did not issue #" +
                                std::to_string(i + 1) + " '" + chain[i].Subject() + "'" + hint);
  }
  return OkStatus();
}

std::string HumanDuration(std::chrono::seconds d) {
  long long s = d.count() < 0 ? -d.count() : d.count();
  auto unit = [](long long n, const char* name) {
    return std::to_string(n) + " " + name + (n == 1 ? "" : "s");
  };
  if (s >= 86400) return unit(s / 86400, "day");
  if (s >= 3600) return unit(s / 3600, "hour");
  if (s >= 60) return unit(s / 60, "minute");
  return unit(s, "second");
}

}  // namespace ck::pki
