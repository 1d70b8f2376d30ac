// The contract every Store implementation meets: round trips, error codes, filters, paging,
// transactions, rekey and concurrency. Nothing here may use SQLite: a PostgreSQL store will be
// added as another parameter.
#include "tests/store/store_contract_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>

#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"
#include "tests/store/store_test_util.hpp"

namespace ck::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000;
constexpr int64_t kDay = 86400;

class StoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    auto made = GetParam().make(key_, dir_.path());
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    store_ = std::move(made).value();
  }

  // A key row certificates/accounts/CAs can refer to.
  int64_t MakeKey(const std::string& label) {
    auto id = store_->PutPrivateKey(SampleKeyMeta(label), SamplePrivatePem(label));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.value_or(0);
  }

  int64_t MakeAccount() {
    AcmeAccountRecord a;
    a.server_url = "https://acme.test/directory";
    a.contact = {"mailto:ops@example.com", "mailto:sec@example.com"};
    a.account_url = "https://acme.test/acct/1";
    a.key_id = MakeKey("acme-account");
    a.status = "valid";
    a.created_at = FromUnixSeconds(kT0);
    auto id = store_->PutAcmeAccount(a);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.value_or(0);
  }

  TempDir dir_;
  MasterKey key_ = FixedKey(0x11);
  std::unique_ptr<Store> store_;
};

// --- certificates ---

TEST_P(StoreContractTest, CertificateRoundTrip) {
  CertificateRecord c = SampleCertificate("web", kT0 + 30 * kDay);
  c.key_id = MakeKey("web-key");
  CK_ASSERT_OK_AND_ASSIGN(int64_t id, store_->PutCertificate(c));
  EXPECT_GT(id, 0);
  CK_ASSERT_OK_AND_ASSIGN(CertificateRecord got, store_->GetCertificate(id));
  EXPECT_EQ(got.id, id);
  EXPECT_EQ(got.name, c.name);
  EXPECT_EQ(got.source, c.source);
  EXPECT_EQ(got.issuer, c.issuer);
  EXPECT_EQ(got.serial_hex, c.serial_hex);
  EXPECT_EQ(got.sans, c.sans);
  EXPECT_EQ(got.not_before, c.not_before);
  EXPECT_EQ(got.not_after, c.not_after);
  EXPECT_EQ(got.cert_pem, c.cert_pem);
  EXPECT_EQ(got.chain_pem, c.chain_pem);
  EXPECT_EQ(got.key_id, c.key_id);
  EXPECT_EQ(got.status, c.status);
  EXPECT_EQ(got.fingerprint_sha256, c.fingerprint_sha256);
  EXPECT_EQ(got.created_at, c.created_at);
}

TEST_P(StoreContractTest, CertificateWithoutKeyOrSans) {
  CertificateRecord c = SampleCertificate("ext", kT0);
  c.source = "external";
  c.sans.clear();
  CK_ASSERT_OK_AND_ASSIGN(int64_t id, store_->PutCertificate(c));
  CK_ASSERT_OK_AND_ASSIGN(CertificateRecord got, store_->GetCertificate(id));
  EXPECT_FALSE(got.key_id.has_value());
  EXPECT_TRUE(got.sans.empty());
}

TEST_P(StoreContractTest, CertificateUpdateAndErrors) {
  CK_ASSERT_OK_AND_ASSIGN(int64_t id, store_->PutCertificate(SampleCertificate("web", kT0)));
  CK_ASSERT_OK_AND_ASSIGN(CertificateRecord c, store_->GetCertificate(id));
  c.status = kCertSuperseded;
  CK_ASSERT_OK_AND_ASSIGN(int64_t same, store_->PutCertificate(c));
  EXPECT_EQ(same, id);
  EXPECT_EQ(store_->GetCertificate(id)->status, kCertSuperseded);

  CK_EXPECT_CODE(store_->GetCertificate(id + 1000), kNotFound);
  c.id = id + 1000;
  CK_EXPECT_CODE(store_->PutCertificate(c), kNotFound);
  // The same certificate twice under one name.
  CK_EXPECT_CODE(store_->PutCertificate(SampleCertificate("web", kT0)), kAlreadyExists);
  // ... but the same fingerprint under another name is fine (e.g. an alias).
  CK_EXPECT_OK(store_->PutCertificate(
      SampleCertificate("alias", kT0, SampleCertificate("web", kT0).fingerprint_sha256)));

  CertificateRecord bad = SampleCertificate("bad", kT0);
  bad.source = "stolen";
  CK_EXPECT_CODE(store_->PutCertificate(bad), kInvalidArgument);
  bad = SampleCertificate("bad", kT0);
  bad.sans = {"a.example", "b\nc"};
  CK_EXPECT_CODE(store_->PutCertificate(bad), kInvalidArgument);
  bad = SampleCertificate("", kT0);
  CK_EXPECT_CODE(store_->PutCertificate(bad), kInvalidArgument);
  bad = SampleCertificate("orphan", kT0);
  bad.key_id = 424242;
  CK_EXPECT_CODE(store_->PutCertificate(bad), kFailedPrecondition);

  CK_EXPECT_OK(store_->DeleteCertificate(id));
  CK_EXPECT_CODE(store_->GetCertificate(id), kNotFound);
  CK_EXPECT_CODE(store_->DeleteCertificate(id), kNotFound);
}

