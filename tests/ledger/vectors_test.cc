// Golden bytes for docs/FORMAT.md. The test rebuilds a small deterministic
// log (fixed keys, nonces and clock) and compares every value with
// tests/vectors/ledger-v2.txt. A stranger's verifier can check itself
// against the same file. Regenerate (only for a deliberate format change)
// with PIAOJUE_REGENERATE_VECTORS=1.
#include <capnp/any.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "ledger/entry.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "tests/message_util.h"
#include "tests/test_util.h"

namespace piaojue::ledger {
namespace {

constexpr char kVectorFile[] = "tests/vectors/ledger-v2.txt";

std::array<uint8_t, kNonceSize> Nonce(uint8_t n) {
  std::array<uint8_t, kNonceSize> a{};
  a.fill(n);
  return a;
}

SignedEvent Sign(const crypto::KeyPair& key, std::string_view jurisdiction,
                 int64_t at, uint8_t nonce,
                 const std::function<void(schema::Event::Builder)>& fill) {
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Event>();
  fill(e);
  auto s = SignEvent(key, "example.gov.cn/piaojue", jurisdiction, at,
                     e.asReader(), Nonce(nonce));
  EXPECT_TRUE(s.ok());
  return std::move(s).value();
}

std::string Hex(std::string_view s) {
  return crypto::ToHex(crypto::AsBytes(s));
}
template <size_t N>
std::string Hex(const std::array<uint8_t, N>& a) {
  return crypto::ToHex(crypto::AsBytes(a));
}

// Builds the vector log and returns name -> value (single-line values; note
// text has its newlines escaped as \n).
std::map<std::string, std::string> BuildVectors(const std::string& dir) {
  std::map<std::string, std::string> v;
  auto root = testing::TestKey(0x01);
  auto office = testing::TestKey(0x02);
  note::SignerKey log_key{"example.gov.cn/piaojue", testing::TestKey(0x03)};
  // (log_key is used by genesis below)
  const int64_t t0 = 1735689600000;  // 2025-01-01T00:00:00Z

  std::vector<SignedEvent> events;
  events.push_back(Sign(root, "", t0, 0x10, [&](schema::Event::Builder e) {
    auto g = e.initGenesis();
    g.setOrigin("example.gov.cn/piaojue");
    g.setRootKey(capnp::Data::Reader(root.public_key.data(), 32));
    g.setFormatVersion(kFormatVersion);
    g.setDeploymentName("示例");
    g.setCheckpointKey(
        note::FormatVerifierKey(log_key.name, log_key.key_pair.public_key));
  }));
  events.push_back(Sign(root, "", t0, 0x11, [&](schema::Event::Builder e) {
    auto j = e.initJurisdictionRegistered();
    j.setCode("610102");
    j.setName("示例县");
    j.setLevel(schema::Level::COUNTY);
  }));
  events.push_back(Sign(root, "", t0, 0x12, [&](schema::Event::Builder e) {
    auto k = e.initKeyRegistered();
    k.setKey(capnp::Data::Reader(office.public_key.data(), 32));
    k.setRole(schema::Role::GOVERNMENT_OFFICE);
    k.setJurisdiction("610102");
    k.setHolder("示例县发改局");
  }));
  events.push_back(
      Sign(office, "610102", t0 + 1000, 0x13, [&](schema::Event::Builder e) {
        auto c = e.initCycleOpened();
        c.setYear(2025);
        c.setLevel(schema::Level::COUNTY);
        c.setTitle("示例县2025年民生实事项目");
        c.setBudgetFen(100000000);
        c.setProjectCount(10);
      }));

  LedgerOptions options;
  int64_t now = t0 + 5000;
  options.clock = [&now] { return now; };
  options.checkpoint_key = log_key;
  auto ledger = Ledger::Create(dir, events[0], options);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  for (size_t i = 1; i < events.size(); ++i) {
    now += 1000;
    auto r = (*ledger)->Append(events[i]);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }

  v["root_public_key"] = Hex(root.public_key);
  v["office_public_key"] = Hex(office.public_key);
  v["log_public_key"] = Hex(log_key.key_pair.public_key);
  v["verifier_key"] =
      note::FormatVerifierKey(log_key.name, log_key.key_pair.public_key);
  for (size_t i = 0; i < events.size(); ++i) {
    std::string p = "entry" + std::to_string(i) + "_";
    v[p + "authored"] = Hex(events[i].authored);
    v[p + "signature"] = Hex(events[i].signature);
    auto bytes = (*ledger)->ReadEntry(i);
    EXPECT_TRUE(bytes.ok());
    auto view = EntryView::Parse(*bytes);
    EXPECT_TRUE(view.ok());
    v[p + "bytes"] = Hex(*bytes);
    v[p + "entry_hash"] = Hex(view->EntryHash());
    v[p + "leaf_hash"] = Hex(view->LeafHash());
  }
  for (uint64_t size = 1; size <= events.size(); ++size) {
    v["root_size" + std::to_string(size)] = Hex(*(*ledger)->RootAt(size));
  }
  auto proof = (*ledger)->InclusionProof(1, 4);
  std::string joined;
  for (auto& h : *proof) joined += (joined.empty() ? "" : ",") + Hex(h);
  v["inclusion_proof_index1_size4"] = joined;
  auto consistency = (*ledger)->ConsistencyProof(3, 4);
  joined.clear();
  for (auto& h : *consistency) joined += (joined.empty() ? "" : ",") + Hex(h);
  v["consistency_proof_3_4"] = joined;
  auto cp = (*ledger)->SignCheckpoint();
  EXPECT_TRUE(cp.ok());
  std::string escaped;
  for (char c : *cp)
    escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  v["checkpoint_note"] = escaped;
  return v;
}

TEST(FormatVectorsTest, LedgerBytesMatchTheGoldenVectors) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  testing::TempDir tmp;
  auto vectors = BuildVectors(tmp.Sub("db"));
  if (std::getenv("PIAOJUE_REGENERATE_VECTORS")) {
    std::ofstream out(kVectorFile);
    out << "# piaojue ledger format v1 test vectors; see docs/FORMAT.md.\n"
        << "# Keys are Ed25519 from 32-byte seeds of one repeated byte: root "
           "0x01, government office 0x02, log 0x03.\n"
        << "# Nonces are 16 repeated bytes 0x10.. ; times are Unix ms.\n";
    for (auto& [k, val] : vectors) out << k << ": " << val << "\n";
    GTEST_SKIP() << "regenerated " << kVectorFile;
  }
  std::ifstream in(kVectorFile);
  ASSERT_TRUE(in) << "missing " << kVectorFile;
  std::map<std::string, std::string> golden;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(": ");
    ASSERT_NE(colon, std::string::npos) << line;
    golden[line.substr(0, colon)] = line.substr(colon + 2);
  }
  EXPECT_EQ(golden.size(), vectors.size());
  for (auto& [k, val] : vectors) {
    EXPECT_EQ(golden[k], val) << "vector " << k << " changed: the format "
                              << "changed or the code broke it";
  }
}

