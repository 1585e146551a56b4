// The binary projections snapshot ("piaojue-projections-snapshot/3",
// docs/FORMAT.md "Projection snapshots"): every state of the fixture writes
// and reads back to an equal state whose views are the same bytes, the
// bytes are the spec's, and damaged bytes are refused with a Corruption that
// says what and where, never a crash.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "projections/internal/model.h"
#include "projections/internal/snapshot_codec.h"
#include "projections/replay.h"
#include "projections/state.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"
#include "tests/projections/rule_test_util.h"
#include "tests/sanitizers.h"
#include "tests/snapshot_util.h"

namespace piaojue::testing {
namespace {

using projections::State;
using Stage = CycleBuilder::Stage;

// Every view of `s` for every query the fixture's records allow, as text:
// the views a reader of this state could be shown.
std::string AllViews(const State& s) {
  std::string out;
  auto add = [&](const std::string& name, const projections::ViewQuery& q) {
    auto v = projections::View(s, name, q);
    out += name + ": ";
    out += v.ok() ? v->dump() : v.status().ToString();
    out += "\n";
  };
  for (const std::string& name : projections::ViewNames()) {
    add(name, {});
    for (uint64_t c : s.CycleRefs()) {
      projections::ViewQuery q;
      q.cycle = c;
      add(name, q);
    }
    if (name == "audit" || name == "tally" || name == "projects") {
      for (uint64_t r = 1; r < s.size(); ++r) {
        projections::ViewQuery q;
        q.record = r;
        add(name, q);
      }
    }
  }
  return out;
}

// The whole cycle, then corrections and a retraction (so that every kind
// of record is in the state), keeping the state after every stage.
class SnapshotFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    states_.emplace_back(b_.state());
    while (b_.stage() < Stage::kAll) {
      const auto next = static_cast<Stage>(static_cast<int>(b_.stage()) + 1);
      ASSERT_OK(b_.BuildThrough(next));
      states_.emplace_back(b_.state());
      if (next == Stage::kStandingCommittee) {
        // A proposal rejected at the first stage, retracted: it is kept as
        // it stood (a retracted-proposal record).
        ASSERT_OK(b_.Submit(b_.keys().office,
                            Correction(b_.refs().industrial_park, "重复录入")));
        states_.emplace_back(b_.state());
      }
    }
    const auto& r = b_.refs();
    ASSERT_OK(
        b_.Submit(b_.keys().inspection, Correction(r.inspection, "重复录入")));
    states_.emplace_back(b_.state());
    ASSERT_OK(b_.Submit(b_.keys().standing, Correction(r.notice, "发错项目")));
    const uint64_t july = r.progress.at(r.barriers)[4];
    ASSERT_OK(b_.Submit(b_.keys().agency,
                        Correction(july, "少报", [&](schema::Event::Builder e) {
                          auto p = e.initProgressReported();
                          p.setProject(r.barriers);
                          CycleBuilder::SetDay(p.initAsOf(), 2025, 7, 31);
                          p.setPercentBp(5000);
                          p.setStarted(true);
                        })));
    states_.emplace_back(b_.state());
    bytes_ = b_.state().Serialize();
  }

  static Status Refusal(std::string_view bytes) {
    auto s = State::Deserialize(bytes);
    if (s.ok()) return Status::Ok();
    return s.status();
  }

  CycleBuilder b_;
  std::vector<State> states_;
  std::string bytes_;  // of the last state
};

TEST_F(SnapshotFormatTest, EveryStateReadsBackEqualWithTheSameViews) {
  for (const State& s : states_) {
    const std::string bytes = s.Serialize();
    auto loaded = State::Deserialize(bytes);
    ASSERT_TRUE(loaded.ok())
        << "size " << s.size() << ": " << loaded.status().ToString();
    EXPECT_EQ(loaded->size(), s.size());
    EXPECT_EQ(loaded->last_entry_hash(), s.last_entry_hash());
    EXPECT_EQ(loaded->last_recorded_at_ms(), s.last_recorded_at_ms());
    EXPECT_EQ(loaded->Serialize(), bytes) << "size " << s.size();
    EXPECT_EQ(AllViews(*loaded), AllViews(s)) << "size " << s.size();
    for (uint64_t round : {b_.refs().round, b_.refs().satisfaction_round}) {
      auto a = loaded->Recount(round);
      auto b = s.Recount(round);
      ASSERT_EQ(a.ok(), b.ok());
      if (a.ok()) {
        EXPECT_EQ(a->count, b->count);
      }
    }
  }
}