TEST_P(StoreContractTest, ListCertificatesFiltersAndOrder) {
  // Inserted out of order; listed by not_after.
  for (int64_t days : {50, 10, 30, 20, 40}) {
    CK_ASSERT_OK(store_->PutCertificate(SampleCertificate("web", kT0 + days * kDay)));
  }
  CertificateRecord api = SampleCertificate("api", kT0 + 15 * kDay);
  api.source = "file";
  CK_ASSERT_OK(store_->PutCertificate(api));

  CK_ASSERT_OK_AND_ASSIGN(auto all, store_->ListCertificates({}));
  ASSERT_EQ(all.size(), 6u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].not_after, all[i].not_after);

  CK_ASSERT_OK_AND_ASSIGN(
      auto web, store_->ListCertificates(Make<CertificateQuery>([](auto& q) { q.name = "web"; })));
  EXPECT_EQ(web.size(), 5u);
  CK_ASSERT_OK_AND_ASSIGN(
      auto files,
      store_->ListCertificates(Make<CertificateQuery>([](auto& q) { q.source = "file"; })));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "api");
  CK_ASSERT_OK_AND_ASSIGN(auto soon, store_->ListCertificates(Make<CertificateQuery>([](auto& q) {
    q.expiring_before = FromUnixSeconds(kT0 + 25 * kDay);
  })));
  ASSERT_EQ(soon.size(), 3u);  // 10, 15 (api), 20
  EXPECT_EQ(soon[1].name, "api");
  CK_ASSERT_OK_AND_ASSIGN(auto none, store_->ListCertificates(
                                         Make<CertificateQuery>([](auto& q) { q.name = "nope"; })));
  EXPECT_TRUE(none.empty());
}

TEST_P(StoreContractTest, ListCertificatesPaging) {
  std::set<int64_t> inserted;
  for (int i = 0; i < 23; ++i) {
    // Several certificates share a not_after, so paging must break ties by id.
    auto id = store_->PutCertificate(SampleCertificate("c" + std::to_string(i), kT0 + (i % 7)));
    ASSERT_TRUE(id.ok());
    inserted.insert(*id);
  }
  std::vector<int64_t> seen;
  CertificateQuery q;
  q.limit = 5;
  for (int page = 0; page < 10; ++page) {
    CK_ASSERT_OK_AND_ASSIGN(auto rows, store_->ListCertificates(q));
    if (rows.empty()) break;
    EXPECT_LE(rows.size(), 5u);
    for (const auto& r : rows) seen.push_back(r.id);
    q.after_id = rows.back().id;
  }
  ASSERT_EQ(seen.size(), inserted.size());
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()), inserted);
  CK_ASSERT_OK_AND_ASSIGN(auto all, store_->ListCertificates({}));
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].id, seen[i]) << i;

  CK_EXPECT_CODE(
      store_->ListCertificates(Make<CertificateQuery>([](auto& q) { q.after_id = 999999; })),
      kInvalidArgument);
}

TEST_P(StoreContractTest, DueBeforeAndCurrent) {
  CK_ASSERT_OK_AND_ASSIGN(int64_t old_id,
                          store_->PutCertificate(SampleCertificate("web", kT0 + 5 * kDay)));
  CK_ASSERT_OK_AND_ASSIGN(int64_t new_id,
                          store_->PutCertificate(SampleCertificate("web", kT0 + 95 * kDay)));
  CK_ASSERT_OK(store_->PutCertificate(SampleCertificate("api", kT0 + 3 * kDay)));
  CertificateRecord revoked = SampleCertificate("old", kT0 + 1 * kDay);
  revoked.status = kCertRevoked;
  CK_ASSERT_OK(store_->PutCertificate(revoked));

  CK_ASSERT_OK_AND_ASSIGN(CertificateRecord current, store_->GetCurrentCertificate("web"));
  EXPECT_EQ(current.id, new_id);
  CK_EXPECT_CODE(store_->GetCurrentCertificate("old"), kNotFound);

  CK_ASSERT_OK_AND_ASSIGN(auto due, store_->ListDueBefore(FromUnixSeconds(kT0 + 10 * kDay)));
  ASSERT_EQ(due.size(), 2u);  // api (day 3), web (day 5); not the revoked one
  EXPECT_EQ(due[0].name, "api");
  EXPECT_EQ(due[1].id, old_id);
  // Boundary: not_after == t is not due.
  CK_ASSERT_OK_AND_ASSIGN(auto edge, store_->ListDueBefore(FromUnixSeconds(kT0 + 3 * kDay)));
  EXPECT_TRUE(edge.empty());
}

// --- keys ---

TEST_P(StoreContractTest, PrivateKeyRoundTrip) {
  KeyRecord meta = SampleKeyMeta("web/2025", "rsa-2048");
  const std::string pem = SamplePrivatePem("web");
  CK_ASSERT_OK_AND_ASSIGN(int64_t id, store_->PutPrivateKey(meta, pem));
  CK_ASSERT_OK_AND_ASSIGN(KeyRecord got, store_->GetKey(id));
  EXPECT_EQ(got.label, meta.label);
  EXPECT_EQ(got.algorithm, meta.algorithm);
  EXPECT_EQ(got.public_pin, meta.public_pin);
  EXPECT_EQ(got.created_at, meta.created_at);
  CK_ASSERT_OK_AND_ASSIGN(KeyRecord by_label, store_->GetKeyByLabel("web/2025"));
  EXPECT_EQ(by_label.id, id);
  CK_ASSERT_OK_AND_ASSIGN(SecretString secret, store_->GetPrivateKeyPem(id));
  EXPECT_EQ(secret.view(), pem);

  CK_EXPECT_CODE(store_->PutPrivateKey(meta, pem), kAlreadyExists);
  CK_EXPECT_CODE(store_->PutPrivateKey(SampleKeyMeta(""), pem), kInvalidArgument);
  CK_EXPECT_CODE(store_->PutPrivateKey(SampleKeyMeta("empty"), ""), kInvalidArgument);
  CK_EXPECT_CODE(store_->GetPrivateKeyPem(id + 100), kNotFound);
  CK_EXPECT_CODE(store_->GetKeyByLabel("nope"), kNotFound);

  CK_ASSERT_OK(store_->PutPrivateKey(SampleKeyMeta("second"), SamplePrivatePem("second")));
  CK_ASSERT_OK_AND_ASSIGN(auto keys, store_->ListKeys());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].label, "web/2025");
  EXPECT_EQ(keys[1].label, "second");
}

