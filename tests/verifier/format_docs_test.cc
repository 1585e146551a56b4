// docs/FORMAT.md, "Export bundle" and "Proof bundle", checked against the
// code: the worked example is rebuilt from tests/vectors/ledger-v2.txt, read
// back, and verified.
#include <capnp/schema.h>

#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "ledger/bundle.h"
#include "ledger/text_validation.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/proof_bundle.h"

namespace piaojue::verifier {
namespace {

using namespace piaojue::verifier::testing;

constexpr char kVectorFile[] = "tests/vectors/ledger-v2.txt";

std::map<std::string, std::string> ReadVectors() {
  std::map<std::string, std::string> v;
  std::ifstream in(kVectorFile);
  EXPECT_TRUE(in) << "run from the source tree";
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(": ");
    if (colon != std::string::npos) {
      v[line.substr(0, colon)] = line.substr(colon + 2);
    }
  }
  return v;
}

std::string FromHex(const std::string& hex) {
  std::string out(hex.size() / 2, '\0');
  EXPECT_TRUE(crypto::FromHex(
                  hex, std::span<uint8_t>(
                           reinterpret_cast<uint8_t*>(out.data()), out.size()))
                  .ok());
  return out;
}

std::string Unescape(const std::string& escaped) {
  std::string out;
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped.compare(i, 2, "\\n") == 0) {
      out += '\n';
      ++i;
    } else {
      out += escaped[i];
    }
  }
  return out;
}

class FormatDocsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    auto v = ReadVectors();
    for (int i = 0; i < 4; ++i) {
      entries_.push_back(FromHex(v["entry" + std::to_string(i) + "_bytes"]));
    }
    checkpoint_ = Unescape(v["checkpoint_note"]);
    vkey_ = v["verifier_key"];
    path_ = tmp_.Sub("vectors.bundle");
    WriteBundleFile(path_, entries_, checkpoint_);
  }

  TempDir tmp_;
  std::vector<std::string> entries_;
  std::string checkpoint_, vkey_, path_;
};

