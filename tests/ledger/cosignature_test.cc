#include "ledger/cosignature.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "tests/test_util.h"

namespace piaojue::cosignature {
namespace {

constexpr char kVectorFile[] = "tests/vectors/cosignature-v1.txt";

// "key: value" lines, "\n" in values unescaped.
std::map<std::string, std::string> LoadVectors() {
  std::map<std::string, std::string> v;
  std::ifstream in(kVectorFile);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    std::string value;
    for (size_t i = colon + 2; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == 'n') {
        value += '\n';
        ++i;
      } else {
        value += line[i];
      }
    }
    v[line.substr(0, colon)] = value;
  }
  return v;
}

WitnessSigner SignerFromSeedByte(const std::string& name, int byte) {
  std::array<uint8_t, crypto::kSeedSize> seed;
  seed.fill(static_cast<uint8_t>(byte));
  return WitnessSigner{name, crypto::KeyPairFromSeed(seed)};
}

std::string SignedCheckpoint(const note::SignerKey& log, std::string body) {
  auto n = note::Sign(body, log);
  EXPECT_TRUE(n.ok());
  return n.ok() ? *n : "";
}

class CosignatureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    vectors_ = LoadVectors();
    ASSERT_FALSE(vectors_.empty()) << "cannot read " << kVectorFile;
  }
  std::map<std::string, std::string> vectors_;
};

// Both vectors were computed by tests/vectors/cosignature-v1.mjs (Node's
// OpenSSL Ed25519, message assembled from the spec text): our key id, vkey,
// signed message and signature line must be the same bytes.
TEST_F(CosignatureTest, SigningReproducesTheIndependentVectorsByteForByte) {
  for (const std::string id : {"spec", "extension"}) {
    SCOPED_TRACE(id);
    const std::string name = vectors_[id + "_name"];
    const uint64_t t = std::stoull(vectors_[id + "_timestamp"]);
    const std::string body = vectors_[id + "_body"];
    WitnessSigner signer =
        SignerFromSeedByte(name, std::stoi(vectors_[id + "_seed_byte"]));
    EXPECT_EQ(FormatVerifierKey(name, signer.key_pair.public_key),
              vectors_[id + "_vkey"]);
    EXPECT_EQ(SignedMessage(body, t), vectors_[id + "_message"]);
    auto line = Sign(body, t, signer);
    ASSERT_OK(line);
    EXPECT_EQ(*line, vectors_[id + "_line"]);
  }
}