TEST_P(StoreContractTest, KeyInUseCannotBeDeleted) {
  int64_t key = MakeKey("web");
  CertificateRecord c = SampleCertificate("web", kT0);
  c.key_id = key;
  CK_ASSERT_OK_AND_ASSIGN(int64_t cert, store_->PutCertificate(c));
  PinSetRecord pin{0, "web", "pin-a", key, "active", FromUnixSeconds(kT0), {}, {}};
  CK_ASSERT_OK_AND_ASSIGN(int64_t pin_id, store_->PutPin(pin));

  CK_EXPECT_CODE(store_->DeletePrivateKey(key), kFailedPrecondition);
  CK_EXPECT_OK(store_->GetPrivateKeyPem(key));  // still there
  CK_ASSERT_OK(store_->DeleteCertificate(cert));
  CK_EXPECT_OK(store_->DeletePrivateKey(key));
  CK_EXPECT_CODE(store_->GetKey(key), kNotFound);
  CK_EXPECT_CODE(store_->DeletePrivateKey(key), kNotFound);
  // Pins outlive their key (the pin itself is what clients hold), losing the reference.
  CK_ASSERT_OK_AND_ASSIGN(auto pins, store_->ListPins("web"));
  ASSERT_EQ(pins.size(), 1u);
  EXPECT_EQ(pins[0].id, pin_id);
  EXPECT_FALSE(pins[0].key_id.has_value());
}

// --- ACME ---

TEST_P(StoreContractTest, AcmeAccountsAndOrders) {
  int64_t account = MakeAccount();
  CK_ASSERT_OK_AND_ASSIGN(AcmeAccountRecord a, store_->GetAcmeAccount(account));
  EXPECT_EQ(a.server_url, "https://acme.test/directory");
  EXPECT_EQ(a.contact,
            (std::vector<std::string>{"mailto:ops@example.com", "mailto:sec@example.com"}));
  EXPECT_EQ(a.account_url, "https://acme.test/acct/1");
  EXPECT_EQ(a.status, "valid");
  a.status = "deactivated";
  a.eab_kid = "kid-1";
  CK_ASSERT_OK(store_->PutAcmeAccount(a));
  EXPECT_EQ(store_->GetAcmeAccount(account)->eab_kid, "kid-1");
  CK_ASSERT_OK_AND_ASSIGN(auto by_server, store_->ListAcmeAccounts("https://acme.test/directory"));
  EXPECT_EQ(by_server.size(), 1u);
  CK_ASSERT_OK_AND_ASSIGN(auto other, store_->ListAcmeAccounts("https://other.test/dir"));
  EXPECT_TRUE(other.empty());
  CK_ASSERT_OK_AND_ASSIGN(auto all_accounts, store_->ListAcmeAccounts(""));
  EXPECT_EQ(all_accounts.size(), 1u);
  a.id = 0;
  a.key_id = 98765;
  CK_EXPECT_CODE(store_->PutAcmeAccount(a), kFailedPrecondition);

  AcmeOrderRecord o;
  o.account_id = account;
  o.certificate_name = "web";
  o.order_url = "https://acme.test/order/1";
  o.status = "pending";
  o.identifiers_json = R"([{"type":"dns","value":"web.example.com"}])";
  o.finalize_url = "https://acme.test/finalize/1";
  o.created_at = o.updated_at = FromUnixSeconds(kT0);
  CK_ASSERT_OK_AND_ASSIGN(int64_t first, store_->PutAcmeOrder(o));
  o.status = "valid";
  o.cert_url = "https://acme.test/cert/1";
  CK_ASSERT_OK_AND_ASSIGN(int64_t second, store_->PutAcmeOrder(o));
  o.certificate_name = "api";
  o.status = "invalid";
  o.error = R"({"type":"urn:ietf:params:acme:error:dns"})";
  CK_ASSERT_OK(store_->PutAcmeOrder(o));

  CK_ASSERT_OK_AND_ASSIGN(AcmeOrderRecord got, store_->GetAcmeOrder(first));
  EXPECT_EQ(got.identifiers_json, R"([{"type":"dns","value":"web.example.com"}])");
  EXPECT_EQ(got.status, "pending");
  CK_ASSERT_OK_AND_ASSIGN(
      auto web,
      store_->ListAcmeOrders(Make<AcmeOrderQuery>([](auto& q) { q.certificate_name = "web"; })));
  ASSERT_EQ(web.size(), 2u);
  EXPECT_EQ(web[0].id, second);  // newest first
  CK_ASSERT_OK_AND_ASSIGN(
      auto invalid,
      store_->ListAcmeOrders(Make<AcmeOrderQuery>([](auto& q) { q.status = "invalid"; })));
  ASSERT_EQ(invalid.size(), 1u);
  EXPECT_EQ(invalid[0].error, R"({"type":"urn:ietf:params:acme:error:dns"})");
  CK_ASSERT_OK_AND_ASSIGN(
      auto limited, store_->ListAcmeOrders(Make<AcmeOrderQuery>([](auto& q) { q.limit = 1; })));
  EXPECT_EQ(limited.size(), 1u);
  CK_EXPECT_CODE(store_->GetAcmeOrder(9999), kNotFound);
  o.id = 0;
  o.account_id = 9999;
  CK_EXPECT_CODE(store_->PutAcmeOrder(o), kFailedPrecondition);
}

// --- CA ---