// A loaded state goes on like the one it was written from: the same rules
// decide the next entries, and the same bytes come out.
TEST_F(SnapshotFormatTest, ALoadedStateFoldsOnLikeTheOriginal) {
  const uint64_t mid = states_[states_.size() / 2].size();
  auto loaded = State::Deserialize(states_[states_.size() / 2].Serialize());
  ASSERT_OK(loaded);
  ASSERT_OK(projections::CatchUp(b_.ledger(), b_.size(), &*loaded));
  EXPECT_GT(b_.size(), mid);
  EXPECT_EQ(loaded->Serialize(), bytes_);
  EXPECT_EQ(AllViews(*loaded), AllViews(b_.state()));
}

// The bytes are the spec's: the magic, then records of tag, little-endian
// length and body, the head first and the end record last.
TEST_F(SnapshotFormatTest, TheBytesAreMagicThenRecordsThenTheEnd) {
  ASSERT_EQ(bytes_.substr(0, 31), "piaojue-projections-snapshot/3\n");
  size_t at = 31;
  uint64_t records = 0;
  std::map<int, int> tags;
  int last_tag = 0;
  while (at < bytes_.size()) {
    ASSERT_LE(at + 5, bytes_.size());
    const int tag = static_cast<uint8_t>(bytes_[at]);
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= uint32_t{static_cast<uint8_t>(bytes_[at + 1 + i])} << (8 * i);
    }
    EXPECT_GE(tag, last_tag);
    last_tag = tag;
    ++tags[tag];
    at += 5 + length;
    if (tag == 0xFF) {
      EXPECT_EQ(at, bytes_.size());
      // Its body: the number of records before it, one LEB128 byte here.
      ASSERT_EQ(length, records < 128 ? 1u : 2u);
      break;
    }
    ++records;
  }
  EXPECT_EQ(at, bytes_.size());
  EXPECT_EQ(tags[0x01], 1);                                 // head
  EXPECT_EQ(static_cast<uint64_t>(tags[0x06]), b_.size());  // entries
  EXPECT_EQ(tags[0xFF], 1);
}

// The fixture's states hold every kind of record between them, so the tests
// above exercise every record of the format.
TEST_F(SnapshotFormatTest, TheFixtureHoldsEveryKindOfRecord) {
  std::set<int> seen;
  for (const State& s : states_) {
    const std::string bytes = s.Serialize();
    for (size_t at = 31; at + 5 <= bytes.size();) {
      seen.insert(static_cast<uint8_t>(bytes[at]));
      uint32_t length = 0;
      for (int i = 0; i < 4; ++i) {
        length |= uint32_t{static_cast<uint8_t>(bytes[at + 1 + i])} << (8 * i);
      }
      at += 5 + length;
    }
  }
  for (int tag = 0x01; tag <= 0x12; ++tag) {
    EXPECT_TRUE(seen.count(tag)) << "no record of tag " << tag;
  }
}

// Cut anywhere, a snapshot is refused as truncated, never read as a
// smaller state.
TEST_F(SnapshotFormatTest, ATruncatedSnapshotIsRefused) {
  std::vector<size_t> cuts;
  for (size_t n = 0; n < std::min<size_t>(bytes_.size(), 600); ++n) {
    cuts.push_back(n);
  }
  for (size_t n = 600; n < bytes_.size(); n += 7) cuts.push_back(n);
  cuts.push_back(bytes_.size() - 1);
  for (size_t n : cuts) {
    Status s = Refusal(bytes_.substr(0, n));
    ASSERT_EQ(s.code(), StatusCode::kCorruption) << "cut at " << n;
    if (n >= 31) {
      EXPECT_NE(s.message().find("truncated"), std::string::npos)
          << "cut at " << n << ": " << s.message();
    }
  }
  EXPECT_OK(Refusal(bytes_));
}

// Every third byte in the release run; under AddressSanitizer (the debug
// preset), where each flip's copy and parse cost ~100 times as much (120 s
// for this test in the cold CI run of 2026-12-03), every 31st: the records
// are short, so each kind is still flipped, and the release run covers the
// rest.
constexpr size_t kFlipStride = kUnderAddressSanitizer ? 31 : 3;

