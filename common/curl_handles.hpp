// RAII owners for libcurl handles, and curl's one-time global init, shared by the two files
// that talk to curl (http_client.cpp, smtp_client.cpp). Private to common/.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace ck {

struct CurlEasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// curl_global_init is not thread-safe; every user calls this first.
inline void CurlGlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Appends to `list`; false when curl is out of memory (the list stays owned and intact).
inline bool CurlSlistAppend(CurlSlist& list, const char* value) {
  curl_slist* next = curl_slist_append(list.get(), value);
  if (next == nullptr) return false;
  (void)list.release();
  list.reset(next);
  return true;
}

// A new easy handle (after the global init), or null.
inline CurlEasy NewCurlEasy() {
  CurlGlobalInitOnce();
  return CurlEasy(curl_easy_init());
}

}  // namespace ck