TEST_P(StoreContractTest, CaMaterial) {
  CaRecord root{0,
                "root",
                "root",
                FakePem("root"),
                std::nullopt,
                "active",
                FromUnixSeconds(kT0 + 3650 * kDay),
                FromUnixSeconds(kT0)};
  CK_ASSERT_OK_AND_ASSIGN(int64_t root_id, store_->PutCa(root));
  CaRecord inter{0,
                 "issuing-1",
                 "intermediate",
                 FakePem("inter"),
                 MakeKey("inter-key"),
                 "active",
                 FromUnixSeconds(kT0 + 365 * kDay),
                 FromUnixSeconds(kT0)};
  CK_ASSERT_OK_AND_ASSIGN(int64_t inter_id, store_->PutCa(inter));

  CK_ASSERT_OK_AND_ASSIGN(CaRecord got_root, store_->GetCa(root_id));
  EXPECT_FALSE(got_root.key_id.has_value());  // offline root
  EXPECT_EQ(got_root.not_after, root.not_after);
  CK_ASSERT_OK_AND_ASSIGN(CaRecord got_inter, store_->GetCaByName("issuing-1"));
  EXPECT_EQ(got_inter.id, inter_id);
  EXPECT_EQ(got_inter.key_id, inter.key_id);
  EXPECT_EQ(got_inter.role, "intermediate");
  CK_ASSERT_OK_AND_ASSIGN(auto cas, store_->ListCas());
  EXPECT_EQ(cas.size(), 2u);

  CK_EXPECT_CODE(store_->PutCa(root), kAlreadyExists);
  root.name = "other";
  root.role = "leaf";
  CK_EXPECT_CODE(store_->PutCa(root), kInvalidArgument);
  CK_EXPECT_CODE(store_->GetCaByName("nope"), kNotFound);
  CK_EXPECT_CODE(store_->DeletePrivateKey(*inter.key_id), kFailedPrecondition);
}

TEST_P(StoreContractTest, CaRevocationsAndCrls) {
  CaRecord ca{0,
              "issuing",
              "intermediate",
              FakePem("inter"),
              MakeKey("inter-key"),
              "active",
              FromUnixSeconds(kT0 + 365 * kDay),
              FromUnixSeconds(kT0)};
  CK_ASSERT_OK_AND_ASSIGN(int64_t ca_id, store_->PutCa(ca));
  CertificateRecord cert = SampleCertificate("svc", kT0 + kDay);
  cert.source = "ca";
  cert.serial_hex = "7F01";
  cert.issuer = "CN=issuing";
  CK_ASSERT_OK_AND_ASSIGN(int64_t cert_id, store_->PutCertificate(cert));
  CK_ASSERT_OK(store_->PutCertificate(SampleCertificate("other", kT0 + kDay)));

  // Serial and issuer lookups (OCSP, revoke by serial).
  CertificateQuery by_serial;
  by_serial.serial_hex = "7F01";
  CK_ASSERT_OK_AND_ASSIGN(auto found, store_->ListCertificates(by_serial));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, cert_id);
  CertificateQuery by_issuer;
  by_issuer.issuer = "CN=issuing";
  EXPECT_EQ(store_->ListCertificates(by_issuer)->size(), 1u);
  // The admin API's per-request revocation check.
  EXPECT_FALSE(*store_->IsSerialRevoked("7F01"));
  CertificateRecord revoked = cert;
  revoked.id = cert_id;
  revoked.status = kCertRevoked;
  CK_ASSERT_OK(store_->PutCertificate(revoked));
  EXPECT_TRUE(*store_->IsSerialRevoked("7F01"));
  EXPECT_FALSE(*store_->IsSerialRevoked("7F02"));

  RevocationRecord r{
      0, ca_id, "7F01", 1, FromUnixSeconds(kT0 + 60), FromUnixSeconds(kT0 + kDay), cert_id};
  CK_ASSERT_OK(store_->PutRevocation(r));
  RevocationRecord later = r;
  later.serial_hex = "00FF";
  later.reason = 0;
  later.revoked_at = FromUnixSeconds(kT0 + 120);
  later.certificate_id = std::nullopt;
  CK_ASSERT_OK(store_->PutRevocation(later));
  CK_ASSERT_OK_AND_ASSIGN(RevocationRecord got, store_->GetRevocation(ca_id, "7F01"));
  EXPECT_EQ(got.reason, 1);
  EXPECT_EQ(got.revoked_at, r.revoked_at);
  EXPECT_EQ(got.not_after, r.not_after);
  EXPECT_EQ(got.certificate_id, cert_id);
  CK_ASSERT_OK_AND_ASSIGN(auto all, store_->ListRevocations(ca_id));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].serial_hex, "7F01");
  EXPECT_EQ(all[1].serial_hex, "00FF");
  EXPECT_TRUE(store_->ListRevocations(ca_id + 100)->empty());

  CK_EXPECT_CODE(store_->PutRevocation(r), kAlreadyExists);
  CK_EXPECT_CODE(store_->GetRevocation(ca_id, "0102"), kNotFound);
  RevocationRecord bad = r;
  bad.serial_hex = "7f:01";
  CK_EXPECT_CODE(store_->PutRevocation(bad), kInvalidArgument);
  bad.serial_hex = "0102";
  bad.reason = 7;  // unused in RFC 5280
  CK_EXPECT_CODE(store_->PutRevocation(bad), kInvalidArgument);
  bad.reason = 4;
  bad.ca_id = ca_id + 100;
  CK_EXPECT_CODE(store_->PutRevocation(bad), kFailedPrecondition);

  // CRL numbers only go up.
  CK_EXPECT_CODE(store_->GetCrl(ca_id), kNotFound);
  CrlRecord crl{ca_id, 1, FromUnixSeconds(kT0), FromUnixSeconds(kT0 + kDay),
                FakePem("crl", "X509 CRL")};
  CK_ASSERT_OK(store_->PutCrl(crl));
  CK_EXPECT_CODE(store_->PutCrl(crl), kFailedPrecondition);
  crl.crl_number = 2;
  crl.this_update = FromUnixSeconds(kT0 + 60);
  CK_ASSERT_OK(store_->PutCrl(crl));
  CK_ASSERT_OK_AND_ASSIGN(CrlRecord got_crl, store_->GetCrl(ca_id));
  EXPECT_EQ(got_crl.crl_number, 2);
  EXPECT_EQ(got_crl.this_update, crl.this_update);
  EXPECT_EQ(got_crl.next_update, crl.next_update);
  EXPECT_EQ(got_crl.crl_pem, crl.crl_pem);
  crl.crl_number = 1;
  CK_EXPECT_CODE(store_->PutCrl(crl), kFailedPrecondition);
  crl.crl_number = 3;
  crl.next_update = crl.this_update;
  CK_EXPECT_CODE(store_->PutCrl(crl), kInvalidArgument);
  EXPECT_EQ(store_->GetCrl(ca_id)->crl_number, 2);

  // A revoked certificate's row can still be deleted; the revocation stays.
  CK_ASSERT_OK(store_->DeleteCertificate(cert_id));
  CK_ASSERT_OK_AND_ASSIGN(got, store_->GetRevocation(ca_id, "7F01"));
  EXPECT_FALSE(got.certificate_id.has_value());
}

