#include "ledger/crypto.h"

#include <sodium.h>

#include <array>
#include <cstring>

#if PIAOJUE_SHA256_OPENSSL
// SHA-256 from OpenSSL's libcrypto when the build found it: it uses the
// CPU's SHA extensions (SHA-NI, ARMv8 SHA2), about ten times libsodium's
// portable code on a 700-byte entry, and every entry is hashed at least
// twice (chain and leaf) on every read path. The bytes are the same: the
// crypto_test vectors hold for both. The SHA256_Init/Update/Final API is
// deprecated in OpenSSL 3 in favour of EVP, whose per-call context setup
// costs more than hashing an entry.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#endif

namespace piaojue::crypto {

Status InitCrypto() {
  // sodium_init returns 0 on first success, 1 if already initialized.
  if (sodium_init() < 0) return Unavailable("libsodium failed to initialize");
  return Status::Ok();
}

#if PIAOJUE_SHA256_OPENSSL
Hash Sha256(Bytes data) {
  // Not the one-shot ::SHA256(): in OpenSSL 3 it goes through EVP_Q_digest,
  // which fetches the algorithm (locks, a provider lookup) on every call —
  // two thirds of the cost of hashing an entry (perf of a rebuild).
  SHA256_CTX state;
  SHA256_Init(&state);
  SHA256_Update(&state, data.data(), data.size());
  Hash out;
  SHA256_Final(out.data(), &state);
  return out;
}

Hash Sha256(std::initializer_list<Bytes> parts) {
  SHA256_CTX state;
  SHA256_Init(&state);
  for (Bytes part : parts) SHA256_Update(&state, part.data(), part.size());
  Hash out;
  SHA256_Final(out.data(), &state);
  return out;
}
static_assert(sizeof(SHA256_CTX) <= 128);
Sha256Stream::Sha256Stream() {
  SHA256_Init(reinterpret_cast<SHA256_CTX*>(state_));
}
void Sha256Stream::Update(Bytes data) {
  SHA256_Update(reinterpret_cast<SHA256_CTX*>(state_), data.data(),
                data.size());
}
Hash Sha256Stream::Finish() {
  Hash out;
  SHA256_Final(out.data(), reinterpret_cast<SHA256_CTX*>(state_));
  return out;
}
#else
static_assert(sizeof(crypto_hash_sha256_state) <= 128);
Sha256Stream::Sha256Stream() {
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}
void Sha256Stream::Update(Bytes data) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                            data.data(), data.size());
}
Hash Sha256Stream::Finish() {
  Hash out;
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                           out.data());
  return out;
}
Hash Sha256(Bytes data) {
  Hash out;
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

Hash Sha256(std::initializer_list<Bytes> parts) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  for (Bytes part : parts) {
    crypto_hash_sha256_update(&state, part.data(), part.size());
  }
  Hash out;
  crypto_hash_sha256_final(&state, out.data());
  return out;
}
#endif

KeyPair GenerateKeyPair() {
  KeyPair kp;
  crypto_sign_ed25519_keypair(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

KeyPair KeyPairFromSeed(const std::array<uint8_t, kSeedSize>& seed) {
  KeyPair kp;
  crypto_sign_ed25519_seed_keypair(kp.public_key.data(), kp.secret_key.data(),
                                   seed.data());
  return kp;
}

Signature Sign(const SecretKey& secret_key, Bytes message) {
  Signature sig;
  crypto_sign_ed25519_detached(sig.data(), nullptr, message.data(),
                               message.size(), secret_key.data());
  return sig;
}

bool Verify(const PublicKey& public_key, Bytes message,
            const Signature& signature) {
  return crypto_sign_ed25519_verify_detached(signature.data(), message.data(),
                                             message.size(),
                                             public_key.data()) == 0;
}

void RandomBytes(std::span<uint8_t> out) {
  randombytes_buf(out.data(), out.size());
}

std::string ToHex(Bytes data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  // Written in place: a replay converts two hashes an entry, and push_back's
  // capacity check per digit was most of the cost.
  std::string out(data.size() * 2, '\0');
  char* o = out.data();
  for (uint8_t b : data) {
    *o++ = kDigits[b >> 4];
    *o++ = kDigits[b & 0xf];
  }
  return out;
}

Status FromHex(std::string_view hex, std::span<uint8_t> out) {
  if (hex.size() != out.size() * 2) {
    return InvalidArgument("hex string must have " +
                           std::to_string(out.size() * 2) + " digits, got " +
                           std::to_string(hex.size()));
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("not a hex string");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return Status::Ok();
}

std::string Base64Encode(Bytes data) {
  const size_t max_len =
      sodium_base64_encoded_len(data.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(max_len, '\0');
  sodium_bin2base64(out.data(), max_len, data.data(), data.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

namespace {

// The value of each byte as a digit of the standard alphabet (RFC 4648,
// section 4); -1 for every other byte, '=' and bytes above 0x7f included.
constexpr std::array<int8_t, 256> kBase64Digit = [] {
  std::array<int8_t, 256> t{};
  for (int8_t& v : t) v = -1;
  const char* alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(alphabet[i])] = i;
  return t;
}();

}  // namespace

// Decoded here rather than by libsodium's sodium_base642bin, which is
// written to take constant time per digit and is several times slower,
// and which takes some bytes above 0x7f as digits: every POST
// /v1/entries decodes ~1 KB of it.
Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return InvalidArgument("malformed base64");
  // Padding: at most two '=', only at the end of the last group.
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') {
    pad = text[text.size() - 2] == '=' ? 2 : 1;
  }
  const size_t digits = text.size() - pad;
  std::string out(text.size() / 4 * 3 - pad, '\0');
  char* at = out.data();
  // Four digits (24 bits, three bytes) at a time; a byte outside the
  // alphabet makes its digit negative, and so the OR of the four.
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0;
  for (; i + 4 <= digits; i += 4) {
    const int32_t a = kBase64Digit[in[i]], b = kBase64Digit[in[i + 1]],
                  c = kBase64Digit[in[i + 2]], d = kBase64Digit[in[i + 3]];
    if ((a | b | c | d) < 0) return InvalidArgument("malformed base64");
    const uint32_t group =
        static_cast<uint32_t>(a << 18 | b << 12 | c << 6 | d);
    *at++ = static_cast<char>(group >> 16);
    *at++ = static_cast<char>(group >> 8 & 0xff);
    *at++ = static_cast<char>(group & 0xff);
  }
  // The last group's two or three digits before the padding.
  uint32_t group = 0;
  for (; i < digits; ++i) {
    const int8_t d = kBase64Digit[in[i]];
    if (d < 0) return InvalidArgument("malformed base64");
    group = group << 6 | static_cast<uint32_t>(d);
  }
  // Canonical form only, so two different strings never decode to the
  // same bytes: the bits of the last digit that no byte uses are zero.
  if (pad == 2) {
    if ((group & 0xf) != 0) return InvalidArgument("non-canonical base64");
    *at++ = static_cast<char>(group >> 4);
  } else if (pad == 1) {
    if ((group & 0x3) != 0) return InvalidArgument("non-canonical base64");
    *at++ = static_cast<char>(group >> 10);
    *at++ = static_cast<char>(group >> 2 & 0xff);
  }
  return out;
}

}  // namespace piaojue::crypto