TEST_F(FormatDocsTest, ExportBundleWorkedExampleIsTheWrittenBytes) {
  const std::string bytes = ReadFile(path_);
  // The numbers the worked example states.
  EXPECT_EQ(checkpoint_.size(), 191u);
  EXPECT_EQ(entries_[0].size(), 472u);
  EXPECT_EQ(entries_[1].size(), 344u);
  EXPECT_EQ(entries_[2].size(), 392u);
  EXPECT_EQ(entries_[3].size(), 360u);
  ASSERT_EQ(bytes.size(), 1796u);
  EXPECT_EQ(bytes.substr(0, 17), "piaojue-bundle/1\n");
  EXPECT_EQ(crypto::ToHex(crypto::AsBytes(bytes.substr(17, 4))), "000000bf");
  EXPECT_EQ(bytes.substr(21, 191), checkpoint_);
  EXPECT_EQ(crypto::ToHex(crypto::AsBytes(bytes.substr(212, 8))),
            "0000000000000004");
  EXPECT_EQ(crypto::ToHex(crypto::AsBytes(bytes.substr(220, 2))), "01d8");
  EXPECT_EQ(bytes.substr(222, 472), entries_[0]);
  EXPECT_EQ(crypto::ToHex(crypto::AsBytes(bytes.substr(694, 2))), "0158");
  EXPECT_EQ(
      crypto::ToHex(crypto::AsBytes(crypto::Sha256(crypto::AsBytes(bytes)))),
      "40c3cdc265ce473b612b2ab35e70ef99f6f90d2056aca6f8a9c34a5b5de77d73");

  // Read back, it is the same entries and checkpoint.
  std::vector<std::string> read;
  std::string read_checkpoint;
  ASSERT_TRUE(ledger::ReadBundle(
                  path_,
                  [&](std::string_view cp, uint64_t count) {
                    read_checkpoint = cp;
                    EXPECT_EQ(count, 4u);
                    return Status::Ok();
                  },
                  [&](uint64_t, std::string_view e) {
                    read.emplace_back(e);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(read, entries_);
  EXPECT_EQ(read_checkpoint, checkpoint_);
}

TEST_F(FormatDocsTest, VectorsBundleIsReadAndCheckedEntryByEntry) {
  // The vectors are byte-format vectors: their cycle (entry 3) leaves out
  // the collection window, which the cycle's rules require. Everything
  // before it verifies; entry 3 is refused by the rules, by name.
  VerifyReport prefix = VerifyPath(path_, vkey_, {}, 3);
  EXPECT_EQ(prefix.exit_code, 0) << Describe(prefix);
  EXPECT_EQ(prefix.entries, 3u);
  EXPECT_EQ(prefix.origin, "example.gov.cn/piaojue");
  EXPECT_EQ(prefix.root, ReadVectors()["root_size3"]);

  VerifyReport all = VerifyPath(path_, vkey_);
  EXPECT_EQ(all.exit_code, 1) << Describe(all);
  ASSERT_TRUE(all.failure.has_value());
  EXPECT_EQ(all.failure->index, 3u);
  EXPECT_EQ(all.failure->check, "rules");
}

TEST_F(FormatDocsTest, ProofBundleFieldsAreAsSpecified) {
  // A proof of record 3 (the cycle) built from the vectors.
  ProofSource src;
  src.size = 4;
  src.checkpoint = checkpoint_;
  src.for_each_entry = [&](const auto& fn) -> Status {
    for (uint64_t i = 0; i < entries_.size(); ++i) {
      RETURN_IF_ERROR(fn(i, entries_[i]));
    }
    return Status::Ok();
  };
  std::vector<crypto::Hash> leaves;
  for (const auto& e : entries_) {
    leaves.push_back(merkle::LeafHash(crypto::AsBytes(e)));
  }
  src.read_entry = [&](uint64_t index) -> Result<std::string> {
    return entries_.at(index);
  };
  src.inclusion = [&](uint64_t index) -> Result<std::vector<crypto::Hash>> {
    merkle::NodeReader read = [&](uint8_t level,
                                  uint64_t i) -> Result<crypto::Hash> {
      if (level == 0) return leaves.at(i);
      if (level == 1) return merkle::NodeHash(leaves[2 * i], leaves[2 * i + 1]);
      return merkle::NodeHash(merkle::NodeHash(leaves[0], leaves[1]),
                              merkle::NodeHash(leaves[2], leaves[3]));
    };
    return merkle::InclusionProof(read, index, 4);
  };
  auto text = BuildProofBundle(3, src);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const nlohmann::json j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["format"], "piaojue-proof/2");
  EXPECT_EQ(j["record"], 3);
  EXPECT_EQ(j["checkpoint"], checkpoint_);
  // Genesis, the registry entries, the record.
  ASSERT_EQ(j["entries"].size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(j["entries"][i]["index"], i);
    auto bytes =
        crypto::Base64Decode(j["entries"][i]["entry"].get<std::string>());
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(*bytes, entries_[i]);
    EXPECT_EQ(j["entries"][i]["proof"].size(), 2u);  // log2(4)
  }
  const std::string path = tmp_.Sub("cycle.proof");
  WriteFile(path, *text);
  VerifyReport report = VerifyProofPath(path, vkey_);
  EXPECT_EQ(report.exit_code, 0) << Describe(report);
}

// "Text fields": the table of multi-line fields is the schema's $multiline.
TEST(FormatDocsTextTest, MultilineFieldsAreTheSchemasMultilineFields) {
  std::map<std::string, std::vector<std::string>> in_schema;
  std::set<uint64_t> seen;
  std::function<void(capnp::StructSchema)> walk = [&](capnp::StructSchema s) {
    if (!seen.insert(s.getProto().getId()).second) return;
    for (auto field : s.getFields()) {
      if (ledger::IsMultiline(field)) {
        in_schema[s.getShortDisplayName().cStr()].push_back(
            field.getProto().getName().cStr());
      }
      capnp::Type type = field.getType();
      while (type.isList()) type = type.asList().getElementType();
      if (type.isStruct()) walk(type.asStruct());
    }
  };
  walk(capnp::Schema::from<schema::AuthoredEvent>());
  ASSERT_FALSE(in_schema.empty());

  std::ifstream in("docs/FORMAT.md");
  ASSERT_TRUE(in) << "run from the source tree";
  std::map<std::string, std::vector<std::string>> in_docs;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "<!-- multiline-fields -->") inside = true;
    if (line == "<!-- /multiline-fields -->") break;
    if (!inside || line.rfind("| `", 0) != 0) continue;
    // | `Struct` | `a`, `b` |
    std::vector<std::string> quoted;
    for (size_t at = line.find('`'); at != std::string::npos;) {
      const size_t end = line.find('`', at + 1);
      quoted.push_back(line.substr(at + 1, end - at - 1));
      at = line.find('`', end + 1);
    }
    in_docs[quoted[0]] =
        std::vector<std::string>(quoted.begin() + 1, quoted.end());
  }
  EXPECT_EQ(in_docs, in_schema);
}

}  // namespace
}  // namespace piaojue::verifier