// One flipped byte anywhere: refused as Corruption, or (inside a text or a
// number whose every value is well-formed) read as a state that writes
// exactly the flipped bytes back, so nothing is silently reinterpreted. The
// seal in the ledger is what catches the second kind (ReplayTest,
// AConsistentlyEditedSnapshotIsIgnoredAndRebuilt).
TEST_F(SnapshotFormatTest, AFlippedByteIsRefusedOrReadsBackToItself) {
  int refused = 0, read = 0;
  for (size_t at = 0; at < bytes_.size(); at += kFlipStride) {
    for (uint8_t mask : {0x01, 0x80}) {
      std::string bad = bytes_;
      bad[at] = static_cast<char>(bad[at] ^ mask);
      auto s = State::Deserialize(bad);
      if (!s.ok()) {
        ASSERT_EQ(s.status().code(), StatusCode::kCorruption);
        ++refused;
      } else {
        ASSERT_EQ(s->Serialize(), bad) << "flip at " << at;
        ++read;
      }
    }
  }
  EXPECT_GT(refused, 0);
  // The magic and every record header are refused.
  for (size_t at = 0; at < 31 + 5; ++at) {
    std::string bad = bytes_;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    EXPECT_EQ(Refusal(bad).code(), StatusCode::kCorruption) << at;
  }
}

TEST_F(SnapshotFormatTest, MalformedRecordsAreRefusedSayingWhat) {
  const std::string magic(projections::internal::kSnapshotMagic);
  auto record = [](uint8_t tag, std::string body) {
    std::string r(1, static_cast<char>(tag));
    const auto n = static_cast<uint32_t>(body.size());
    for (int i = 0; i < 4; ++i) r.push_back(static_cast<char>(n >> (8 * i)));
    return r + body;
  };
  // The empty state: a head of size 0, no entries, an end counting 1.
  const std::string head0 =
      record(0x01, std::string("\x00\x00\x00\x00\x00", 5));
  const std::string empty =
      magic + head0 + record(0xFF, std::string(1, '\x01'));
  ASSERT_OK(Refusal(empty));
  EXPECT_EQ(State().Serialize(), empty);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "wrong magic"},
      {"piaojue-projections-snapshot/2\n", "wrong magic"},
      {"{\"format\":\"piaojue-projections-snapshot/2\",\"size\":0}",
       "earlier version"},
      {magic, "without its end record"},
      {magic + record(0xFF, std::string(1, '\x00')), "not the head"},
      {magic + head0, "without its end record"},
      {empty + "x", "bytes follow the end record"},
      {magic + head0 + record(0xFF, std::string(1, '\x02')), "counts 2"},
      {magic + head0 + head0 + record(0xFF, std::string(1, '\x02')),
       "out of order"},
      {magic + head0 + record(0x13, "") + record(0xFF, std::string(1, '\x02')),
       "unknown record"},
      // size 0 with a last entry hash
      {magic +
           record(0x01, std::string("\x00\x00\x01"
                                    "a"
                                    "\x00\x00",
                                    6)) +
           record(0xFF, std::string(1, '\x01')),
       "last entry hash"},
      // an integer in a longer form than needed
      {magic + record(0x01, std::string("\x80\x00\x00\x00\x00\x00", 6)) +
           record(0xFF, std::string(1, '\x01')),
       "shortest form"},
      // a head that says one entry where there is none
      {magic +
           record(0x01, std::string("\x01\x00\x40", 3) + std::string(64, 'a') +
                            std::string("\x00\x00", 2)) +
           record(0xFF, std::string(1, '\x01')),
       "says 1 entries"},
      // a field after the last one
      {magic + record(0x01, std::string("\x00\x00\x00\x00\x00\x00", 6)) +
           record(0xFF, std::string(1, '\x01')),
       "bytes follow the record's last field"},
      // a text that is not UTF-8
      {magic + record(0x01, std::string("\x00\x00\x00\x01\xff\x00", 6)) +
           record(0xFF, std::string(1, '\x01')),
       "not UTF-8"},
      // a record longer than the snapshot
      {magic + head0 + std::string("\xFF\xFF\xFF\xFF\x7F", 5), "truncated"},
      // a key (an author) that is not hex
      {magic + head0 + record(0x03, std::string("\x02zz", 3)) +
           record(0xFF, std::string(1, '\x02')),
       "not hex"},
  };
  for (const auto& [bytes, why] : bad) {
    Status s = Refusal(bytes);
    ASSERT_EQ(s.code(), StatusCode::kCorruption) << why;
    EXPECT_NE(s.message().find(why), std::string::npos)
        << "expected \"" << why << "\" in: " << s.message();
  }

  // Keys out of order, a list longer than its record, a boolean of 2: from
  // the fixture's own records.
  using projections::internal::Model;
  const std::string twice =
      EditSnapshot(bytes_, [](Model& m) { m.authors.push_back(m.authors[0]); });
  EXPECT_NE(Refusal(twice).message().find("listed twice"), std::string::npos);
}