// Inputs a reader MUST refuse (tests/vectors/rejected-v2.txt): canonical
// Cap'n Proto, signed by a real key where a signature is given, yet breaking
// rule 3 of "Canonical Cap'n Proto" (docs/FORMAT.md). Made from the golden
// vectors above, so a stranger can check that their reader refuses each.
constexpr char kRejectedFile[] = "tests/vectors/rejected-v2.txt";

std::map<std::string, std::string> ReadVectorFile(const char* path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "missing " << path;
  std::map<std::string, std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(": ");
    EXPECT_NE(colon, std::string::npos) << line;
    if (colon != std::string::npos) {
      out[line.substr(0, colon)] = line.substr(colon + 2);
    }
  }
  return out;
}

std::string Unhex(const std::string& h) {
  std::string out(h.size() / 2, '\0');
  EXPECT_TRUE(crypto::FromHex(
                  h, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()),
                                        out.size()))
                  .ok());
  return out;
}

// name -> value of the rejected inputs, made from the golden vectors.
std::map<std::string, std::string> BuildRejected(
    std::map<std::string, std::string> golden) {
  const auto root = testing::TestKey(0x01);
  std::map<std::string, std::string> v;
  // `rule` says which part of "Canonical Cap'n Proto" the input breaks:
  // "layout" (the rules on the words: isCanonical() alone accepts these) or
  // "3" (what no field occupies).
  auto add = [&](const std::string& name, const std::string& authored,
                 const std::string& refusal, const char* rule = "3") {
    v[name + "_authored"] = Hex(authored);
    v[name + "_signature"] = Hex(testing::SignRaw(root, authored).signature);
    v[name + "_refusal"] = refusal;
    v[name + "_rule"] = rule;
  };
  // An authored event of `root`'s, every field but the event set.
  auto authored = [&](capnp::MallocMessageBuilder& m, uint8_t nonce) {
    auto a = m.initRoot<schema::AuthoredEvent>();
    a.setAuthorKey(capnp::Data::Reader(root.public_key.data(), 32));
    const std::array<uint8_t, kNonceSize> n = Nonce(nonce);
    a.setNonce(capnp::Data::Reader(n.data(), n.size()));
    a.setSignedAtMs(1735689600000);
    a.setOrigin("example.gov.cn/piaojue");
    return a;
  };
  // The index of the only word of `bytes` after the author's key and nonce
  // that `is` holds for. (Words 0-12 of an authored event are the root
  // pointer, its data word and five pointers, the 4-word key and the 2-word
  // nonce, whose bytes may look like any pointer.)
  auto only_word = [](const std::string& bytes, auto is) {
    size_t found = bytes.size() / 8;
    for (size_t i = 13; i < bytes.size() / 8; ++i) {
      if (!is(testing::GetWord(bytes, i))) continue;
      EXPECT_EQ(found, bytes.size() / 8) << "two words match";
      found = i;
    }
    EXPECT_LT(found, bytes.size() / 8) << "no word matches";
    return found;
  };
  // A merge whose list of sources is empty, its pointer aimed three words
  // past the message's end instead of at the head: Cap'n Proto's
  // isCanonical() accepts it (what the entry fuzz target found in
  // piaojue's own decoder on 2026-12-02); the canonical layout does not.
  {
    capnp::MallocMessageBuilder m;
    auto merged = authored(m, 0x21).initEvent().initProposalsMerged();
    merged.setCycle(7);
    merged.initSources(0);
    merged.setReason("重复");
    std::string bytes =
        CanonicalBytes(m.getRoot<schema::AuthoredEvent>().asReader());
    // A list pointer (tag 1) of 8-byte elements (size 5), no elements.
    const size_t at = only_word(
        bytes, [](uint64_t w) { return (w & 3) == 1 && (w >> 32) == 5; });
    const uint64_t past_the_end = bytes.size() / 8 + 3 - (at + 1);
    testing::PutWord(bytes, at, 1 | past_the_end << 2 | uint64_t{5} << 32);
    add("empty_list_past_the_end", bytes, "bytes are not canonical Cap'n Proto",
        "layout");
  }
  // A ballot's candidates, one element, with bit 31 set in the list's tag
  // word (the element count is its 29 bits above the tag): Cap'n Proto's
  // isCanonical() accepts it; the canonical layout says the bit is zero.
  {
    capnp::MallocMessageBuilder m;
    auto fixed = authored(m, 0x22).initEvent().initCandidateListFixed();
    fixed.setCycle(7);
    auto candidate = fixed.initCandidates(1)[0];
    candidate.setProposal(9);
    candidate.setName("道路硬化");
    std::string bytes =
        CanonicalBytes(m.getRoot<schema::AuthoredEvent>().asReader());
    // The list of structs' pointer (tag 1, element size 7) of two words (the
    // element's proposal and name); its tag word is where it points.
    const size_t at = only_word(bytes, [](uint64_t w) {
      return (w & 3) == 1 && (w >> 32) == (7 | 2 << 3);
    });
    const size_t tag =
        at + 1 + ((testing::GetWord(bytes, at) & 0xffffffff) >> 2);
    testing::PutWord(bytes, tag,
                     testing::GetWord(bytes, tag) | uint64_t{1} << 31);
    add("struct_list_tag_bit_31", bytes, "bytes are not canonical Cap'n Proto",
        "layout");
  }
  // Entry 2's keyRegistered event, with 0x0003 in the bytes beside its
  // discriminant: what the authored_event fuzz target found.
  {
    std::string a = Unhex(golden["entry2_authored"]);
    capnp::MallocMessageBuilder m;
    std::vector<capnp::word> words(a.size() / 8);
    std::memcpy(words.data(), a.data(), a.size());
    // Canonical bytes: one segment, no segment table.
    kj::ArrayPtr<const capnp::word> segments[1] = {
        kj::arrayPtr(words.data(), words.size())};
    capnp::SegmentArrayMessageReader r(kj::arrayPtr(segments, 1));
    m.setRoot(r.getRoot<schema::AuthoredEvent>());
    auto event = m.getRoot<schema::AuthoredEvent>().getEvent();
    capnp::toAny(event).getDataSection()[2] = 0x03;
    add("hidden_bits_beside_event_kind",
        CanonicalBytes(m.getRoot<schema::AuthoredEvent>().asReader()),
        "field event: bits 16-17 of data word 0 are not zero");
  }
  // A correction whose active member is the retraction, with the
  // replacement's pointer left in place.
  {
    capnp::MallocMessageBuilder m;
    auto a = authored(m, 0x20);
    auto c = a.initEvent().initCorrection();
    c.setTarget(1);
    c.setReason("误录");
    c.initReplacement().initJurisdictionRegistered().setCode("610103");
    c.setRetraction();
    add("pointer_of_an_inactive_member", CanonicalBytes(a.asReader()),
        "field event.correction: pointer 1 is not null, but it belongs to "
        "replacement");
  }
  // Entry 2's event with a sixth pointer, beyond AuthoredEvent's five.
  add("authored_pointer_beyond_the_schema",
      testing::WithRootWidened(Unhex(golden["entry2_authored"]), 0, 1),
      "the root struct: pointer 5 is not null");
  // Entry 3 with a third data word, beyond Entry's two.
  v["entry_word_beyond_the_schema_entry"] =
      Hex(testing::WithRootWidened(Unhex(golden["entry3_bytes"]), 1, 0));
  v["entry_word_beyond_the_schema_refusal"] =
      "the root struct: bits 1-5 of data word 2 are not zero";
  v["entry_word_beyond_the_schema_rule"] = "3";
  return v;
}

