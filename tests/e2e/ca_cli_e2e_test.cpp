// `certkeeper ca ...` on a real state dir: help everywhere, init (and refusing a second one),
// issue/sign with files checked by openssl, refusals with their exit codes and nothing
// written, revoke and the CRL, ls --json, chain, the offline root and intermediate rotation.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "tests/testing/child_process.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck {
namespace {

using ck::testing::RunCommand;
using ck::testing::TempDir;

std::string Binary() { return ck::testing::CertkeeperBinary(); }

std::pair<int, std::string> OpenSsl(std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/openssl");
  return RunCommand(args);
}

int CountCerts(const std::string& pem) {
  int n = 0;
  for (size_t pos = 0; (pos = pem.find("BEGIN CERTIFICATE", pos)) != std::string::npos; ++pos) ++n;
  return n;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

class CaCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 32 random bytes, base64: a master key file as `openssl rand -base64 32` makes one.
    auto [rc, key] = OpenSsl({"rand", "-base64", "32"});
    ASSERT_EQ(rc, 0);
    const std::string key_file = dir_.WriteFile("master.key", key, 0600);
    config_ = dir_.WriteFile("certkeeper.toml", "master_key_file = \"" + key_file +
                                                    "\"\n[ca]\ntrust_domain = \"example.org\"\n"
                                                    "crl_url = \"http://ca.test/{ca}.crl\"\n");
    state_ = dir_.Path("state");
  }

  std::pair<int, std::string> Ck(std::vector<std::string> args) {
    args.insert(args.begin(), Binary());
    args.insert(args.end(), {"--config", config_, "--state-dir", state_});
    return RunCommand(args);
  }