TEST_F(CosignatureTest, TheSpecExampleMessageIsTheOneTheSpecPrints) {
  // c2sp.org/tlog-cosignature, "Ed25519 signed message".
  EXPECT_EQ(SignedMessage("example.com/behind-the-sofa\n20852163\n"
                          "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
                          1679315147),
            "cosignature/v1\n"
            "time 1679315147\n"
            "example.com/behind-the-sofa\n"
            "20852163\n"
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
}

TEST_F(CosignatureTest, TheSpecExampleCosignatureLineParses) {
  // The cosignature line of c2sp.org/tlog-cosignature's example: key id
  // 8d66cf3f, timestamp 1679315147 (0x641850cb), a 64-byte signature.
  auto c = ParseLine(
      "\xe2\x80\x94 witness.example.com/w1 "
      "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin"
      "1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n");
  ASSERT_OK(c);
  EXPECT_EQ(c->name, "witness.example.com/w1");
  EXPECT_EQ(crypto::ToHex(crypto::AsBytes(c->id)), "8d66cf3f");
  EXPECT_EQ(c->timestamp, 1679315147u);
  // And it formats back to the same bytes.
  EXPECT_EQ(FormatLine(*c),
            "\xe2\x80\x94 witness.example.com/w1 "
            "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/"
            "zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin"
            "1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n");
}

TEST_F(CosignatureTest, TransparencyDevVectorsParse) {
  // transparency-dev/formats note_cosigv1_test.go: a native 0x04 vkey whose
  // key id is da77ade7, and a cosignature blob whose timestamp is 1727964367.
  auto key = ParseVerifierKey(
      "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2");
  ASSERT_OK(key);
  EXPECT_EQ(
      FormatVerifierKey(key->name, key->key),
      "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2");
  auto c = ParseLine(
      "\xe2\x80\x94 w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/"
      "iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==");
  ASSERT_OK(c);
  EXPECT_EQ(c->timestamp, 1727964367u);
  // Same file: a plain note signature (4 + 64 bytes) is not a cosignature.
  EXPECT_FALSE(ParseLine("\xe2\x80\x94 w eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M4"
                         "6JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/"
                         "4xkNQY=")
                   .ok());
}

TEST_F(CosignatureTest, VerifierKeysOfTheWrongKindOrIdAreRefused) {
  // A log's note key (type 0x01) is not a witness key.
  EXPECT_FALSE(
      ParseVerifierKey(
          "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
          .ok());
  EXPECT_FALSE(ParseVerifierKey("remora.n621.de+00000000+BOvN63jn/"
                                "bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
                   .ok());
  EXPECT_FALSE(ParseVerifierKey("remora.n621.de+da77ade7").ok());
  EXPECT_FALSE(ParseVerifierKey("remora.n621.de+da77ade7+BOvN63jn").ok());
  EXPECT_FALSE(ParseVerifierKey("").ok());
}

TEST_F(CosignatureTest, KeyIdDiffersFromTheNoteKeyIdOfTheSameKey) {
  WitnessSigner w = SignerFromSeedByte("witness.audit.example", 8);
  EXPECT_NE(KeyId(w.name, w.key_pair.public_key),
            note::Ed25519KeyId(w.name, w.key_pair.public_key));
}

TEST_F(CosignatureTest, VerifyNoteFindsEachWitnessOnceAndIgnoresOthers) {
  note::SignerKey log{"example.gov.cn/piaojue", testing::TestKey(3)};
  WitnessSigner a = SignerFromSeedByte("witness.audit.example", 8);
  WitnessSigner b = SignerFromSeedByte("witness.npc.example", 9);
  WitnessSigner stranger = SignerFromSeedByte("stranger.example", 10);
  const std::string body = note::FormatCheckpoint(
      {"example.gov.cn/piaojue", 7, crypto::Sha256(crypto::AsBytes("x")), {}});
  std::string note = SignedCheckpoint(log, body);
  auto la = Sign(body, 1764460800, a);
  auto lb = Sign(body, 1764460801, b);
  auto ls = Sign(body, 1764460802, stranger);
  ASSERT_OK(la);
  ASSERT_OK(lb);
  ASSERT_OK(ls);
  auto all = AppendLines(note, *ls + *lb + *la);
  ASSERT_OK(all);
  std::vector<WitnessKey> keys;
  for (const auto* w : {&a, &b}) {
    keys.push_back({w->name, KeyId(w->name, w->key_pair.public_key),
                    w->key_pair.public_key});
  }
  auto found = VerifyNote(*all, keys);
  ASSERT_OK(found);
  ASSERT_EQ(found->size(), 2u);
  // In the order of the lines in the note.
  EXPECT_EQ((*found)[0].key_index, 1u);
  EXPECT_EQ((*found)[0].timestamp, 1764460801u);
  EXPECT_EQ((*found)[0].line, *lb);
  EXPECT_EQ((*found)[1].key_index, 0u);
  EXPECT_EQ((*found)[1].line, *la);
  // The log's own signature still opens the note.
  EXPECT_OK(note::Open(
      *all, note::ParseVerifierKey(
                note::FormatVerifierKey(log.name, log.key_pair.public_key))
                .value()));
}

TEST_F(CosignatureTest, ACosignatureOfAnotherCheckpointDoesNotVerify) {
  note::SignerKey log{"example.gov.cn/piaojue", testing::TestKey(3)};
  WitnessSigner a = SignerFromSeedByte("witness.audit.example", 8);
  WitnessKey ka{a.name, KeyId(a.name, a.key_pair.public_key),
                a.key_pair.public_key};
  note::Checkpoint cp{
      "example.gov.cn/piaojue", 7, crypto::Sha256(crypto::AsBytes("x")), {}};
  const std::string body7 = note::FormatCheckpoint(cp);
  cp.root = crypto::Sha256(crypto::AsBytes("y"));  // a split view
  const std::string other = note::FormatCheckpoint(cp);
  auto line = Sign(body7, 1764460800, a);
  ASSERT_OK(line);
  auto moved = AppendLines(SignedCheckpoint(log, other), *line);
  ASSERT_OK(moved);
  auto found = VerifyNote(*moved, {ka});
  ASSERT_OK(found);
  EXPECT_TRUE(found->empty());

  // Changing the timestamp in the line breaks it too.
  auto c = ParseLine(*line);
  ASSERT_OK(c);
  EXPECT_TRUE(Verify(body7, *c, ka));
  c->timestamp += 1;
  EXPECT_FALSE(Verify(body7, *c, ka));
  // So does a flipped signature bit.
  c->timestamp -= 1;
  c->signature[10] ^= 1;
  EXPECT_FALSE(Verify(body7, *c, ka));
}

TEST_F(CosignatureTest, SignRefusesWhatIsNotACheckpointAndHugeTimestamps) {
  WitnessSigner a = SignerFromSeedByte("witness.audit.example", 8);
  EXPECT_FALSE(Sign("not a checkpoint\n", 1, a).ok());
  EXPECT_FALSE(Sign("o\n1\n", 1, a).ok());
  const std::string body = note::FormatCheckpoint(
      {"o", 1, crypto::Sha256(crypto::AsBytes("x")), {}});
  EXPECT_FALSE(Sign(body, kMaxTimestamp + 1, a).ok());
  EXPECT_OK(Sign(body, kMaxTimestamp, a));
  WitnessSigner bad = SignerFromSeedByte("has space", 8);
  EXPECT_FALSE(Sign(body, 1, bad).ok());
}

TEST_F(CosignatureTest, ParseLineRefusesMalformedLines) {
  WitnessSigner a = SignerFromSeedByte("witness.audit.example", 8);
  const std::string body = note::FormatCheckpoint(
      {"o", 1, crypto::Sha256(crypto::AsBytes("x")), {}});
  auto line = Sign(body, 5, a);
  ASSERT_OK(line);
  EXPECT_OK(ParseLine(*line));
  EXPECT_FALSE(ParseLine(line->substr(4)).ok());  // no "— "
  std::string no_space = *line;
  no_space.replace(no_space.find(' ', 4), 1, "");
  EXPECT_FALSE(ParseLine(no_space).ok());
  std::string short_blob = *line;
  short_blob.erase(short_blob.size() - 6, 4);  // base64 of fewer bytes
  EXPECT_FALSE(ParseLine(short_blob).ok());
  // Timestamp with the top bit set: over 2^63 - 1.
  auto c = ParseLine(*line);
  ASSERT_OK(c);
  c->timestamp = kMaxTimestamp + 1;
  EXPECT_FALSE(ParseLine(FormatLine(*c)).ok());
}

TEST_F(CosignatureTest, AppendLinesSkipsDuplicatesAndRefusesGarbage) {
  note::SignerKey log{"example.gov.cn/piaojue", testing::TestKey(3)};
  WitnessSigner a = SignerFromSeedByte("witness.audit.example", 8);
  const std::string body = note::FormatCheckpoint(
      {"example.gov.cn/piaojue", 1, crypto::Sha256(crypto::AsBytes("x")), {}});
  const std::string note = SignedCheckpoint(log, body);
  auto line = Sign(body, 5, a);
  ASSERT_OK(line);
  auto once = AppendLines(note, *line);
  ASSERT_OK(once);
  EXPECT_EQ(*once, note + *line);
  auto twice = AppendLines(*once, *line + *line);
  ASSERT_OK(twice);
  EXPECT_EQ(*twice, *once);
  EXPECT_EQ(*AppendLines(note, ""), note);
  EXPECT_FALSE(AppendLines(note, "hello\n").ok());
  EXPECT_FALSE(AppendLines(note, line->substr(0, line->size() - 1)).ok());
  EXPECT_FALSE(AppendLines(body, *line).ok());  // not a signed note
}

}  // namespace
}  // namespace piaojue::cosignature