// --- pins ---

TEST_P(StoreContractTest, PinSets) {
  PinSetRecord a{0,
                 "web",
                 "pinA=",
                 std::nullopt,
                 "active",
                 FromUnixSeconds(kT0),
                 FromUnixSeconds(kT0 + kDay),
                 std::nullopt};
  PinSetRecord b{0,        "web",        "pinB=",      std::nullopt,
                 "backup", std::nullopt, std::nullopt, std::nullopt};
  PinSetRecord c{0, "api", "pinC=", std::nullopt, "published", FromUnixSeconds(kT0), {}, {}};
  CK_ASSERT_OK_AND_ASSIGN(int64_t a_id, store_->PutPin(a));
  CK_ASSERT_OK(store_->PutPin(b));
  CK_ASSERT_OK(store_->PutPin(c));
  CK_ASSERT_OK_AND_ASSIGN(auto web, store_->ListPins("web"));
  ASSERT_EQ(web.size(), 2u);
  EXPECT_EQ(web[0].pin, "pinA=");
  EXPECT_EQ(web[0].active_at, a.active_at);
  EXPECT_FALSE(web[0].retire_at.has_value());
  EXPECT_FALSE(web[1].publish_at.has_value());
  CK_ASSERT_OK_AND_ASSIGN(auto all, store_->ListPins(""));
  EXPECT_EQ(all.size(), 3u);

  a.id = a_id;
  a.state = "retired";
  a.retire_at = FromUnixSeconds(kT0 + 2 * kDay);
  CK_ASSERT_OK(store_->PutPin(a));
  EXPECT_EQ(store_->ListPins("web")->at(0).state, "retired");

  CK_EXPECT_CODE(store_->PutPin(b), kAlreadyExists);  // same pin for the same certificate
  b.state = "forgotten";
  CK_EXPECT_CODE(store_->PutPin(b), kInvalidArgument);
  CK_EXPECT_OK(store_->DeletePin(a_id));
  CK_EXPECT_CODE(store_->DeletePin(a_id), kNotFound);
  EXPECT_EQ(store_->ListPins("web")->size(), 1u);
}

// --- consumers ---

TEST_P(StoreContractTest, Consumers) {
  ConsumerRecord c{0, "web", "nginx", R"({"reload":"systemctl reload nginx"})", "", {}, ""};
  CK_ASSERT_OK_AND_ASSIGN(int64_t id, store_->PutConsumer(c));
  CK_ASSERT_OK(store_->PutConsumer({0, "api", "files", "{}", "", {}, ""}));
  CK_ASSERT_OK_AND_ASSIGN(ConsumerRecord got, store_->GetConsumer(id));
  EXPECT_EQ(got.config_json, c.config_json);
  EXPECT_FALSE(got.last_verified_at.has_value());

  got.last_deployed_serial = "0a1b2c";
  got.last_verified_at = FromUnixSeconds(kT0 + 60);
  got.last_result = "ok: serving serial 0a1b2c";
  CK_ASSERT_OK(store_->PutConsumer(got));
  CK_ASSERT_OK_AND_ASSIGN(auto web, store_->ListConsumers("web"));
  ASSERT_EQ(web.size(), 1u);
  EXPECT_EQ(web[0].last_deployed_serial, "0a1b2c");
  EXPECT_EQ(web[0].last_verified_at, FromUnixSeconds(kT0 + 60));
  EXPECT_EQ(web[0].last_result, "ok: serving serial 0a1b2c");
  EXPECT_EQ(store_->ListConsumers("")->size(), 2u);

  CK_EXPECT_CODE(store_->PutConsumer({0, "web", "", "{}", "", {}, ""}), kInvalidArgument);
  CK_EXPECT_OK(store_->DeleteConsumer(id));
  CK_EXPECT_CODE(store_->GetConsumer(id), kNotFound);
  CK_EXPECT_CODE(store_->DeleteConsumer(id), kNotFound);
}

// --- tokens ---