// Records whose indices leave the log or whose references name no record of
// the right kind are refused even though each is well-formed: the fold and
// the views follow them without checking.
TEST_F(SnapshotFormatTest, AnInconsistentSnapshotIsCorruption) {
  using projections::internal::Model;
  auto first = [](const auto& map) { return (*map.begin()).first; };
  const std::vector<std::pair<const char*, std::function<void(Model&)>>> bad = {
      {"unknown author", [](Model& m) { m.entries.mut(5).author = 9999; }},
      {"owner", [](Model& m) { m.entries.mut(5).owner = 1u << 30; }},
      {"correction",
       [](Model& m) { m.entry_corrections.slot(5).push_back(1u << 30); }},
      {"touch",
       [&](Model& m) {
         m.touches.mut(first(m.touches)).push_back({1u << 30, "x"});
       }},
      {"proposal cycle",
       [&](Model& m) { m.proposals.mut(first(m.proposals)).cycle = 7; }},
      {"round vote", [&](Model& m) { m.rounds.mut(first(m.rounds)).vote = 3; }},
      {"box round", [&](Model& m) { m.boxes.mut(first(m.boxes)).round = 3; }},
      {"not keyed by its own entry",
       [&](Model& m) { m.cycles.mut(first(m.cycles)).ref += 1; }},
  };
  for (const auto& [what, edit] : bad) {
    const std::string edited = EditSnapshot(bytes_, edit);
    ASSERT_FALSE(edited.empty()) << what;
    Status s = Refusal(edited);
    ASSERT_EQ(s.code(), StatusCode::kCorruption) << what;
    EXPECT_NE(s.message().find(what), std::string::npos)
        << what << ": " << s.message();
  }
  EXPECT_EQ(EditSnapshot(bytes_, [](Model&) {}), bytes_);
}

// Streaming: the writer hands out chunks of about 1 MiB, never the whole
// snapshot, and the reader takes bytes a few at a time; an error of the
// output stops the writing.
// The model's in-memory layout is not the format: a snapshot written
// before the entries' metadata became a dense table (jurisdictions
// interned, corrections kept beside it) and before a proposal's view-only
// texts became CompactText reads back and writes the very same bytes.
// tests/fuzz/corpus/snapshot/demo-collection is the demo's state at the end
// of collection as that earlier layout wrote it (entries of many kinds,
// jurisdictions and proposals; corrections round-trip in the tests above).
TEST(CompactTextTest, HoldsAnyTextAsAStringWouldInOnePointer) {
  using projections::internal::CompactText;
  static_assert(sizeof(CompactText) == sizeof(void*));
  CompactText empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.view(), "");
  const std::string long_text =
      std::string("人民城市\0人民建", 22) + std::string(300, 'x');
  CompactText t(long_text);
  EXPECT_EQ(t.view(), long_text);  // with its NUL byte
  EXPECT_EQ(t.size(), long_text.size());
  CompactText copy = t;
  t = std::string_view("short");
  EXPECT_EQ(copy.view(), long_text);
  EXPECT_EQ(t.str(), "short");
  CompactText moved = std::move(copy);
  EXPECT_EQ(moved.view(), long_text);
  EXPECT_TRUE(moved == CompactText(long_text));
  EXPECT_FALSE(moved == t);
  moved = CompactText();
  EXPECT_TRUE(moved.empty());
  const CompactText& same = t;
  t = same;  // assigning a text to itself keeps it
  EXPECT_EQ(t.str(), "short");
}