TEST(FormatVectorsTest, RejectedInputsAreRefusedNamingWhere) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  const auto built = BuildRejected(ReadVectorFile(kVectorFile));
  if (std::getenv("PIAOJUE_REGENERATE_VECTORS")) {
    std::ofstream out(kRejectedFile);
    out << "# piaojue ledger format v2: inputs a reader MUST refuse; see "
           "docs/FORMAT.md,\n"
        << "# \"Canonical Cap'n Proto\": its rules on the words (NAME_rule "
           "layout; Cap'n Proto's\n"
        << "# isCanonical() accepts these) or its rule 3 (NAME_rule 3). "
           "Made from tests/vectors/ledger-v2.txt.\n"
        << "# NAME_authored: AuthoredEvent bytes; NAME_signature: "
           "a valid Ed25519\n"
        << "# signature of them under the root key (seed 32 x 0x01, context "
           "piaojue/authored-event/v2\\n);\n"
        << "# NAME_entry: canonical Entry bytes; NAME_refusal: what piaojue "
           "says (part of its message).\n";
    for (auto& [k, val] : built) out << k << ": " << val << "\n";
    GTEST_SKIP() << "regenerated " << kRejectedFile;
  }
  const auto rejected = ReadVectorFile(kRejectedFile);
  EXPECT_EQ(rejected, built) << kRejectedFile << " is stale: regenerate it";
  int checked = 0;
  for (const auto& [key, value] : rejected) {
    const std::string::size_type at = key.rfind('_');
    const std::string name = key.substr(0, at), what = key.substr(at + 1);
    SCOPED_TRACE(key);
    Status refused;
    if (what == "authored") {
      SignedEvent e{Unhex(value), {}};
      const std::string signature = Unhex(rejected.at(name + "_signature"));
      std::memcpy(e.signature.data(), signature.data(), e.signature.size());
      // The signature is good: only the decoder's rule refuses it.
      std::string message(kAuthoredEventContext);
      message += e.authored;
      EXPECT_TRUE(crypto::Verify(testing::TestKey(0x01).public_key,
                                 crypto::AsBytes(message), e.signature));
      refused = CheckSignedEvent(e).status();
    } else if (what == "entry") {
      refused = EntryView::Parse(Unhex(value)).status();
    } else {
      continue;
    }
    ++checked;
    EXPECT_EQ(refused.code(), StatusCode::kCorruption) << refused.ToString();
    EXPECT_NE(refused.message().find(rejected.at(name + "_refusal")),
              std::string::npos)
        << refused.ToString();
  }
  EXPECT_EQ(checked, 6);
}