TEST_P(StoreContractTest, ApiTokensAreStoredHashed) {
  const std::string hash = Sha256Hex("ck_secret_token_1");
  ApiTokenRecord t{
      0, "ci", "deployer", hash, FromUnixSeconds(kT0), FromUnixSeconds(kT0 + kDay), std::nullopt};
  CK_ASSERT_OK_AND_ASSIGN(int64_t id, store_->PutApiToken(t));
  CK_ASSERT_OK_AND_ASSIGN(ApiTokenRecord found, store_->FindApiTokenByHash(hash));
  EXPECT_EQ(found.id, id);
  EXPECT_EQ(found.role, "deployer");
  EXPECT_EQ(found.expires_at, t.expires_at);
  EXPECT_FALSE(found.revoked_at.has_value());

  CK_EXPECT_CODE(store_->FindApiTokenByHash(Sha256Hex("other")), kNotFound);
  // A raw token (or an upper-case or truncated hash) is refused, never looked up or stored.
  CK_EXPECT_CODE(store_->FindApiTokenByHash("ck_secret_token_1"), kInvalidArgument);
  ApiTokenRecord raw = t;
  raw.name = "raw";
  raw.token_hash = "ck_secret_token_1";
  CK_EXPECT_CODE(store_->PutApiToken(raw), kInvalidArgument);
  raw.token_hash = std::string(64, 'A');
  CK_EXPECT_CODE(store_->PutApiToken(raw), kInvalidArgument);
  CK_EXPECT_CODE(store_->PutApiToken(t), kAlreadyExists);  // same name and hash

  CK_ASSERT_OK(store_->RevokeApiToken(id, FromUnixSeconds(kT0 + 100)));
  CK_ASSERT_OK(store_->RevokeApiToken(id, FromUnixSeconds(kT0 + 200)));  // keeps the first time
  EXPECT_EQ(store_->FindApiTokenByHash(hash)->revoked_at, FromUnixSeconds(kT0 + 100));
  CK_EXPECT_CODE(store_->RevokeApiToken(id + 50, FromUnixSeconds(kT0)), kNotFound);
  CK_ASSERT_OK_AND_ASSIGN(auto tokens, store_->ListApiTokens());
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].token_hash, hash);
}

// --- events ---

TEST_P(StoreContractTest, EventsNewestFirstWithFilters) {
  for (int i = 0; i < 10; ++i) {
    EventRecord e{0,
                  FromUnixSeconds(kT0 + i * 60),
                  i % 2 ? "web" : "api",
                  i % 3 ? "renewed" : "renewal_failed",
                  "event " + std::to_string(i),
                  R"({"i":)" + std::to_string(i) + "}"};
    CK_ASSERT_OK(store_->AppendEvent(e));
  }
  CK_ASSERT_OK_AND_ASSIGN(auto all,
                          store_->ListEvents(Make<EventQuery>([](auto& q) { q.limit = 0; })));
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[0].message, "event 9");
  EXPECT_EQ(all[9].message, "event 0");
  EXPECT_EQ(all[9].details_json, R"({"i":0})");
  EXPECT_EQ(all[9].time, FromUnixSeconds(kT0));

  CK_ASSERT_OK_AND_ASSIGN(auto web, store_->ListEvents(Make<EventQuery>([](auto& q) {
    q.certificate_name = "web";
    q.limit = 0;
  })));
  EXPECT_EQ(web.size(), 5u);
  CK_ASSERT_OK_AND_ASSIGN(
      auto failed,
      store_->ListEvents(Make<EventQuery>([](auto& q) { q.kind = "renewal_failed"; })));
  EXPECT_EQ(failed.size(), 4u);  // i = 0, 3, 6, 9
  CK_ASSERT_OK_AND_ASSIGN(auto window, store_->ListEvents(Make<EventQuery>([](auto& q) {
    q.since = FromUnixSeconds(kT0 + 120);
    q.until = FromUnixSeconds(kT0 + 300);
  })));
  ASSERT_EQ(window.size(), 3u);  // i = 2, 3, 4
  EXPECT_EQ(window[0].message, "event 4");

  // Paging with before_id visits every event once.
  std::vector<std::string> seen;
  EventQuery q;
  q.limit = 4;
  for (;;) {
    CK_ASSERT_OK_AND_ASSIGN(auto page, store_->ListEvents(q));
    if (page.empty()) break;
    for (const auto& e : page) seen.push_back(e.message);
    q.before_id = page.back().id;
  }
  ASSERT_EQ(seen.size(), 10u);
  EXPECT_EQ(seen.front(), "event 9");
  EXPECT_EQ(seen.back(), "event 0");

  CK_EXPECT_CODE(store_->AppendEvent({0, FromUnixSeconds(kT0), "web", "", "", "{}"}),
                 kInvalidArgument);
}

// --- transactions ---

TEST_P(StoreContractTest, TransactionCommits) {
  CK_ASSERT_OK(store_->RunInTransaction([&](Store& s) -> Status {
    RETURN_IF_ERROR(s.PutCertificate(SampleCertificate("web", kT0)));
    return s.AppendEvent({0, FromUnixSeconds(kT0), "web", "issued", "", "{}"}).status();
  }));
  EXPECT_EQ(store_->ListCertificates({})->size(), 1u);
  EXPECT_EQ(store_->ListEvents({})->size(), 1u);
}

