#include "pki/pem_armor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.hpp"

namespace ck::pki {
namespace {

using ::testing::HasSubstr;

TEST(PemArmorTest, FindsBlocksAmongTextWithCrlfAndIndentation) {
  const std::string text =
      "Bag Attributes: ignored\r\n"
      "-----BEGIN CERTIFICATE-----\r\n"
      "AQID\r\n"
      "-----END CERTIFICATE-----\r\n"
      "some words\n"
      "    -----BEGIN PRIVATE KEY-----\n"
      "    BAUG\n"
      "    -----END PRIVATE KEY-----";
  ASSERT_OK_AND_ASSIGN(auto blocks, ParsePemBlocks(text));
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].label, "CERTIFICATE");
  EXPECT_EQ(blocks[0].der, (Bytes{1, 2, 3}));
  EXPECT_EQ(blocks[0].index, 1u);
  EXPECT_EQ(blocks[1].label, "PRIVATE KEY");
  EXPECT_EQ(blocks[1].der, (Bytes{4, 5, 6}));
  EXPECT_EQ(blocks[1].index, 2u);
}

TEST(PemArmorTest, RecordsRfc1421Headers) {
  const std::string text =
      "-----BEGIN RSA PRIVATE KEY-----\n"
      "Proc-Type: 4,ENCRYPTED\n"
      "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n"
      "\n"
      "AQID\n"
      "-----END RSA PRIVATE KEY-----\n";
  ASSERT_OK_AND_ASSIGN(auto blocks, ParsePemBlocks(text));
  ASSERT_EQ(blocks.size(), 1u);
  ASSERT_EQ(blocks[0].headers.size(), 2u);
  EXPECT_EQ(blocks[0].headers[0], "Proc-Type: 4,ENCRYPTED");
  EXPECT_EQ(blocks[0].der, (Bytes{1, 2, 3}));
}

TEST(PemArmorTest, ErrorsNameTheBlockAndTheProblem) {
  struct Case {
    std::string text;
    std::string want;
  } cases[] = {
      {"", "no PEM block found"},
      {"just text\n", "no PEM block found"},
      {"-----BEGIN X-----\nAQID\n", "block 1 'X' (line 1) has no END line (truncated?)"},
      {"-----BEGIN X-----\nAQID\n-----END Y-----\n", "mismatched END"},
      {"-----BEGIN X-----\nAQID\n-----BEGIN Y-----\nAQID\n-----END Y-----\n",
       "no END line before the next BEGIN"},
      {"-----BEGIN X-----\nA*ID\n-----END X-----\n", "corrupt base64"},
      {"-----BEGIN X-----\nAQ\n-----END X-----\n", ""},  // tolerated: unpadded is still data
      {"-----BEGIN X-----\n-----END X-----\n", "'X' is empty"},
      {"-----BEGIN -----\nAQID\n-----END -----\n", "empty label"},
  };
  for (const auto& c : cases) {
    auto got = ParsePemBlocks(c.text);
    if (c.want.empty()) {
      EXPECT_OK(got) << c.text;
      continue;
    }
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(got.status().message(), HasSubstr(c.want)) << c.text;
  }
}

TEST(PemArmorTest, EncodeWrapsAt64AndRoundTrips) {
  Bytes der(100);
  for (size_t i = 0; i < der.size(); ++i) der[i] = static_cast<uint8_t>(i * 7);
  const std::string pem = EncodePem("TEST", der);
  EXPECT_EQ(pem.substr(0, 16), "-----BEGIN TEST-");
  const size_t first_nl = pem.find('\n');
  EXPECT_EQ(pem.find('\n', first_nl + 1) - first_nl - 1, 64u);  // first body line
  ASSERT_OK_AND_ASSIGN(auto blocks, ParsePemBlocks(pem));
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].der, der);
  EXPECT_TRUE(LooksLikePem(pem));
  EXPECT_FALSE(LooksLikePem("-----BEGIN"));
}

}  // namespace
}  // namespace ck::pki
