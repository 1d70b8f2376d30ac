// Helpers for pki tests: independent re-computations (so a test does not check pki/ against
// itself) and a way to ask the openssl CLI for a second opinion.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdio>
#include <string>

#include "common/encoding.hpp"
#include "pki/handles.hpp"

namespace ck::pki::testutil {

// base64(SHA-256(i2d_PUBKEY(key))) via raw OpenSSL calls: the RFC 7469 pin, computed without
// any pki/ code.
inline std::string IndependentPin(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  OpenSslBytesPtr owner(der);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(der, static_cast<size_t>(len), md, &md_len, EVP_sha256(), nullptr);
  unsigned char b64[2 * EVP_MAX_MD_SIZE];
  int n = EVP_EncodeBlock(b64, md, static_cast<int>(md_len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

// Uppercase hex SHA-256 of the certificate's DER via raw OpenSSL calls.
inline std::string IndependentFingerprint(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  OpenSslBytesPtr owner(der);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(der, static_cast<size_t>(len), md, &md_len, EVP_sha256(), nullptr);
  return HexEncode(md, md_len, /*upper=*/true);
}

struct ShellResult {
  int exit_code = -1;
  std::string output;  // stdout
};

// Runs `command` with /bin/sh; test-only (the daemon never shells out like this).
inline ShellResult RunShell(const std::string& command) {
  ShellResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) r.output.append(buf, n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace ck::pki::testutil
