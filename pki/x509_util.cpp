#include "pki/x509_util.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "pki/handles.hpp"

namespace ck::pki {

std::string NameToString(const X509_NAME* name) {
  if (name == nullptr) return "";
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return "";
  // RFC 2253 flags minus ESC_MSB: keep UTF-8 subjects ("CN=Müller") readable.
  constexpr unsigned long kFlags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  if (X509_NAME_print_ex(bio.get(), name, 0, kFlags) < 0) {
    ERR_clear_error();
    return "";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return "";
  return std::string(data, static_cast<size_t>(len));
}

std::string CommonNameOf(const X509_NAME* name) {
  if (name == nullptr) return "";
  int index = -1;
  int last = -1;
  while ((index = X509_NAME_get_index_by_NID(name, NID_commonName, index)) >= 0) last = index;
  if (last < 0) return "";
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, value);
  OpenSslBytesPtr owner(utf8);
  if (len < 0 || utf8 == nullptr) {
    ERR_clear_error();
    return "";
  }
  return EscapeForDisplay(utf8, static_cast<size_t>(len));
}

Result<TimePoint> Asn1TimeToTimePoint(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("malformed ASN.1 time");
  }
  // Civil date to days without timegm(): no locale, no TZ environment, no 2038 limit.
  const std::chrono::year_month_day ymd{std::chrono::year{tm.tm_year + 1900},
                                        std::chrono::month{static_cast<unsigned>(tm.tm_mon + 1)},
                                        std::chrono::day{static_cast<unsigned>(tm.tm_mday)}};
  if (!ymd.ok()) return InvalidArgumentError("malformed ASN.1 time (invalid date)");
  // Work in seconds, then saturate: TimePoint counts nanoseconds in 64 bits (years 1677..2262),
  // and RFC 5280 §4.1.2.5 gives 99991231235959Z as "no well-defined expiration".
  const int64_t secs =
      static_cast<int64_t>(std::chrono::sys_days{ymd}.time_since_epoch().count()) * 86400 +
      tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
  constexpr int64_t kMaxSecs =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::max().time_since_epoch()).count();
  constexpr int64_t kMinSecs =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::min().time_since_epoch()).count();
  if (secs >= kMaxSecs) {
    return TimePoint(
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(kMaxSecs)));
  }
  if (secs <= kMinSecs) {
    return TimePoint(
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(kMinSecs)));
  }
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(secs)));
}

std::string Asn1IntegerToHex(const ASN1_INTEGER* i) {
  if (i == nullptr) return "";
  BignumPtr bn(ASN1_INTEGER_to_BN(i, nullptr));
  if (!bn) {
    ERR_clear_error();
    return "";
  }
  OpenSslStringPtr hex(BN_bn2hex(bn.get()));
  return hex ? std::string(hex.get()) : std::string();
}

std::string ObjectName(const ASN1_OBJECT* obj, bool prefer_long_name) {
  if (obj == nullptr) return "";
  int nid = OBJ_obj2nid(obj);
  if (nid != NID_undef) {
    const char* name = prefer_long_name ? OBJ_nid2ln(nid) : OBJ_nid2sn(nid);
    if (name != nullptr) return name;
  }
  char buf[128];
  int len = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
  if (len <= 0) return "";
  return std::string(buf, std::min(static_cast<size_t>(len), sizeof(buf) - 1));
}

std::string EscapeForDisplay(const unsigned char* data, size_t len) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(len);
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = data[i];
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace ck::pki
