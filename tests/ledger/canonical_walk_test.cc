// The one walk over a message's words (ledger/internal/canonical_walk.h)
// against the checks it stands in for: Cap'n Proto's isCanonical() and the
// decoder's own (QuickCheck, CheckEncoding). Decoding must accept exactly
// what those accept, and the walk must never say "canonical" of bytes they
// refuse: a second encoding of the same content accepted would break what
// the hash chain means.
//
// Three kinds of test: every entry and authored event the fixtures write,
// and many mutations of each, decoded both ways (the walk's verdict checked
// against the exact answer, and Parse with the walk against Parse without
// it); and one hand-built message per rule of canonical form, each named
// for the rule it breaks.
#include "ledger/internal/canonical_walk.h"

#include <capnp/any.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ledger/entry.h"
#include "ledger/internal/list_encoding.h"
#include "ledger/internal/quick_check.h"
#include "ledger/text_validation.h"
#include "tests/cycle_builder.h"
#include "tests/decode_differential.h"
#include "tests/ledger/filled_event.h"
#include "tests/message_util.h"
#include "tests/test_util.h"

namespace piaojue::ledger {
namespace {

using internal::WalkVerdict;
using testing::FilledAuthored;
using testing::TestKey;

const char* Name(WalkVerdict v) {
  switch (v) {
    case WalkVerdict::kCanonical:
      return "canonical";
    case WalkVerdict::kRefused:
      return "refused";
    case WalkVerdict::kNotSure:
      return "not sure";
  }
  return "?";
}

using Exact = testing::ExactDecoding;
using testing::ExactAnswer;

// The reader's fields as text (or why they cannot be read: a text without
// its NUL is accepted by Decoded<T>::Parse and refused by its accessor).
template <typename Reader>
std::string Fields(Reader r) {
  try {
    return kj::str(r).cStr();
  } catch (const kj::Exception& e) {
    return std::string("throws: ") + e.getDescription().cStr();
  }
}

// Tallies of a differential run.
struct Tally {
  int messages = 0;
  int canonical = 0;      // the walk said canonical
  int refused = 0;        // the walk said refused
  int not_sure_fine = 0;  // not sure, where QuickCheck was sure
};

// The walk's verdict on `bytes` as a T, checked against the exact path; and
// Parse with the walk against Parse without it.
template <typename T>
void Compare(const std::string& bytes, Tally& tally, const std::string& what) {
  ++tally.messages;
  for (bool texts : {false, true}) {
    const WalkVerdict v = internal::CanonicalWalk(
        bytes, internal::PlanFor(capnp::Schema::from<T>()), texts);
    const Exact e = ExactAnswer<T>(bytes, texts);
    if (v == WalkVerdict::kCanonical && !(e.canonical && e.quick)) {
      ADD_FAILURE() << what << " (texts " << texts << "): the walk says "
                    << Name(v) << "; isCanonical " << e.canonical
                    << ", QuickCheck " << e.quick;
    }
    if (v == WalkVerdict::kRefused && e.accepted) {
      ADD_FAILURE() << what << " (texts " << texts
                    << "): the walk says refused, the exact path accepts";
    }
    if (texts) continue;
    if (v == WalkVerdict::kCanonical) ++tally.canonical;
    if (v == WalkVerdict::kRefused) ++tally.refused;
    if (v == WalkVerdict::kNotSure && e.canonical && e.quick) {
      ++tally.not_sure_fine;
    }
  }
  // Parse itself, with and without the walk: the same answer, message, root.
  auto fast = Decoded<T>::Parse(bytes, kMaxEntrySize);
  std::optional<Result<Decoded<T>>> exact;
  {
    internal::ExactDecodingOnly only;
    exact.emplace(Decoded<T>::Parse(bytes, kMaxEntrySize));
  }
  ASSERT_EQ(fast.status().ToString(), exact->status().ToString()) << what;
  if (fast.ok()) {
    EXPECT_EQ(Fields(fast->get()), Fields((*exact)->get())) << what;
  }
  if constexpr (std::is_same_v<T, schema::Entry>) {
    auto fast_view = EntryView::Parse(bytes);
    std::optional<Result<EntryView>> exact_view;
    {
      internal::ExactDecodingOnly only;
      exact_view.emplace(EntryView::Parse(bytes));
    }
    ASSERT_EQ(fast_view.status().ToString(), exact_view->status().ToString())
        << what;
    if (fast_view.ok()) {
      EXPECT_EQ(fast_view->authored_event().texts_checked(),
                (*exact_view)->authored_event().texts_checked())
          << what;
      EXPECT_EQ(Fields(fast_view->authored()),
                Fields((*exact_view)->authored()))
          << what;
    }
  } else {
    // The texts checked in the same walk: CheckSignedEvent's path.
    const SignedEvent signed_event = testing::SignRaw(TestKey(1), bytes);
    auto fast_signed = CheckSignedEvent(signed_event);
    std::optional<Result<DecodedEvent>> exact_signed;
    {
      internal::ExactDecodingOnly only;
      exact_signed.emplace(CheckSignedEvent(signed_event));
    }
    ASSERT_EQ(fast_signed.status().ToString(),
              exact_signed->status().ToString())
        << what;
    if (fast_signed.ok()) {
      EXPECT_EQ(fast_signed->texts_checked(), (*exact_signed)->texts_checked())
          << what;
    }
  }
}

// ---------------------------------------------------------------------------
// Mutations.

using testing::GetWord;
using testing::PutWord;

// Every mutation of `bytes` the test tries (each run through Compare):
// single-bit flips (messages up to `flip_limit` bytes), each byte set to
// 0xff, random byte changes, truncations and extensions by 1-16 words,
// each word's pointer offset +-1, its list element size set to each of the
// eight, its count and its two 16-bit section sizes +-1, and swaps of
// words.
template <typename T>
void CompareMutations(const std::string& bytes, size_t flip_limit, Tally& tally,
                      std::mt19937_64& rng) {
  const size_t words = bytes.size() / 8;
  auto run = [&](const std::string& m, const std::string& what) {
    Compare<T>(m, tally, what);
  };
  if (bytes.size() <= flip_limit) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (int b = 0; b < 8; ++b) {
        std::string m = bytes;
        m[i] = char(m[i] ^ (1 << b));
        run(m, "flip byte " + std::to_string(i) + " bit " + std::to_string(b));
      }
    }
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string m = bytes;
    m[i] = char(0xff);
    run(m, "byte " + std::to_string(i) + " = 0xff");
  }
  for (int n = 0; n < 64; ++n) {
    std::string m = bytes;
    const int changes = 1 + int(rng() % 3);
    for (int c = 0; c < changes; ++c) m[rng() % m.size()] = char(rng());
    run(m, "random change " + std::to_string(n));
  }
  for (size_t k = 1; k <= 16; ++k) {
    if (k < words) {
      run(bytes.substr(0, bytes.size() - 8 * k),
          "truncated by " + std::to_string(k) + " words");
    }
    run(bytes + std::string(8 * k, '\0'),
        "extended by " + std::to_string(k) + " zero words");
    std::string random = bytes;
    for (size_t j = 0; j < 8 * k; ++j) random.push_back(char(rng()));
    run(random, "extended by " + std::to_string(k) + " random words");
  }
  for (size_t i = 0; i < words; ++i) {
    const uint64_t w = GetWord(bytes, i);
    const std::string at = "word " + std::to_string(i);
    for (int64_t delta : {int64_t{1}, int64_t{-1}}) {
      // The offset (bits 2-31), the count (35-63), the data and pointer
      // sizes (32-47, 48-63).
      const uint64_t offset = (w & ~uint64_t{0xfffffffc}) |
                              ((w + uint64_t(delta * 4)) & 0xfffffffc);
      std::string m = bytes;
      PutWord(m, i, offset);
      run(m, at + " offset " + std::to_string(delta));
      m = bytes;
      PutWord(m, i, w + (uint64_t(delta) << 35));
      run(m, at + " count " + std::to_string(delta));
      m = bytes;
      PutWord(m, i,
              (w & ~(uint64_t{0xffff} << 32)) |
                  (((w >> 32) + uint64_t(delta)) & 0xffff) << 32);
      run(m, at + " data size " + std::to_string(delta));
      m = bytes;
      PutWord(m, i, w + (uint64_t(delta) << 48));
      run(m, at + " pointer count " + std::to_string(delta));
    }
    for (uint64_t size = 0; size < 8; ++size) {
      std::string m = bytes;
      PutWord(m, i, (w & ~(uint64_t{7} << 32)) | size << 32);
      run(m, at + " element size " + std::to_string(size));
    }
    if (i + 1 < words) {
      std::string m = bytes;
      PutWord(m, i, GetWord(bytes, i + 1));
      PutWord(m, i + 1, w);
      run(m, at + " swapped with the next");
    }
  }
}