  nlohmann::json Ls() {
    auto [rc, out] = Ck({"ca", "ls", "--json", "--all"});
    EXPECT_EQ(rc, 0) << out;
    // Log lines go to stderr, merged here: the JSON document starts at the first '{'.
    auto j = nlohmann::json::parse(out.substr(std::min(out.find('{'), out.size())), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }

  void Init(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"ca", "init"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto [rc, out] = Ck(args);
    ASSERT_EQ(rc, 0) << out;
    auto [rc_chain, chain] = Ck({"ca", "chain", "--out", dir_.Path("chain.pem")});
    ASSERT_EQ(rc_chain, 0) << chain;
    // The last certificate of the bundle is the root.
    const std::string bundle = dir_.ReadFile("chain.pem");
    root_ = dir_.WriteFile("root.pem", bundle.substr(bundle.rfind("-----BEGIN CERTIFICATE")));
  }

  TempDir dir_;
  std::string config_, state_, root_;
};

TEST_F(CaCliTest, EverySubcommandHasHelp) {
  for (const char* sub : {"", "init", "issue", "sign", "revoke", "ls", "chain", "crl",
                          "export-root-key", "rotate-intermediate"}) {
    std::vector<std::string> args = {Binary(), "ca"};
    if (*sub) args.push_back(sub);
    args.push_back("--help");
    auto [rc, out] = RunCommand(args);
    EXPECT_EQ(rc, 0) << sub << ": " << out;
    EXPECT_NE(out.find("Usage:"), std::string::npos) << out;
  }
  EXPECT_EQ(RunCommand({Binary(), "ca"}).first, 2);
  EXPECT_EQ(RunCommand({Binary(), "ca", "issue", "--dns", "x"}).first, 2);  // --out missing
}

TEST_F(CaCliTest, InitIssueSignRevoke) {
  // Nothing to list before init.
  EXPECT_EQ(Ck({"ca", "ls"}).first, 2);
  Init({"--permit-dns", "svc.internal", "--permit-ip", "10.0.0.0/8"});
  auto [rc, out] = Ck({"ca", "init"});
  EXPECT_EQ(rc, 4) << out;
  EXPECT_NE(out.find("already initialised"), std::string::npos) << out;
  EXPECT_EQ(CountCerts(dir_.ReadFile("chain.pem")), 2);

  // issue: four files, the key 0600, a chain openssl accepts.
  const std::string out_dir = dir_.Path("web");
  std::tie(rc, out) = Ck({"ca", "issue", "--profile", "server", "--dns", "a.svc.internal", "--ip",
                          "10.0.0.5", "--ttl", "12h", "--out", out_dir});
  ASSERT_EQ(rc, 0) << out;
  for (const char* f : {"cert.pem", "chain.pem", "fullchain.pem", "privkey.pem"}) {
    EXPECT_FALSE(dir_.ReadFile(std::string("web/") + f).empty()) << f;
  }
  EXPECT_EQ(ModeOf(out_dir + "/privkey.pem"), 0600u);
  EXPECT_EQ(ModeOf(out_dir), 0700u);
  std::tie(rc, out) = OpenSsl({"verify", "-CAfile", root_, "-untrusted", out_dir + "/chain.pem",
                               "-verify_hostname", "a.svc.internal", out_dir + "/cert.pem"});
  EXPECT_EQ(rc, 0) << out;
  std::tie(rc, out) =
      OpenSsl({"x509", "-in", out_dir + "/cert.pem", "-noout", "-checkend", "43000"});
  EXPECT_EQ(rc, 0) << out;  // valid for ~12h...
  std::tie(rc, out) =
      OpenSsl({"x509", "-in", out_dir + "/cert.pem", "-noout", "-checkend", "44000"});
  EXPECT_NE(rc, 0) << out;  // ...and not longer
  std::tie(rc, out) = OpenSsl({"pkey", "-in", out_dir + "/privkey.pem", "-noout"});
  EXPECT_EQ(rc, 0) << out;

  // sign: a CSR made by openssl.
  std::tie(rc, out) =
      OpenSsl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
               "-keyout", dir_.Path("b.key"), "-subj", "/CN=b.svc.internal", "-addext",
               "subjectAltName=DNS:b.svc.internal", "-out", dir_.Path("b.csr")});
  ASSERT_EQ(rc, 0) << out;
  std::tie(rc, out) =
      Ck({"ca", "sign", dir_.Path("b.csr"), "--profile", "peer", "--out", dir_.Path("b.pem")});
  ASSERT_EQ(rc, 0) << out;
  const std::string signed_pem = dir_.ReadFile("b.pem");
  EXPECT_EQ(CountCerts(signed_pem), 2);  // certificate, then the intermediate
  std::tie(rc, out) = OpenSsl({"verify", "-CAfile", root_, "-untrusted", dir_.Path("b.pem"),
                               "-purpose", "sslclient", dir_.Path("b.pem")});
  EXPECT_EQ(rc, 0) << out;
  std::tie(rc, out) = OpenSsl({"x509", "-in", dir_.Path("b.pem"), "-noout", "-serial"});
  ASSERT_EQ(rc, 0) << out;
  const std::string serial = out.substr(out.find('=') + 1, out.find('\n') - out.find('=') - 1);

  nlohmann::json ls = Ls();
  ASSERT_EQ(ls["cas"].size(), 2u);
  ASSERT_EQ(ls["certificates"].size(), 2u);

  // Refusals: exit code, message, and nothing written.
  const std::string garbage = dir_.WriteFile("garbage.csr", "this is not a CSR\n");
  std::string der_csr = dir_.Path("b.der");
  std::tie(rc, out) =
      OpenSsl({"req", "-in", dir_.Path("b.csr"), "-outform", "DER", "-out", der_csr});
  ASSERT_EQ(rc, 0);
  std::string der = dir_.ReadFile("b.der");
  der[der.find("b.svc.internal")] = 'c';  // signed content changed, signature kept
  const std::string tampered = dir_.WriteFile("tampered.der", der);
  struct Refusal {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  const Refusal refusals[] = {
      {{"ca", "sign", garbage}, 2, "not a PEM or DER"},
      {{"ca", "sign", tampered}, 2, "proof of possession failed"},
      {{"ca", "sign", dir_.Path("missing.csr")}, 2, "missing.csr"},
      {{"ca", "issue", "--dns", "evil.example.com", "--out", dir_.Path("evil")},
       5,
       "violates the name constraints"},
      {{"ca", "issue", "--profile", "server", "--uri", "spiffe://example.org/x", "--out",
        dir_.Path("evil")},
       5,
       "does not allow URI names"},
      {{"ca", "issue", "--dns", "a.svc.internal", "--ttl", "48h", "--out", dir_.Path("evil")},
       2,
       "exceeds the maximum of profile 'server'"},
      {{"ca", "issue", "--profile", "nope", "--dns", "a.svc.internal", "--out", dir_.Path("evil")},
       2,
       "no issuance profile 'nope'"},
      {{"ca", "revoke", "0102", "--reason", "keyCompromise"}, 2, "no certificate with serial 0102"},
      {{"ca", "revoke", serial, "--reason", "certificateHold"}, 2, "final"},
  };
  for (const auto& r : refusals) {
    std::tie(rc, out) = Ck(r.args);
    EXPECT_EQ(rc, r.code) << r.args[1] << ": " << out;
    EXPECT_NE(out.find(r.message), std::string::npos) << out;
  }
  EXPECT_EQ(dir_.ReadFile("evil/cert.pem"), "");
  EXPECT_EQ(Ls()["certificates"].size(), 2u);

  // revoke: the CRL lists it, twice is refused.
  std::tie(rc, out) = Ck({"ca", "revoke", serial, "--reason", "key-compromise"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("CRL #2"), std::string::npos) << out;
  std::tie(rc, out) = Ck({"ca", "revoke", serial});
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("already revoked"), std::string::npos) << out;
  std::tie(rc, out) = Ck({"ca", "crl", "--out", dir_.Path("crl.pem")});
  ASSERT_EQ(rc, 0) << out;
  std::tie(rc, out) = OpenSsl({"crl", "-in", dir_.Path("crl.pem"), "-CAfile",
                               dir_.Path("chain.pem"), "-noout", "-verify", "-text"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("verify OK"), std::string::npos) << out;
  EXPECT_NE(out.find(serial), std::string::npos) << out;
  std::tie(rc, out) = OpenSsl({"verify", "-CAfile", root_, "-untrusted", dir_.Path("b.pem"),
                               "-crl_check", "-CRLfile", dir_.Path("crl.pem"), dir_.Path("b.pem")});
  EXPECT_NE(out.find("certificate revoked"), std::string::npos) << out;

  ls = Ls();
  int revoked = 0;
  for (const auto& c : ls["certificates"]) revoked += c["status"] == "revoked";
  EXPECT_EQ(revoked, 1);
  std::tie(rc, out) = Ck({"ca", "ls"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("1 expired or revoked not shown"), std::string::npos) << out;
}

TEST_F(CaCliTest, OfflineRootAndRotation) {
  Init();
  const std::string key_file = dir_.Path("root.key");
  auto [rc, out] = Ck({"ca", "export-root-key", "--out", key_file, "--delete"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(ModeOf(key_file), 0600u);
  std::tie(rc, out) = OpenSsl({"x509", "-in", root_, "-noout", "-pubkey"});
  ASSERT_EQ(rc, 0);
  const std::string root_pub = out;
  std::tie(rc, out) = OpenSsl({"pkey", "-in", key_file, "-pubout"});
  EXPECT_EQ(out, root_pub);
  nlohmann::json ls = Ls();
  EXPECT_EQ(ls["cas"][0]["key_online"], false);
  // Exporting again: the key is gone from the store; and an existing file is never overwritten.
  EXPECT_EQ(Ck({"ca", "export-root-key", "--out", dir_.Path("again.key")}).first, 4);
  EXPECT_EQ(Ck({"ca", "export-root-key", "--out", key_file}).first, 2);

  // A new intermediate needs the root key back.
  std::tie(rc, out) = Ck({"ca", "rotate-intermediate"});
  EXPECT_EQ(rc, 4) << out;
  EXPECT_NE(out.find("--root-key"), std::string::npos) << out;
  ::chmod(key_file.c_str(), 0644);
  EXPECT_EQ(Ck({"ca", "rotate-intermediate", "--root-key", key_file}).first, 5);  // too open
  ::chmod(key_file.c_str(), 0600);
  std::tie(rc, out) = Ck({"ca", "rotate-intermediate", "--root-key", key_file});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("prepared intermediate"), std::string::npos) << out;
  std::tie(rc, out) = Ck({"ca", "chain"});
  EXPECT_EQ(CountCerts(out), 3);  // active, prepared, root
  std::tie(rc, out) = Ck({"ca", "rotate-intermediate"});
  EXPECT_EQ(rc, 4) << out;  // already prepared

  // Before activation the old intermediate signs; after, the new one.
  std::tie(rc, out) = Ck({"ca", "issue", "--dns", "a.svc.internal", "--out", dir_.Path("before")});
  ASSERT_EQ(rc, 0) << out;
  std::tie(rc, out) = Ck({"ca", "rotate-intermediate", "--activate"});
  ASSERT_EQ(rc, 0) << out;
  std::tie(rc, out) = Ck({"ca", "issue", "--dns", "a.svc.internal", "--out", dir_.Path("after")});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(dir_.ReadFile("before/chain.pem"), dir_.ReadFile("after/chain.pem"));
  ls = Ls();
  ASSERT_EQ(ls["cas"].size(), 3u);
  EXPECT_EQ(ls["cas"][1]["status"], "retired");
  EXPECT_EQ(ls["cas"][2]["status"], "active");
  // Both chains verify against the same root; the retired CA's CRL is still served.
  const std::string bundle = dir_.WriteFile("bundle.pem", Ck({"ca", "chain"}).second);
  for (const char* d : {"before", "after"}) {
    std::tie(rc, out) = OpenSsl({"verify", "-CAfile", root_, "-untrusted", bundle,
                                 dir_.Path(std::string(d) + "/cert.pem")});
    EXPECT_EQ(rc, 0) << d << ": " << out;
  }
  const std::string old_name = ls["cas"][1]["name"];
  std::tie(rc, out) = Ck({"ca", "crl", "--ca", old_name});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("BEGIN X509 CRL"), std::string::npos) << out;
}

TEST_F(CaCliTest, ImportAndConfigErrors) {
  // An existing CA made with openssl.
  auto [rc, out] =
      OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
               "-keyout", dir_.Path("corp.key"), "-out", dir_.Path("corp.pem"), "-subj",
               "/CN=Corp Root", "-days", "3650", "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
  ASSERT_EQ(rc, 0) << out;
  ::chmod(dir_.Path("corp.key").c_str(), 0600);
  std::tie(rc, out) =
      Ck({"ca", "init", "--import-root", dir_.Path("corp.pem"), dir_.Path("corp.key")});
  ASSERT_EQ(rc, 0) << out;
  std::tie(rc, out) = Ck({"ca", "chain"});
  EXPECT_NE(out.find(dir_.ReadFile("corp.pem")), std::string::npos);

  // A bad [ca] key is a config error (exit 3) naming line and key.
  const std::string bad = dir_.WriteFile("bad.toml", "[ca]\nocsp_url = \"gopher://x\"\n");
  std::tie(rc, out) = RunCommand({Binary(), "ca", "ls", "--config", bad, "--state-dir", state_});
  EXPECT_EQ(rc, 3) << out;
  EXPECT_NE(out.find("bad.toml:2: ca.ocsp_url"), std::string::npos) << out;
}

}  // namespace
}  // namespace ck
