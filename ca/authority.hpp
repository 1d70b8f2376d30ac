// The internal CA: root and intermediate lifecycle, issuance under profiles, revocation, CRLs
// and OCSP, all persisted in the Store. Every method takes `now` from the caller's Clock.
//
// Lifecycle of intermediates (CaRecord::status):
//   pending  -- prepared by PrepareIntermediate: published in ChainBundle, signs nothing yet
//   active   -- the one that signs new certificates (exactly one)
//   retired  -- replaced by ActivateIntermediate: still signs its CRL and OCSP answers
//   decommissioned -- RefreshCrlIfDue found that its last leaf expired
// With CaSettings::ocsp_delegated, every serving intermediate has a delegated OCSP responder
// (RFC 6960 §4.2.2.2), a CA row of role "ocsp-responder": "active" signs the intermediate's
// OCSP answers, older ones are "retired". RefreshCrlIfDue, and OCSP answering lazily, issue
// the next one when a third of its lifetime remains.
// The root is "active"; its key may be offline (exported and deleted), in which case creating
// an intermediate needs the root key handed back explicitly.
//
// Thread safety: methods may be called from several threads; state lives in the Store, whose
// transactions serialise writers. Keys are cached once unsealed (they are immutable).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ca/ca_material.hpp"
#include "ca/crl_builder.hpp"
#include "ca/ocsp_responder.hpp"
#include "ca/settings.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "pki/csr.hpp"
#include "pki/key.hpp"
#include "store/group_commit.hpp"
#include "store/secret_string.hpp"
#include "store/store.hpp"

namespace ck::ca {

struct PemPair {
  std::string cert_pem;
  std::string key_pem;  // may be empty for an imported root: it then starts offline
};

struct InitOptions {
  // Overrides of the settings for this initialisation.
  std::optional<pki::KeyType> root_key_type;
  std::optional<pki::KeyType> intermediate_key_type;
  std::optional<seconds> root_lifetime;
  std::optional<seconds> intermediate_lifetime;
  std::optional<NameConstraints> name_constraints;  // replaces the configured ones
  std::optional<ConstraintTarget> constraint_target;
  // Import instead of generating. The root must be a self-signed CA certificate valid now;
  // the intermediate (needs the root) must be a CA issued by it whose chain verifies now.
  std::optional<PemPair> import_root;
  std::optional<PemPair> import_intermediate;
};

struct IssueOptions {
  std::string profile = "server";
  std::string name;                 // the store's certificate name; default: CN or first SAN
  std::optional<seconds> lifetime;  // default: the profile's; above its maximum is refused
  // SignCsr: the CSR's private key, already sealed in the store. Recorded on the certificate
  // row in the issuing transaction, so a crash can never leave a managed certificate whose
  // key the store cannot name.
  std::optional<int64_t> key_id;
};

struct KeyIssueRequest {
  IssueOptions options;
  pki::SanRequest sans;
  std::string common_name;               // default: the first DNS name
  std::optional<pki::KeyType> key_type;  // default: the profile's
  bool store_key = false;                // keep the key (sealed) in the store
};

struct Issued {
  // The certificate as issued. Parsed only on first use of certificate(): with OpenSSL 3.0
  // parsing decodes the public key through the provider decoders, which costs about as much
  // as the signature, and the API answers from the DER.
  Bytes certificate_der;
  TimePoint not_before;
  TimePoint not_after;
  std::vector<pki::Certificate> chain;  // the issuing intermediate (what follows the leaf)
  pki::Certificate root;
  std::optional<pki::PrivateKey> key;  // IssueWithKey only: handed out this once
  std::string serial_hex;
  std::string profile;
  std::string ca_name;
  int64_t record_id = 0;
  std::optional<int64_t> key_id;  // when the key was stored
  bool lifetime_capped = false;   // notAfter cut to the intermediate's notAfter

  std::string CertificatePem() const;
  // Not thread-safe (it fills the cache below): an Issued belongs to one caller.
  const pki::Certificate& certificate() const;
  mutable std::optional<pki::Certificate> parsed_certificate;  // certificate()'s cache
};

struct CaView {
  store::CaRecord record;
  pki::CertificateInfo info;
  bool key_online = false;
  std::optional<store::CrlRecord> crl;
};

struct CrlRefresh {
  std::vector<std::string> refreshed;        // CA names with a new CRL
  std::vector<std::string> stale;            // due, but the key is offline (the root)
  std::vector<std::string> decommissioned;   // retired intermediates whose last leaf expired
  std::vector<std::string> ocsp_responders;  // delegated OCSP responders newly issued
  std::optional<TimePoint> next_due;         // call again then
};

class Authority {
 public:
  // `settings` should have passed ValidateSettings.
  Authority(store::Store& store, CaSettings settings);

  const CaSettings& settings() const { return settings_; }

  Result<bool> Initialized();
  // Creates (or imports) the root and the first intermediate, their keys, CRLs and an event in
  // one transaction. FailedPrecondition when the CA already exists.
  Status Init(const InitOptions& options, TimePoint now);