// The golden entries verify with nothing but the rules of docs/FORMAT.md:
// SHA-256 chain, RFC 6962 leaves, Ed25519 over the context string.
TEST(FormatVectorsTest, GoldenEntriesVerifyFromFirstPrinciples) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  std::ifstream in(kVectorFile);
  ASSERT_TRUE(in);
  std::map<std::string, std::string> golden;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(": ");
    golden[line.substr(0, colon)] = line.substr(colon + 2);
  }
  auto unhex = [](const std::string& h) {
    std::string out(h.size() / 2, '\0');
    EXPECT_TRUE(crypto::FromHex(
                    h, std::span<uint8_t>(
                           reinterpret_cast<uint8_t*>(out.data()), out.size()))
                    .ok());
    return out;
  };
  Hash prev{};
  std::vector<Hash> leaves;
  for (int i = 0; i < 4; ++i) {
    std::string bytes = unhex(golden["entry" + std::to_string(i) + "_bytes"]);
    auto view = EntryView::Parse(bytes);
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->prev_hash(), prev);
    EXPECT_TRUE(view->VerifySignature().ok());
    prev = crypto::Sha256(crypto::AsBytes(bytes));
    leaves.push_back(merkle::LeafHash(crypto::AsBytes(bytes)));
  }
  Hash root = merkle::NodeHash(merkle::NodeHash(leaves[0], leaves[1]),
                               merkle::NodeHash(leaves[2], leaves[3]));
  EXPECT_EQ(crypto::ToHex(crypto::AsBytes(root)), golden["root_size4"]);
}

}  // namespace
}  // namespace piaojue::ledger

