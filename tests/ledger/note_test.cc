#include "ledger/note.h"

#include <gtest/gtest.h>

#include <random>

namespace piaojue::note {
namespace {

// golang.org/x/mod/sumdb/note's published example (ExampleSign/ExampleOpen).
constexpr char kPeterVerifier[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr char kPeterSigner[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+"
    "Y7hfZx09iUvxdXHKDFz";
constexpr char kPeterText[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr char kPeterNote[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnA"
    "M=\n";

class SignedNoteTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto().ok()); }
};

TEST_F(SignedNoteTest, SigningReproducesTheGoReferenceNoteByteForByte) {
  auto signer = ParseSignerKey(kPeterSigner);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ(signer->name, "PeterNeumann");
  auto note = Sign(kPeterText, *signer);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(*note, kPeterNote);
  EXPECT_EQ(FormatVerifierKey("PeterNeumann", signer->key_pair.public_key),
            kPeterVerifier);
  EXPECT_EQ(FormatSignerKey("PeterNeumann", signer->key_pair.secret_key),
            kPeterSigner);
}

TEST_F(SignedNoteTest, OpeningTheGoReferenceNoteReturnsItsText) {
  auto key = ParseVerifierKey(kPeterVerifier);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto text = Open(kPeterNote, *key);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, kPeterText);
}

TEST_F(SignedNoteTest, SignatureByOtherKeyIsIgnoredWhenOpening) {
  auto peter = ParseSignerKey(kPeterSigner);
  ASSERT_TRUE(peter.ok());
  SignerKey witness{"witness.example", crypto::GenerateKeyPair()};
  auto note = Sign(kPeterText, witness);
  ASSERT_TRUE(note.ok());
  // Append Peter's line after the witness's.
  std::string peter_line =
      std::string(kPeterNote)
          .substr(std::string(kPeterNote).rfind("\xe2\x80\x94"));
  std::string both = *note + peter_line;
  auto key = ParseVerifierKey(kPeterVerifier);
  auto text = Open(both, *key);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, kPeterText);
}

TEST_F(SignedNoteTest, TamperedNotesAreRefused) {
  auto key = ParseVerifierKey(kPeterVerifier);
  ASSERT_TRUE(key.ok());
  const std::string good = kPeterNote;
  // Text changed: signature no longer verifies.
  std::string text_changed = good;
  text_changed[3] = 'X';
  EXPECT_EQ(Open(text_changed, *key).status().code(),
            StatusCode::kUnauthenticated);
  // Missing final newline, missing blank line, truncated.
  EXPECT_FALSE(Open(good.substr(0, good.size() - 1), *key).ok());
  std::string no_blank = good;
  no_blank.erase(no_blank.find("\n\n"), 1);
  EXPECT_FALSE(Open(no_blank, *key).ok());
  for (size_t n = 0; n < good.size(); n += 7) {
    EXPECT_FALSE(Open(good.substr(0, n), *key).ok()) << n;
  }
  // Wrong key name.
  auto other = ParseVerifierKey(FormatVerifierKey("PeterNeumann2", key->key));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(Open(good, *other).status().code(), StatusCode::kUnauthenticated);
  // Non-UTF-8 and control characters.
  std::string bad_utf8 = good;
  bad_utf8[5] = '\xff';
  EXPECT_EQ(Open(bad_utf8, *key).status().code(), StatusCode::kInvalidArgument);
  std::string control = good;
  control[5] = '\x01';
  EXPECT_EQ(Open(control, *key).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SignedNoteTest, MalformedVerifierKeysAreRefused) {
  std::string k = kPeterVerifier;
  EXPECT_FALSE(ParseVerifierKey("").ok());
  EXPECT_FALSE(ParseVerifierKey(k.substr(0, k.size() - 1)).ok());
  std::string wrong_id = k;
  wrong_id[13] = wrong_id[13] == '0' ? '1' : '0';
  EXPECT_FALSE(ParseVerifierKey(wrong_id).ok());
  std::string wrong_type = k;
  wrong_type[22] = 'B';  // base64 of a type byte other than 0x01
  EXPECT_FALSE(ParseVerifierKey(wrong_type).ok());
  EXPECT_FALSE(ParseVerifierKey("Peter Neumann+c74f20a3+ARpc").ok());
}

// docs/FORMAT.md "Splitting a key": the base64 part may contain '+', so a
// key splits at its first two '+' only.
TEST_F(SignedNoteTest, KeyWhoseBase64HasAPlusRoundTrips) {
  // The Go reference signer key has a '+' inside its base64.
  const std::string signer = kPeterSigner;
  ASSERT_NE(signer.find(
                '+', std::string("PRIVATE+KEY+PeterNeumann+c74f20a3+").size()),
            std::string::npos);
  auto parsed_signer = ParseSignerKey(signer);
  ASSERT_TRUE(parsed_signer.ok()) << parsed_signer.status().ToString();
  EXPECT_EQ(FormatVerifierKey(parsed_signer->name,
                              parsed_signer->key_pair.public_key),
            kPeterVerifier);
  // A verifier key whose base64 has a '+': the first seed that gives one.
  std::array<uint8_t, crypto::kSeedSize> seed{};
  std::string vkey;
  for (int i = 0; i < 256 && vkey.empty(); ++i) {
    seed.fill(static_cast<uint8_t>(i));
    const std::string k = FormatVerifierKey(
        "example.gov.cn/piaojue", crypto::KeyPairFromSeed(seed).public_key);
    if (k.find('+', k.find('+', k.find('+') + 1) + 1) != std::string::npos) {
      vkey = k;
    }
  }
  ASSERT_FALSE(vkey.empty());
  auto parsed = ParseVerifierKey(vkey);
  ASSERT_TRUE(parsed.ok()) << vkey << ": " << parsed.status().ToString();
  EXPECT_EQ(parsed->key, crypto::KeyPairFromSeed(seed).public_key);
  EXPECT_EQ(FormatVerifierKey(parsed->name, parsed->key), vkey);
}

TEST(CheckpointTest, FormatAndParseRoundTrip) {
  Checkpoint c;
  c.origin = "example.gov.cn/piaojue";
  c.size = 18446744073709551615u;
  c.root.fill(0xab);
  c.extensions = {"ext one", "ext two"};
  auto parsed = ParseCheckpoint(FormatCheckpoint(c));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->origin, c.origin);
  EXPECT_EQ(parsed->size, c.size);
  EXPECT_EQ(parsed->root, c.root);
  EXPECT_EQ(parsed->extensions, c.extensions);
}

TEST(CheckpointTest, MalformedBodiesAreRefused) {
  const std::string root = "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=";
  EXPECT_TRUE(ParseCheckpoint("o\n5\n" + root + "\n").ok());
  for (const std::string& bad : std::vector<std::string>{
           "o\n05\n" + root + "\n", "o\n-5\n" + root + "\n",
           "o\n+5\n" + root + "\n", "o\n18446744073709551616\n" + root + "\n",
           "o\n5\n" + root, "\n5\n" + root + "\n", "o\n5\n\n", "o\n5\nq6ur\n",
           "o\n5\n" + root + "\n\n", "o\n5\n", "o\n\n" + root + "\n"}) {
    EXPECT_FALSE(ParseCheckpoint(bad).ok()) << bad;
  }
}

TEST(NoteFuzzTest, HostileBytesNeverCrashTheParsers) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  auto key = ParseVerifierKey(kPeterVerifier);
  std::mt19937 rng(7);
  const std::string seed = kPeterNote;
  for (int i = 0; i < 3000; ++i) {
    std::string s = seed;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t pos = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[pos] = static_cast<char>(rng());
          break;
        case 1:
          s.erase(pos, 1 + rng() % 8);
          break;
        default:
          s.insert(pos, 1, static_cast<char>(rng()));
          break;
      }
    }
    (void)ParseNote(s).ok();
    EXPECT_FALSE(Open(s, *key).ok() && s != seed &&
                 ParseNote(s)->text != kPeterText);
    (void)ParseCheckpoint(s).ok();
    (void)ParseVerifierKey(s).ok();
    (void)ParseSignerKey(s).ok();
  }
}

}  // namespace
}  // namespace piaojue::note