// ---------------------------------------------------------------------------
// The fixtures: every event kind, every field filled (as quick_check_test's
// FilledAuthored), and a whole cycle's entries.

TEST(CanonicalWalkTest, AgreesOnEveryEventKindAndItsMutations) {
  ASSERT_OK(crypto::InitCrypto());
  std::mt19937_64 rng(15);
  Tally tally;
  for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
    SCOPED_TRACE(field.getProto().getName().cStr());
    for (int depth : {0, 1, 3}) {
      const std::string authored = FilledAuthored(field, depth);
      // What piaojue writes, the walk is sure of.
      EXPECT_EQ(
          internal::CanonicalWalk(
              authored,
              internal::PlanFor(capnp::Schema::from<schema::AuthoredEvent>()),
              true),
          WalkVerdict::kCanonical);
      Compare<schema::AuthoredEvent>(authored, tally, "as written");
      if (depth == 1) {
        CompareMutations<schema::AuthoredEvent>(authored, 1024, tally, rng);
      }
    }
  }
  // The mutations reach both answers, and the walk is rarely unsure of what
  // the fast checks accept.
  EXPECT_GT(tally.canonical, 1000);
  EXPECT_GT(tally.refused, 20000);
  EXPECT_LT(tally.not_sure_fine * 100, tally.canonical)
      << tally.not_sure_fine << " of " << tally.canonical;
  std::cout << tally.messages << " messages: canonical " << tally.canonical
            << ", refused " << tally.refused
            << ", not sure where QuickCheck was sure " << tally.not_sure_fine
            << "\n";
}

