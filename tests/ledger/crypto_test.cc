#include "ledger/crypto.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace piaojue::crypto {
namespace {

TEST(CryptoTest, Sha256MatchesFips180Vectors) {
  ASSERT_TRUE(InitCrypto().ok());
  EXPECT_EQ(ToHex(AsBytes(Sha256(AsBytes("")))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(AsBytes(Sha256(AsBytes("abc")))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256({AsBytes("a"), AsBytes("bc")}), Sha256(AsBytes("abc")));
  // Two blocks (FIPS 180-2, B.2), and a million 'a' (B.3): the block loop
  // of whichever implementation the build uses (ledger/crypto.cc).
  EXPECT_EQ(ToHex(AsBytes(Sha256(AsBytes(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(ToHex(AsBytes(Sha256(AsBytes(million)))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // In parts split anywhere, including inside a block.
  EXPECT_EQ(Sha256({AsBytes(std::string_view(million).substr(0, 61)),
                    AsBytes(std::string_view(million).substr(61))}),
            Sha256(AsBytes(million)));
}

// A snapshot file is hashed as it is written and read, in chunks.
TEST(CryptoTest, Sha256StreamEqualsSha256OfTheConcatenation) {
  ASSERT_TRUE(InitCrypto().ok());
  const std::string million(1000000, 'a');
  Sha256Stream stream;
  for (size_t at = 0; at < million.size(); at += 4093) {
    stream.Update(AsBytes(std::string_view(million).substr(at, 4093)));
  }
  EXPECT_EQ(ToHex(AsBytes(stream.Finish())),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(Sha256Stream().Finish(), Sha256(AsBytes("")));
}

TEST(CryptoTest, Ed25519MatchesRfc8032TestOne) {
  ASSERT_TRUE(InitCrypto().ok());
  std::array<uint8_t, kSeedSize> seed;
  ASSERT_TRUE(FromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac0"
                      "31cae7f60",
                      seed)
                  .ok());
  KeyPair kp = KeyPairFromSeed(seed);
  EXPECT_EQ(ToHex(AsBytes(kp.public_key)),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Signature sig = Sign(kp.secret_key, Bytes());
  EXPECT_EQ(ToHex(AsBytes(sig)),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(Verify(kp.public_key, Bytes(), sig));
  sig[0] ^= 1;
  EXPECT_FALSE(Verify(kp.public_key, Bytes(), sig));
}

TEST(CryptoTest, Base64IsStrict) {
  EXPECT_EQ(Base64Encode(AsBytes("foob")), "Zm9vYg==");
  auto ok = Base64Decode("Zm9vYg==");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "foob");
  EXPECT_FALSE(Base64Decode("Zm9vYg").ok());      // missing padding
  EXPECT_FALSE(Base64Decode("Zm9vYh==").ok());    // non-canonical bits
  EXPECT_FALSE(Base64Decode("Zm9v Yg==").ok());   // whitespace
  EXPECT_FALSE(Base64Decode("Zm9vYg==\n").ok());  // trailing newline
  EXPECT_FALSE(Base64Decode("Zm9vYmF=").ok());    // non-canonical bits
  EXPECT_FALSE(Base64Decode("Zm9vYg=").ok());     // short padding
  EXPECT_FALSE(Base64Decode("Zm9vYg===").ok());   // long padding
  EXPECT_FALSE(Base64Decode("Zg==Zg==").ok());    // data after the padding
  EXPECT_FALSE(Base64Decode("====").ok());        // padding alone
  EXPECT_FALSE(Base64Decode("Zm9=vYg=").ok());    // padding inside
  EXPECT_FALSE(Base64Decode("Zm9vYg-_").ok());    // URL-safe alphabet
  // Bytes outside the alphabet: libsodium's decoder takes some bytes above
  // 0x7f as digits (found by the note fuzzer in a checkpoint's root line).
  EXPECT_FALSE(
      Base64Decode("HlucpaVO/hQg2kDq117pmdyw\xcd\xaaoQDj0HC3MCJd+eGdY=").ok());
  for (int c = 0x80; c <= 0xff; ++c) {
    std::string text = "Zm9vYmFy";
    text[3] = static_cast<char>(c);
    EXPECT_FALSE(Base64Decode(text).ok()) << "byte " << c;
  }
  auto two = Base64Decode("Zm9vYmE=");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, "fooba");
  auto none = Base64Decode("");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
}

// What libsodium's decoder takes, kept only when encoding the bytes again
// gives the same text: the canonical encodings, the set Base64Decode must
// take (and nothing else).
std::optional<std::string> CanonicalBySodium(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()),
                        out.size(), text.data(), text.size(), nullptr, &len,
                        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  if (Base64Encode(AsBytes(out)) != text) return std::nullopt;
  return out;
}

TEST(CryptoTest, Base64DecodeTakesExactlyTheCanonicalEncodings) {
  std::mt19937 rng(7);
  int accepted = 0, refused = 0;
  for (size_t n = 0; n <= 9; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const std::string text = Base64Encode(AsBytes(bytes));
    auto decoded = Base64Decode(text);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(*decoded, bytes);
    // Every byte value at every position, and the text cut or lengthened
    // by one character: accepted exactly when the oracle accepts, with
    // the same bytes.
    std::vector<std::string> variants;
    for (size_t i = 0; i < text.size(); ++i) {
      for (int c = 0; c < 256; ++c) {
        std::string v = text;
        v[i] = static_cast<char>(c);
        variants.push_back(v);
      }
      variants.push_back(text.substr(0, i) + text.substr(i + 1));
    }
    for (const char* tail : {"=", "A", "AA==", "====", "A==="}) {
      variants.push_back(text + tail);
    }
    for (const std::string& v : variants) {
      auto want = CanonicalBySodium(v);
      auto got = Base64Decode(v);
      ASSERT_EQ(got.ok(), want.has_value()) << "\"" << v << "\"";
      if (want) {
        EXPECT_EQ(*got, *want);
        ++accepted;
      } else {
        EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
        ++refused;
      }
    }
  }
  // Both kinds occur (the variants include other canonical encodings).
  EXPECT_GT(accepted, 100);
  EXPECT_GT(refused, 1000);
}

TEST(CryptoTest, HexRejectsWrongLengthAndDigits) {
  std::array<uint8_t, 2> out;
  EXPECT_TRUE(FromHex("0aFf", out).ok());
  EXPECT_EQ(out[1], 0xff);
  EXPECT_FALSE(FromHex("0aF", out).ok());
  EXPECT_FALSE(FromHex("0aFg", out).ok());
}

}  // namespace
}  // namespace piaojue::crypto