namespace piaojue::ledger {
namespace {

// docs/FORMAT.md quotes the vectors; the spec must stay true.
TEST(FormatVectorsTest, FormatDocQuotesTheCurrentVectors) {
  std::ifstream doc_in("docs/FORMAT.md");
  ASSERT_TRUE(doc_in);
  std::stringstream doc;
  doc << doc_in.rdbuf();
  std::ifstream in(kVectorFile);
  std::map<std::string, std::string> golden;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(": ");
    golden[line.substr(0, colon)] = line.substr(colon + 2);
  }
  for (const char* key :
       {"root_size4", "entry3_leaf_hash", "entry3_entry_hash",
        "entry2_entry_hash", "verifier_key", "log_public_key"}) {
    EXPECT_NE(doc.str().find(golden[key]), std::string::npos)
        << "docs/FORMAT.md does not quote vector " << key;
  }
  std::string note;
  const std::string& escaped = golden["checkpoint_note"];
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped.compare(i, 2, "\\n") == 0) {
      note += '\n';
      ++i;
    } else {
      note += escaped[i];
    }
  }
  EXPECT_NE(doc.str().find(note), std::string::npos)
      << "docs/FORMAT.md does not quote the vector checkpoint";
}

}  // namespace
}  // namespace piaojue::ledger