TEST(CanonicalWalkTest, AgreesOnEveryEntryOfACycleAndItsMutations) {
  ASSERT_OK(crypto::InitCrypto());
  testing::CycleBuilder builder;
  ASSERT_OK(builder.BuildAll());
  std::mt19937_64 rng(1502);
  Tally tally;
  const auto& event_plan =
      internal::PlanFor(capnp::Schema::from<schema::AuthoredEvent>());
  for (uint64_t i = 0; i < builder.size(); ++i) {
    SCOPED_TRACE(i);
    Result<std::string> read = builder.ledger().ReadEntry(i);
    ASSERT_OK(read);
    const std::string bytes = *read;
    Result<EntryView> view = EntryView::Parse(bytes);
    ASSERT_OK(view);
    const std::string authored(view->authored_event().bytes());
    EXPECT_EQ(
        internal::CanonicalWalk(
            bytes, internal::PlanFor(capnp::Schema::from<schema::Entry>()),
            false),
        WalkVerdict::kCanonical);
    EXPECT_EQ(internal::CanonicalWalk(authored, event_plan, true),
              WalkVerdict::kCanonical);
    Compare<schema::Entry>(bytes, tally, "entry as written");
    Compare<schema::AuthoredEvent>(authored, tally, "event as written");
    // Every mutation of every fifth entry and event (bit flips of the
    // short ones): a whole cycle's are many minutes.
    if (i % 5 == 0) {
      CompareMutations<schema::Entry>(bytes, 600, tally, rng);
      CompareMutations<schema::AuthoredEvent>(authored, 600, tally, rng);
    }
  }
  EXPECT_GT(tally.canonical, 1000);
  EXPECT_LT(tally.not_sure_fine * 100, tally.canonical)
      << tally.not_sure_fine << " of " << tally.canonical;
  std::cout << builder.size() << " entries, " << tally.messages
            << " messages: canonical " << tally.canonical << ", refused "
            << tally.refused << ", not sure where QuickCheck was sure "
            << tally.not_sure_fine << "\n";
}

// ---------------------------------------------------------------------------
// One hand-built message per rule, each named for the rule it breaks. The
// base is an entry written word by word (entry.cc, EncodeFullEntry):
//   word 0      root: struct, 2 data words, 3 pointers
//   words 1-2   index, recordedAtMs
//   words 3-5   byte lists: prevHash (32), authored (13), signature (64)
//   words 6-9   prevHash; 10-11 authored (13 bytes, 3 zero); 12-19 signature

