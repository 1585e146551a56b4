// The one thin wrapper around libsodium: SHA-256 and Ed25519.
//
// Every other file hashes and signs through these functions, so libsodium's
// int results are converted to values in exactly one place. All functions are
// thread-safe once InitCrypto() has returned OK (it is idempotent and
// thread-safe itself).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace piaojue::crypto {

inline constexpr size_t kHashSize = 32;
inline constexpr size_t kPublicKeySize = 32;
inline constexpr size_t kSecretKeySize = 64;  // libsodium: seed || public key
inline constexpr size_t kSeedSize = 32;
inline constexpr size_t kSignatureSize = 64;

using Hash = std::array<uint8_t, kHashSize>;
using PublicKey = std::array<uint8_t, kPublicKeySize>;
using SecretKey = std::array<uint8_t, kSecretKeySize>;
using Signature = std::array<uint8_t, kSignatureSize>;
using Bytes = std::span<const uint8_t>;

Status InitCrypto();

inline Bytes AsBytes(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Hash Sha256(Bytes data);
// SHA-256 over the concatenation of parts, without copying them.
Hash Sha256(std::initializer_list<Bytes> parts);

// SHA-256 of bytes given in pieces (a file written or read in chunks): the
// same hash as Sha256 of their concatenation. Finish once.
class Sha256Stream {
 public:
  Sha256Stream();
  void Update(Bytes data);
  Hash Finish();

 private:
  alignas(16) unsigned char state_[128];  // the library's context
};

struct KeyPair {
  PublicKey public_key;
  SecretKey secret_key;
};

// A fresh key pair from the OS random source.
KeyPair GenerateKeyPair();
// Deterministic key pair from a 32-byte seed (test vectors, demo keys).
KeyPair KeyPairFromSeed(const std::array<uint8_t, kSeedSize>& seed);

Signature Sign(const SecretKey& secret_key, Bytes message);
// True when `signature` is a valid Ed25519 signature of `message` by
// `public_key`. Never throws; any length mismatch is the caller's type error.
bool Verify(const PublicKey& public_key, Bytes message,
            const Signature& signature);

// Fills `out` with cryptographically secure random bytes.
void RandomBytes(std::span<uint8_t> out);

std::string ToHex(Bytes data);
// Lower- or upper-case hex of exactly out.size() bytes.
Status FromHex(std::string_view hex, std::span<uint8_t> out);

// RFC 4648 standard base64 with padding.
std::string Base64Encode(Bytes data);
// Strict: rejects missing padding, whitespace and non-canonical trailing bits.
Result<std::string> Base64Decode(std::string_view text);

template <size_t N>
Bytes AsBytes(const std::array<uint8_t, N>& a) {
  return Bytes(a.data(), a.size());
}

}  // namespace piaojue::crypto