// A copy of a text shares its bytes (copying a record a kept past state
// shares copies none of its texts: docs/PERFORMANCE.md, "Past states kept
// in memory"), and each copy lives on whatever happens to the others,
// also when they are released on other threads.
TEST(CompactTextTest, ACopySharesItsBytesAndOutlivesEveryOtherCopy) {
  using projections::internal::CompactText;
  const std::string text = "以本级财政资金投入为主" + std::string(200, 'y');
  CompactText original(text);
  CompactText copy = original;
  EXPECT_EQ(copy.view().data(), original.view().data());  // shared
  original = "另一段文字";
  EXPECT_EQ(copy.view(), text);
  std::vector<CompactText> many(64, copy);
  copy = CompactText();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&many, t] {
      for (size_t i = static_cast<size_t>(t); i < many.size(); i += 4) {
        CompactText mine = many[i];
        many[i] = CompactText();
        EXPECT_EQ(mine.size(),
                  std::string("以本级财政资金投入为主").size() + 200);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(original.view(), "另一段文字");
}

// A proposal's title and location in one block: each reads back as it was
// given (either may be empty, both may hold any bytes), a copy shares the
// block and outlives the original.
TEST(TitleAndLocationTest, KeepsBothTextsInOneSharedBlock) {
  using projections::internal::TitleAndLocation;
  static_assert(sizeof(TitleAndLocation) == sizeof(void*));
  const TitleAndLocation none;
  EXPECT_EQ(none.title(), "");
  EXPECT_EQ(none.location(), "");
  const std::string title = std::string("老旧小区\0加装电梯", 25);
  const std::string location = "清河街道" + std::string(300, 'z');
  auto both = std::make_unique<TitleAndLocation>(title, location);
  EXPECT_EQ(both->title(), title);  // with its NUL byte
  EXPECT_EQ(both->location(), location);
  EXPECT_EQ(TitleAndLocation("", location).title(), "");
  EXPECT_EQ(TitleAndLocation("", location).location(), location);
  EXPECT_EQ(TitleAndLocation(title, "").location(), "");
  EXPECT_EQ(TitleAndLocation(title, "").title(), title);
  // An empty text read from a snapshot is a view with no bytes behind it
  // (a null pointer): nothing is copied from it (UBSan holds this).
  EXPECT_EQ(TitleAndLocation(std::string_view(), location).location(),
            location);
  EXPECT_EQ(TitleAndLocation(title, std::string_view()).title(), title);
  TitleAndLocation copy = *both;
  EXPECT_EQ(copy.title().data(), both->title().data());  // shared
  both.reset();
  EXPECT_EQ(copy.title(), title);
  EXPECT_EQ(copy.location(), location);
  TitleAndLocation moved = std::move(copy);
  EXPECT_EQ(moved.location(), location);
  moved = TitleAndLocation("路灯", "");
  EXPECT_EQ(moved.title(), "路灯");
  EXPECT_EQ(moved.location(), "");
}

// A reference to an entry kept in 6 bytes reads back as the index it was
// given, up to the largest a log can hold and beyond 32 bits.
TEST(Ref48Test, HoldsEveryIndexBelowTwoToThe48) {
  using projections::internal::Ref48;
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{255}, uint64_t{256},
                     uint64_t{1} << 32, (uint64_t{1} << 47) - 1, Ref48::kMax}) {
    Ref48 r = v;
    EXPECT_EQ(static_cast<uint64_t>(r), v);
    const Ref48 copy = r;
    r = 7;
    EXPECT_EQ(static_cast<uint64_t>(copy), v);
    EXPECT_EQ(static_cast<uint64_t>(r), 7u);
  }
}

TEST(SnapshotFormatCompatTest, ASnapshotOfTheEarlierLayoutWritesItsOwnBytes) {
  std::ifstream in("tests/fuzz/corpus/snapshot/demo-collection",
                   std::ios::binary);
  ASSERT_TRUE(in) << "run from the repository root";
  const std::string bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  auto loaded = State::Deserialize(bytes);
  ASSERT_OK(loaded);
  EXPECT_GT(loaded->size(), 100u);
  EXPECT_TRUE(loaded->Serialize() == bytes);
}

TEST_F(SnapshotFormatTest, WrittenAndReadInPieces) {
  std::string joined;
  int chunks = 0;
  ASSERT_OK(b_.state().WriteSnapshot([&](std::string_view chunk) {
    joined.append(chunk);
    ++chunks;
    return Status::Ok();
  }));
  EXPECT_EQ(joined, bytes_);
  EXPECT_GE(chunks, 1);
  EXPECT_EQ(
      b_.state()
          .WriteSnapshot([](std::string_view) { return IOError("disk full"); })
          .code(),
      StatusCode::kIOError);

  class Trickle : public projections::SnapshotSource {
   public:
    explicit Trickle(std::string_view b) : rest_(b) {}
    Result<size_t> Read(char* out, size_t n) override {
      n = std::min<size_t>({n, rest_.size(), 3});
      rest_.copy(out, n);
      rest_.remove_prefix(n);
      return n;
    }
    std::string_view rest_;
  } trickle(bytes_);
  auto loaded = State::ReadSnapshot(trickle);
  ASSERT_OK(loaded);
  EXPECT_EQ(loaded->Serialize(), bytes_);

  class Failing : public projections::SnapshotSource {
   public:
    Result<size_t> Read(char*, size_t) override { return IOError("EIO"); }
  } failing;
  EXPECT_EQ(State::ReadSnapshot(failing).status().code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace piaojue::testing