uint64_t ByteList(int64_t offset, uint64_t count) {
  return 1 | (uint64_t(offset) & 0x3fffffff) << 2 | uint64_t{2} << 32 |
         count << 35;
}

struct Words {
  std::vector<uint64_t> w;
  std::string Bytes() const {
    std::string b(w.size() * 8, '\0');
    for (size_t i = 0; i < w.size(); ++i) PutWord(b, i, w[i]);
    return b;
  }
};

Words BaseEntry() {
  Words e;
  e.w = {uint64_t{2} << 32 | uint64_t{3} << 48,
         5,
         1700000000000,
         ByteList(2, 32),
         ByteList(5, 13),
         ByteList(6, 64)};
  for (int i = 0; i < 4; ++i) e.w.push_back(0x1111111111111111u * (i + 1));
  e.w.push_back(0x6867666564636261u);  // "abcdefgh"
  e.w.push_back(0x0000006d6c6b6a69u);  // "ijklm", then padding
  for (int i = 0; i < 8; ++i) e.w.push_back(0x2222222222222222u + i);
  return e;
}

// The walk refuses `bytes` as a T, the exact path refuses them, and Parse
// answers alike with and without the walk.
template <typename T>
void ExpectRefused(const std::string& bytes) {
  EXPECT_EQ(internal::CanonicalWalk(
                bytes, internal::PlanFor(capnp::Schema::from<T>()), true),
            WalkVerdict::kRefused);
  EXPECT_FALSE(ExactAnswer<T>(bytes, true).accepted);
  Tally tally;
  Compare<T>(bytes, tally, "hand-built");
}

template <typename T>
void ExpectCanonical(const std::string& bytes) {
  EXPECT_EQ(internal::CanonicalWalk(
                bytes, internal::PlanFor(capnp::Schema::from<T>()), true),
            WalkVerdict::kCanonical);
  const Exact e = ExactAnswer<T>(bytes, true);
  EXPECT_TRUE(e.canonical && e.quick);
  Tally tally;
  Compare<T>(bytes, tally, "hand-built");
}

TEST(CanonicalWalkRuleTest, TheBaseEntryIsCanonical) {
  ExpectCanonical<schema::Entry>(BaseEntry().Bytes());
}

TEST(CanonicalWalkRuleTest, TheRootStructFollowsTheRootPointer) {
  Words e = BaseEntry();
  e.w[0] |= uint64_t{1} << 2;  // offset 1: a gap of one word
  e.w.insert(e.w.begin() + 1, 0);
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, EachObjectFollowsThePreviousWithoutAGap) {
  Words e = BaseEntry();
  e.w.insert(e.w.begin() + 10, 0);  // between prevHash and authored
  e.w[4] = ByteList(6, 13);
  e.w[5] = ByteList(7, 64);
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, ObjectsComeInPointerOrder) {
  // The signature's bytes before the authored bytes, each pointer right.
  Words base = BaseEntry();
  Words e = base;
  e.w.resize(10);
  for (int i = 0; i < 8; ++i) e.w.push_back(base.w[12 + i]);
  e.w.push_back(base.w[10]);
  e.w.push_back(base.w[11]);
  e.w[4] = ByteList(18 - 5, 13);
  e.w[5] = ByteList(10 - 6, 64);
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, AStructsLastDataWordIsNotZero) {
  Words e = BaseEntry();
  e.w[2] = 0;  // recordedAtMs 0 in a 2-word data section
  ExpectRefused<schema::Entry>(e.Bytes());
  // ...and the same with a third, zero, data word (the pointers move with
  // their objects: their offsets stay).
  e = BaseEntry();
  e.w[0] += uint64_t{1} << 32;
  e.w.insert(e.w.begin() + 3, 0);
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, AStructsLastPointerIsNotNull) {
  Words e = BaseEntry();
  e.w[0] += uint64_t{1} << 48;  // a fourth, null, pointer
  e.w.insert(e.w.begin() + 6, 0);
  for (int i = 3; i < 6; ++i) e.w[i] += uint64_t{1} << 2;
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, TheBytesAfterAListsLastElementAreZero) {
  Words e = BaseEntry();
  e.w[11] |= uint64_t{1} << 40;  // byte 13 of authored: padding
  ExpectRefused<schema::Entry>(e.Bytes());
  e = BaseEntry();
  e.w[11] |= uint64_t{0x80} << 56;  // the last padding byte's top bit
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, NoFarPointer) {
  Words e = BaseEntry();
  e.w[3] = 2 | uint64_t{6} << 3;  // a far pointer to word 6 of segment 0
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, NoCapabilityPointer) {
  Words e = BaseEntry();
  e.w[3] = 3;  // capability 0
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, TheMessageEndsWithItsLastObject) {
  Words e = BaseEntry();
  e.w.push_back(0);
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, NoObjectReachesPastTheMessage) {
  Words e = BaseEntry();
  e.w[5] = ByteList(6, 72);  // a 9-word signature in 8 words
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, AnEmptyListPointsAtTheNextWord) {
  Words e = BaseEntry();
  e.w.resize(12);
  e.w[5] = ByteList(6, 0);  // at word 12, the end: canonical
  ExpectCanonical<schema::Entry>(e.Bytes());
  e.w[5] = ByteList(5, 0);  // at word 11, inside authored
  ExpectRefused<schema::Entry>(e.Bytes());
  // Past the head: Cap'n Proto's isCanonical() accepts an empty list that
  // points anywhere ahead, even past the message's end (what the entry
  // fuzz target found); its canonical re-encoding points at the head, and
  // piaojue refuses the bytes that differ from it.
  for (int64_t offset : {7, 8, 26, 1000}) {
    SCOPED_TRACE(offset);
    e.w[5] = ByteList(offset, 0);
    ExpectRefused<schema::Entry>(e.Bytes());
  }
}