TEST_P(StoreContractTest, TransactionRollsBackOnError) {
  Status s = store_->RunInTransaction([&](Store& st) -> Status {
    RETURN_IF_ERROR(st.PutCertificate(SampleCertificate("web", kT0)));
    RETURN_IF_ERROR(st.PutPrivateKey(SampleKeyMeta("k"), SamplePrivatePem("k")));
    RETURN_IF_ERROR(st.AppendEvent({0, FromUnixSeconds(kT0), "web", "issued", "", "{}"}));
    return AbortedError("deploy failed");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(s.message(), "deploy failed");
  EXPECT_TRUE(store_->ListCertificates({})->empty());
  EXPECT_TRUE(store_->ListKeys()->empty());
  EXPECT_TRUE(store_->ListEvents({})->empty());
  // A failing store call inside also rolls back what came before it.
  s = store_->RunInTransaction([&](Store& st) -> Status {
    RETURN_IF_ERROR(st.PutCertificate(SampleCertificate("web", kT0)));
    return st.PutCertificate(SampleCertificate("web", kT0)).status();  // duplicate
  });
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(store_->ListCertificates({})->empty());
}

TEST_P(StoreContractTest, TransactionRollsBackOnException) {
  Status s = store_->RunInTransaction([&](Store& st) -> Status {
    RETURN_IF_ERROR(st.PutCertificate(SampleCertificate("web", kT0)));
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("boom"), std::string::npos);
  EXPECT_TRUE(store_->ListCertificates({})->empty());
  CK_EXPECT_OK(store_->PutCertificate(SampleCertificate("web", kT0)));  // store still usable
}

TEST_P(StoreContractTest, NestedTransactionFailureRollsBackOnlyTheInnerPart) {
  Status s = store_->RunInTransaction([&](Store& st) -> Status {
    RETURN_IF_ERROR(st.PutCertificate(SampleCertificate("outer", kT0)));
    Status inner = st.RunInTransaction([&](Store& in) -> Status {
      RETURN_IF_ERROR(in.PutCertificate(SampleCertificate("inner", kT0)));
      return UnavailableError("inner failed");
    });
    EXPECT_EQ(inner.code(), StatusCode::kUnavailable);
    return st.RunInTransaction([&](Store& in) -> Status {
      return in.PutCertificate(SampleCertificate("inner2", kT0)).status();
    });
  });
  CK_ASSERT_OK(s);
  CK_ASSERT_OK_AND_ASSIGN(auto certs, store_->ListCertificates({}));
  std::set<std::string> names;
  for (const auto& c : certs) names.insert(c.name);
  EXPECT_EQ(names, (std::set<std::string>{"outer", "inner2"}));
}

TEST_P(StoreContractTest, ConcurrentTransactionsFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        Status s = store_->RunInTransaction([&](Store& st) -> Status {
          RETURN_IF_ERROR(st.PutCertificate(SampleCertificate(name, kT0 + i)));
          return st.AppendEvent({0, FromUnixSeconds(kT0), name, "issued", "", "{}"}).status();
        });
        if (!s.ok()) ++failures;
        // Reads interleave with other threads' transactions.
        if (!store_->ListCertificates(Make<CertificateQuery>([&](auto& q) { q.name = name; })).ok())
          ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->ListCertificates({})->size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(store_->ListEvents(Make<EventQuery>([](auto& q) { q.limit = 0; }))->size(),
            size_t{kThreads * kPerThread});
}

// --- rekey and administration ---

TEST_P(StoreContractTest, RekeyKeepsEveryKeyReadable) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(MakeKey("k" + std::to_string(i)));
  MasterKey next = FixedKey(0x22);
  CK_ASSERT_OK(store_->Rekey(next));
  for (int i = 0; i < 5; ++i) {
    CK_ASSERT_OK_AND_ASSIGN(SecretString pem, store_->GetPrivateKeyPem(ids[i]));
    EXPECT_EQ(pem.view(), SamplePrivatePem("k" + std::to_string(i)));
  }
  // New keys are sealed with the new master key too.
  int64_t later = MakeKey("after-rekey");
  CK_EXPECT_OK(store_->GetPrivateKeyPem(later));

  if (GetParam().persistent) {
    store_.reset();
    auto with_old = GetParam().make(key_, dir_.path());
    ASSERT_FALSE(with_old.ok());
    EXPECT_EQ(with_old.status().code(), StatusCode::kPermissionDenied)
        << with_old.status().ToString();
    CK_ASSERT_OK_AND_ASSIGN(store_, GetParam().make(next, dir_.path()));
    CK_EXPECT_OK(store_->GetPrivateKeyPem(ids[0]));
  }
}

TEST_P(StoreContractTest, RekeyInsideTransactionIsRefused) {
  int64_t id = MakeKey("k");
  Status s =
      store_->RunInTransaction([&](Store& st) -> Status { return st.Rekey(FixedKey(0x33)); });
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  CK_EXPECT_OK(store_->GetPrivateKeyPem(id));
}

TEST_P(StoreContractTest, ListCertificatesTextSearch) {
  CK_ASSERT_OK(store_->PutCertificate(SampleCertificate("web", kT0 + 10 * kDay)));
  CK_ASSERT_OK(store_->PutCertificate(SampleCertificate("api", kT0 + 20 * kDay)));
  CertificateRecord odd = SampleCertificate("odd_100%", kT0 + 30 * kDay);
  CK_ASSERT_OK(store_->PutCertificate(odd));
  auto search = [&](const std::string& text) {
    auto r = store_->ListCertificates(Make<CertificateQuery>([&](auto& q) { q.text = text; }));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> names;
    for (const auto& c : r.value_or(std::vector<CertificateRecord>{})) names.push_back(c.name);
    return names;
  };
  EXPECT_EQ(search("WEB"), std::vector<std::string>{"web"});              // name, any case
  EXPECT_EQ(search("www.api.example"), std::vector<std::string>{"api"});  // a SAN
  EXPECT_EQ(search("example.com").size(), 3u);
  // % and _ are literal characters, not wildcards.
  EXPECT_EQ(search("100%"), std::vector<std::string>{"odd_100%"});
  EXPECT_TRUE(search("w_b").empty());
  EXPECT_TRUE(search("nothing-like-this").empty());
}

// --- watch results and alerts ---

TEST_P(StoreContractTest, WatchResultsUpsertByTarget) {
  CK_ASSERT_OK_AND_ASSIGN(int64_t cert, store_->PutCertificate(SampleCertificate("ext", kT0)));
  WatchResultRecord r;
  r.target = "mail.example.com:465";
  r.kind = "endpoint";
  r.checked_at = FromUnixSeconds(kT0);
  r.outcome = "problems";
  r.problems_json = R"([{"code":"expiring","severity":"warning","message":"expires in 5 days"}])";
  r.details_json = R"({"tls_version":"TLSv1.3"})";
  r.certificate_id = cert;
  CK_ASSERT_OK_AND_ASSIGN(int64_t id, store_->PutWatchResult(r));

  r.checked_at = FromUnixSeconds(kT0 + 3600);
  r.outcome = "error";
  r.error = "connect timed out";
  r.certificate_id.reset();
  CK_ASSERT_OK_AND_ASSIGN(int64_t again, store_->PutWatchResult(r));
  EXPECT_EQ(again, id);  // the same row, replaced

  WatchResultRecord file = r;
  file.target = "/etc/ssl/legacy.pem";
  file.kind = "file";
  file.outcome = "ok";
  file.error.clear();
  CK_ASSERT_OK(store_->PutWatchResult(file));

  CK_ASSERT_OK_AND_ASSIGN(auto all, store_->ListWatchResults());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].target, "/etc/ssl/legacy.pem");  // by target
  EXPECT_EQ(all[1].outcome, "error");
  EXPECT_EQ(all[1].error, "connect timed out");
  EXPECT_EQ(all[1].checked_at, FromUnixSeconds(kT0 + 3600));
  EXPECT_EQ(all[1].details_json, R"({"tls_version":"TLSv1.3"})");
  EXPECT_FALSE(all[1].certificate_id.has_value());

  WatchResultRecord bad = r;
  bad.outcome = "fine";
  CK_EXPECT_CODE(store_->PutWatchResult(bad), kInvalidArgument);
  bad = r;
  bad.kind = "socket";
  CK_EXPECT_CODE(store_->PutWatchResult(bad), kInvalidArgument);

  CK_ASSERT_OK(store_->DeleteWatchResult("mail.example.com:465"));
  CK_EXPECT_CODE(store_->DeleteWatchResult("mail.example.com:465"), kNotFound);
  CK_ASSERT_OK_AND_ASSIGN(all, store_->ListWatchResults());
  EXPECT_EQ(all.size(), 1u);
}