  // --- issuance (issuance.cpp) ---
  // Proof of possession (the CSR's signature), names from the CSR checked against the profile
  // and the CA's name constraints, lifetime checked; only the public key and the names are
  // taken from the CSR. Nothing is written unless the certificate is issued.
  Result<Issued> SignCsr(const pki::Csr& csr, const IssueOptions& options, TimePoint now);
  // The same from the CSR's DER, as the API receives it: ECDSA requests take
  // pki::VerifiedEcCsrParts (no X509_REQ decode), anything else pki::Csr.
  Result<Issued> SignCsrDer(const Bytes& der, const IssueOptions& options, TimePoint now);
  Result<Issued> IssueWithKey(const KeyIssueRequest& request, TimePoint now);
  // For in-process callers that hold the private key themselves (the lifecycle manager's
  // internal-CA issuer): the same checks as SignCsr except proof of possession, which a CSR
  // the caller signs only to have it verified again would not add. Never reachable with a key
  // from outside the process: the API takes CSRs. `request.key_type` and `store_key` are
  // ignored.
  Result<Issued> IssueForPublicKey(const pki::PublicKey& key, const KeyIssueRequest& request,
                                   TimePoint now);

  // --- revocation, CRL, OCSP (revocation.cpp) ---
  // Records the revocation, marks the certificate revoked, logs an event and re-signs the
  // issuing CA's CRL, in one transaction. NotFound for a serial this CA did not issue,
  // AlreadyExists when it is already revoked.
  Result<store::RevocationRecord> Revoke(std::string_view serial, RevocationReason reason,
                                         TimePoint now);
  // Re-signs every serving CA's CRL that is within the last third of its lifetime (or
  // missing), and decommissions retired intermediates without unexpired leaves.
  Result<CrlRefresh> RefreshCrlIfDue(TimePoint now);
  // The current CRL of the CA named `ca_name`; empty = the active intermediate.
  Result<store::CrlRecord> CurrentCrl(std::string_view ca_name = "");
  // RFC 6960 responder: good / revoked / unknown for certificates of any serving CA.
  Result<Bytes> RespondOcsp(const Bytes& request_der, TimePoint now);
  Result<OcspAnswer> AnswerOcspRequest(const Bytes& request_der, TimePoint now);

  // --- chain and listing ---
  // The active intermediate, pending and retired ones, then the root: what relying parties
  // need to build a path for any certificate still valid, in PEM order `ca chain` prints.
  Result<std::vector<pki::Certificate>> ChainBundle();
  Result<std::vector<CaView>> ListCas();

  // --- offline root and rotation (lifecycle.cpp) ---
  // FailedPrecondition when the root key is already offline.
  Result<store::SecretString> ExportRootKeyPem();
  // Signs a last root CRL (root_crl_lifetime), then deletes the root key from the store.
  Status DeleteRootKey(TimePoint now);
  // A new intermediate, status pending. `root_key` is needed when the root is offline (it is
  // checked against the root certificate and never stored).
  Result<store::CaRecord> PrepareIntermediate(TimePoint now,
                                              const std::optional<pki::PrivateKey>& root_key);
  // pending -> active, active -> retired. FailedPrecondition when nothing is pending.
  Result<store::CaRecord> ActivateIntermediate(TimePoint now);

 private:
  struct Leaf;
  // `intent`: the issuance announced to issuance_commits_ (when its caller started work the
  // commit may wait for); one is taken here otherwise.
  Result<Issued> IssueLeaf(const Leaf& leaf, TimePoint now, store::GroupCommit::Intent intent = {});
  // What IssueLeaf needs about the active intermediate, loaded from the store once and kept
  // until the CA rows change (ChangeCaRows) or a second has passed (a bound on staleness
  // should anything else write them).
  struct IssuingContext;
  Result<std::shared_ptr<const IssuingContext>> CurrentIssuingContext();
  // A transaction that writes CA rows: the issuing context is reloaded after it, whatever
  // its outcome. Every write of CA rows goes through here.
  Status ChangeCaRows(const std::function<Status(store::Store&)>& write) {
    Status s = store_.RunInTransaction(write);
    ++ca_generation_;
    return s;
  }
  Result<CaEntity> GenerateRoot(const InitOptions& options, const NameConstraints& nc,
                                ConstraintTarget target, TimePoint now);
  Result<CaEntity> NewIntermediate(const CaEntity& root, const pki::PrivateKey& root_key,
                                   const InitOptions& options, TimePoint now);
  // Signs and stores the next CRL of `ca` (inside the caller's transaction `tx`).
  Status WriteCrl(store::Store& tx, const CaEntity& ca, TimePoint now);
  seconds CrlLifetime(const CaEntity& ca) const;
  Result<OcspStatus> LookupOcspStatus(const CaEntity& ca, const std::string& serial_hex);

  // --- delegated OCSP responders (ocsp_delegation.cpp) ---
  struct DelegatedResponder {
    std::optional<OcspSigner> signer;   // none: delegation off, or `ca` is no serving intermediate
    std::string name;                   // the responder's CA row
    bool issued = false;                // issued by this call
    std::optional<TimePoint> renew_at;  // when a third of its lifetime remains
  };
  // The responder that signs OCSP answers for intermediate `ca` at `now`, issuing the next one
  // (and retiring the previous) when there is none or a third of its lifetime remains.
  // `cas` is what LoadCas(with_keys) returned; concurrent callers issue only one.
  Result<DelegatedResponder> EnsureOcspResponder(const CaEntity& ca,
                                                 const std::vector<CaEntity>& cas, TimePoint now);

  store::Store& store_;
  CaSettings settings_;
  MaterialCache cache_;
  // Issuance records go through one GroupCommit: concurrent issuances share one durable commit
  // (one fsync) instead of queueing for one each.
  store::GroupCommit issuance_commits_;
  std::mutex issuing_mu_;
  std::shared_ptr<const IssuingContext> issuing_;  // guarded by issuing_mu_
  std::atomic<uint64_t> ca_generation_{0};
};

}  // namespace ck::ca