TEST(CanonicalWalkRuleTest, ATextOrDataIsAListOfBytes) {
  // Rule 1: prevHash as four 8-byte numbers is canonical, and refused.
  Words e = BaseEntry();
  e.w[3] = 1 | uint64_t{2} << 2 | uint64_t{5} << 32 | uint64_t{4} << 35;
  ExpectRefused<schema::Entry>(e.Bytes());
}

TEST(CanonicalWalkRuleTest, WhatNoFieldOccupiesIsZero) {
  // Rule 3: a fourth pointer, or a third data word, no field of Entry
  // occupies.
  ExpectRefused<schema::Entry>(
      testing::WithRootWidened(BaseEntry().Bytes(), 0, 1));
  ExpectRefused<schema::Entry>(
      testing::WithRootWidened(BaseEntry().Bytes(), 1, 0));
  // The fourth pointer to an empty struct, which takes no words: only rule
  // 3 refuses it (the layout is canonical).
  Words e = BaseEntry();
  e.w[0] += uint64_t{1} << 48;
  e.w.insert(e.w.begin() + 6, 0xfffffffc);
  for (int i = 3; i < 6; ++i) e.w[i] += uint64_t{1} << 2;
  ExpectRefused<schema::Entry>(e.Bytes());
  EXPECT_TRUE(ExactAnswer<schema::Entry>(e.Bytes(), false).canonical);
}

// The words of an authored event, and the index of the first word equal to
// `w` (the test fails if there is none).
size_t FindWord(const std::string& bytes, uint64_t w) {
  for (size_t i = 0; i < bytes.size() / 8; ++i) {
    if (GetWord(bytes, i) == w) return i;
  }
  ADD_FAILURE() << "no such word";
  return 0;
}

TEST(CanonicalWalkRuleTest, AnEmptyStructPointsAtItself) {
  ASSERT_OK(crypto::InitCrypto());
  // An event with no field set: a struct of no words, offset -1.
  std::string bytes =
      testing::RawAuthored(TestKey(1), "610102", [](schema::Event::Builder) {});
  const size_t at = FindWord(bytes, 0xfffffffc);
  ExpectCanonical<schema::AuthoredEvent>(bytes);
  PutWord(bytes, at, 0x4);  // offset 1
  ExpectRefused<schema::AuthoredEvent>(bytes);
}

// The inline-composite list pointer of `bytes` (the first word with tag 1
// and element size 7).
size_t FindStructList(const std::string& bytes) {
  for (size_t i = 0; i < bytes.size() / 8; ++i) {
    const uint64_t w = GetWord(bytes, i);
    if ((w & 3) == 1 && (w >> 32 & 7) == 7) return i;
  }
  ADD_FAILURE() << "no list of structs";
  return 0;
}

