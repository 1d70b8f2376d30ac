#include "pki/general_names.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.hpp"

namespace ck::pki {
namespace {

using ::testing::ElementsAre;

// Adds a GeneralName built with raw OpenSSL calls (independent of BuildGeneralNames).
void Push(GENERAL_NAMES* names, int type, void* value) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  GENERAL_NAME_set0_value(gn, type, value);
  sk_GENERAL_NAME_push(names, gn);
}

ASN1_OCTET_STRING* Octets(const std::vector<uint8_t>& bytes) {
  ASN1_OCTET_STRING* s = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(s, bytes.data(), static_cast<int>(bytes.size()));
  return s;
}

TEST(GeneralNamesTest, DecodesDirNamesAndOddIpLengthsGenerically) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  X509_NAME* dir = X509_NAME_new();
  X509_NAME_add_entry_by_txt(dir, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Org"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(dir, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Dir Name"), -1, -1, 0);
  Push(names.get(), GEN_DIRNAME, dir);
  Push(names.get(), GEN_IPADD, Octets({10, 0, 0, 0, 255, 0, 0, 0}));  // name-constraint form
  Push(names.get(), GEN_IPADD, Octets({1, 2, 3}));                    // malformed length
  Push(names.get(), GEN_RID, OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1));
  EXPECT_THAT(DecodeGeneralNames(names.get()),
              ElementsAre(SubjectAltName{SanType::kDirName, "CN=Dir Name,O=Org"},
                          SubjectAltName{SanType::kIp, "10.0.0.0/255.0.0.0"},
                          SubjectAltName{SanType::kIp, "invalid:010203"},
                          SubjectAltName{SanType::kRegisteredId, "1.3.6.1.4.1.99999.1"}));
  EXPECT_TRUE(DecodeGeneralNames(nullptr).empty());
}

TEST(GeneralNamesTest, BuildProducesWhatDecodeReads) {
  SanRequest req;
  req.dns_names = {"a.example.test", "*.b.example.test"};
  req.ip_addresses = {"2001:db8::1", "198.51.100.7"};
  req.uris = {"urn:ietf:params:acme:x"};
  req.emails = {"x@example.test"};
  ASSERT_OK_AND_ASSIGN(GeneralNamesPtr names, BuildGeneralNames(req));
  EXPECT_THAT(DecodeGeneralNames(names.get()),
              ElementsAre(SubjectAltName{SanType::kDns, "a.example.test"},
                          SubjectAltName{SanType::kDns, "*.b.example.test"},
                          SubjectAltName{SanType::kIp, "2001:db8::1"},
                          SubjectAltName{SanType::kIp, "198.51.100.7"},
                          SubjectAltName{SanType::kUri, "urn:ietf:params:acme:x"},
                          SubjectAltName{SanType::kEmail, "x@example.test"}));
  EXPECT_EQ(FormatSan({SanType::kIp, "::1"}), "IP:::1");
  EXPECT_EQ(FormatSan({SanType::kDns, "x.test"}), "DNS:x.test");
}

TEST(GeneralNamesTest, Validators) {
  EXPECT_OK(ValidateDnsName("xn--mller-kva.example.test"));
  EXPECT_OK(ValidateDnsName("a-b.c"));
  EXPECT_OK(ValidateDnsName(std::string(63, 'a') + ".test"));
  EXPECT_FALSE(ValidateDnsName(std::string(63, 'a') + "a.test").ok());
  EXPECT_FALSE(ValidateDnsName(std::string("a\0b.test", 8)).ok());
  EXPECT_OK(ValidateIpAddress("::ffff:192.0.2.1"));
  EXPECT_FALSE(ValidateIpAddress("192.0.2.256").ok());
  EXPECT_FALSE(ValidateIpAddress(std::string("1.2.3.4\0", 8)).ok());
  EXPECT_OK(ValidateUri("spiffe://trust.domain/ns/x"));
  EXPECT_FALSE(ValidateUri("spiffe://trust.domain/\xC3\xA9").ok());
  EXPECT_OK(ValidateEmail("first.last+tag@example.test"));
  EXPECT_FALSE(ValidateEmail("a@*.example.test").ok());
}

}  // namespace
}  // namespace ck::pki