TEST_P(StoreContractTest, AlertsAreUniqueWhileOpen) {
  AlertRecord a;
  a.key = "expiry:web:0A1B:7d";
  a.kind = "expiry";
  a.subject = "web";
  a.severity = "warning";
  a.message = "web expires in 7 days";
  a.opened_at = FromUnixSeconds(kT0);
  CK_ASSERT_OK_AND_ASSIGN(int64_t id, store_->PutAlert(a));
  CK_EXPECT_CODE(store_->PutAlert(a), kAlreadyExists);  // still open: no second copy

  CK_ASSERT_OK_AND_ASSIGN(AlertRecord open, store_->FindOpenAlert(a.key));
  EXPECT_EQ(open.id, id);
  EXPECT_FALSE(open.notified_at.has_value());
  open.notified_at = FromUnixSeconds(kT0 + 1);
  open.acknowledged_at = FromUnixSeconds(kT0 + 2);
  open.acknowledged_by = "admin:alice (token)";
  CK_ASSERT_OK(store_->PutAlert(open));
  CK_ASSERT_OK_AND_ASSIGN(AlertRecord got, store_->GetAlert(id));
  EXPECT_EQ(got.notified_at, FromUnixSeconds(kT0 + 1));
  EXPECT_EQ(got.acknowledged_by, "admin:alice (token)");

  // Resolved: the key is free again; the history stays.
  got.resolved_at = FromUnixSeconds(kT0 + 10);
  got.resolved_notified_at = FromUnixSeconds(kT0 + 11);
  CK_ASSERT_OK(store_->PutAlert(got));
  CK_EXPECT_CODE(store_->FindOpenAlert(a.key), kNotFound);
  a.opened_at = FromUnixSeconds(kT0 + 20);
  CK_ASSERT_OK_AND_ASSIGN(int64_t reopened, store_->PutAlert(a));
  EXPECT_NE(reopened, id);

  AlertRecord other = a;
  other.key = "renewal_failing:api";
  other.kind = "renewal_failing";
  other.subject = "api";
  other.severity = "critical";
  CK_ASSERT_OK(store_->PutAlert(other));

  CK_ASSERT_OK_AND_ASSIGN(auto all, store_->ListAlerts({}));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_GT(all[0].id, all[1].id);  // newest first
  CK_ASSERT_OK_AND_ASSIGN(
      auto open_only, store_->ListAlerts(Make<AlertQuery>([](auto& q) { q.open_only = true; })));
  EXPECT_EQ(open_only.size(), 2u);
  CK_ASSERT_OK_AND_ASSIGN(auto web,
                          store_->ListAlerts(Make<AlertQuery>([](auto& q) { q.subject = "web"; })));
  EXPECT_EQ(web.size(), 2u);
  CK_ASSERT_OK_AND_ASSIGN(auto page, store_->ListAlerts(Make<AlertQuery>([&](auto& q) {
    q.before_id = all[0].id;
    q.limit = 1;
  })));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, all[1].id);

  AlertRecord bad = a;
  bad.key = "x";
  bad.severity = "loud";
  CK_EXPECT_CODE(store_->PutAlert(bad), kInvalidArgument);
  bad.severity = "info";
  bad.message.clear();
  CK_EXPECT_CODE(store_->PutAlert(bad), kInvalidArgument);
  AlertRecord ghost = a;
  ghost.id = 999999;
  CK_EXPECT_CODE(store_->PutAlert(ghost), kNotFound);
}

TEST_P(StoreContractTest, SchemaVersionAndIntegrity) {
  CK_ASSERT_OK_AND_ASSIGN(int v, store_->SchemaVersion());
  EXPECT_EQ(v, kCurrentSchemaVersion);
  CK_ASSERT_OK(store_->PutCertificate(SampleCertificate("web", kT0)));
  CK_EXPECT_OK(store_->CheckIntegrity());
}

// --- implementations under test ---

StoreFactory SqliteMemory() {
  return {"SqliteMemory",
          [](const MasterKey& key, const std::string&) -> Result<std::unique_ptr<Store>> {
            ASSIGN_OR_RETURN(auto s, SqliteStore::Open(":memory:", key));
            return std::unique_ptr<Store>(std::move(s));
          },
          false};
}

StoreFactory SqliteFile() {
  return {"SqliteFile",
          [](const MasterKey& key, const std::string& dir) -> Result<std::unique_ptr<Store>> {
            ASSIGN_OR_RETURN(auto s, SqliteStore::Open(dir + "/certkeeper.db", key));
            return std::unique_ptr<Store>(std::move(s));
          },
          true};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest, ::testing::Values(SqliteMemory(), SqliteFile()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace ck::store::testing