std::string WithAListOfStructs() {
  for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
    std::string bytes = FilledAuthored(field, 1);
    // The nonce (words 11-12: after the root's 1 data word and 5 pointers
    // and the 4-word authorKey) fixed, so no random word looks like a
    // pointer to FindStructList.
    PutWord(bytes, 11, 0x1010101010101010u);
    PutWord(bytes, 12, 0x1010101010101010u);
    for (size_t i = 0; i < bytes.size() / 8; ++i) {
      const uint64_t w = GetWord(bytes, i);
      if ((w & 3) == 1 && (w >> 32 & 7) == 7 && (w >> 35) > 0) return bytes;
    }
  }
  ADD_FAILURE() << "no event kind has a list of structs";
  return "";
}

TEST(CanonicalWalkRuleTest, AListOfStructsTagCountsItsElements) {
  ASSERT_OK(crypto::InitCrypto());
  const std::string bytes = WithAListOfStructs();
  ExpectCanonical<schema::AuthoredEvent>(bytes);
  const size_t pointer = FindStructList(bytes);
  const uint64_t p = GetWord(bytes, pointer);
  const size_t tag = pointer + 1 + size_t((p & 0xffffffff) >> 2);
  std::string m = bytes;
  PutWord(m, tag, GetWord(bytes, tag) + 4);  // one element more
  ExpectRefused<schema::AuthoredEvent>(m);
  m = bytes;
  PutWord(m, tag, GetWord(bytes, tag) | 1);  // not a struct tag
  ExpectRefused<schema::AuthoredEvent>(m);
  m = bytes;
  PutWord(m, pointer, p + (uint64_t{1} << 35));  // one word more
  ExpectRefused<schema::AuthoredEvent>(m);
  // Bit 31 of the tag: Cap'n Proto's element count is 29 bits and its
  // isCanonical() accepts the bit set, but the canonical re-encoding clears
  // it, and decoding refuses it, with or without the walk (docs/FORMAT.md,
  // "Canonical Cap'n Proto"), as the portal's reader does.
  m = bytes;
  PutWord(m, tag, GetWord(bytes, tag) | uint64_t{1} << 31);
  ExpectRefused<schema::AuthoredEvent>(m);
}

TEST(CanonicalWalkRuleTest, SomeElementOfAListOfStructsUsesItsLastDataWord) {
  ASSERT_OK(crypto::InitCrypto());
  // A list of structs with data words (found among the event kinds), every
  // element's last data word then set to zero: the elements' data section
  // is one word longer than any element needs.
  int lists = 0;
  for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
    std::string bytes = FilledAuthored(field, 1);
    PutWord(bytes, 11, 0x1010101010101010u);  // the nonce, fixed
    PutWord(bytes, 12, 0x1010101010101010u);
    const size_t words = bytes.size() / 8;
    for (size_t i = 13; i < words; ++i) {
      const uint64_t p = GetWord(bytes, i);
      if ((p & 3) != 1 || (p >> 32 & 7) != 7 || (p >> 35) == 0) continue;
      const int64_t at = int64_t(i) + 1 + (int32_t(uint32_t(p)) >> 2);
      if (at <= int64_t(i) || size_t(at) + 1 + (p >> 35) > words) continue;
      const uint64_t t = GetWord(bytes, size_t(at));
      const uint64_t count = (t >> 2) & 0x1fffffff;
      const uint64_t data = (t >> 32) & 0xffff;
      const uint64_t per = data + (t >> 48);
      if ((t & 3) != 0 || count == 0 || data == 0 || count * per != p >> 35) {
        continue;
      }
      SCOPED_TRACE(field.getProto().getName().cStr());
      std::string m = bytes;
      for (uint64_t e = 0; e < count; ++e) {
        PutWord(m, size_t(at) + 1 + e * per + data - 1, 0);
      }
      ExpectRefused<schema::AuthoredEvent>(m);
      ++lists;
    }
  }
  EXPECT_GT(lists, 0);
}

TEST(CanonicalWalkRuleTest, AListIsOfItsTypesElementSize) {
  ASSERT_OK(crypto::InitCrypto());
  // Rule 1: a list of structs re-tagged as a list of pointers.
  const std::string bytes = WithAListOfStructs();
  const size_t pointer = FindStructList(bytes);
  std::string m = bytes;
  PutWord(m, pointer, GetWord(bytes, pointer) & ~(uint64_t{1} << 32));
  ExpectRefused<schema::AuthoredEvent>(m);
}

}  // namespace
}  // namespace piaojue::ledger
