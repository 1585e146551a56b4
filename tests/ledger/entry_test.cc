#include "ledger/entry.h"

#include <capnp/any.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <gtest/gtest.h>
#include <kj/string.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ledger/authority.h"
#include "ledger/envelope.h"
#include "ledger/text_validation.h"
#include "tests/message_util.h"
#include "tests/test_util.h"

namespace piaojue::ledger {
namespace {

using testing::MakeEvent;
using testing::TestKey;

// Fills every field of `builder` with a deterministic non-default value, so a
// round trip that drops or mangles any field shows up. Recursion into nested
// Events (a correction's replacement) stops at `depth` 0.
void FillAll(capnp::DynamicStruct::Builder builder, int depth);

void FillField(capnp::DynamicStruct::Builder builder,
               capnp::StructSchema::Field field, int depth) {
  auto type = field.getType();
  switch (type.which()) {
    case capnp::schema::Type::VOID:
      builder.set(field, capnp::VOID);
      break;
    case capnp::schema::Type::BOOL:
      builder.set(field, true);
      break;
    case capnp::schema::Type::INT8:
    case capnp::schema::Type::INT16:
    case capnp::schema::Type::INT32:
    case capnp::schema::Type::INT64:
      builder.set(field, -7 - static_cast<int>(field.getIndex()));
      break;
    case capnp::schema::Type::UINT8:
    case capnp::schema::Type::UINT16:
    case capnp::schema::Type::UINT32:
    case capnp::schema::Type::UINT64:
      builder.set(field, 7u + field.getIndex());
      break;
    case capnp::schema::Type::TEXT:
      builder.set(field, capnp::Text::Reader("民生实事·测试"));
      break;
    case capnp::schema::Type::DATA: {
      static const uint8_t kBytes[] = {1, 2, 3, 250};
      builder.set(field, capnp::Data::Reader(kBytes, sizeof(kBytes)));
      break;
    }
    case capnp::schema::Type::ENUM: {
      auto enumerants = type.asEnum().getEnumerants();
      builder.set(field, capnp::DynamicEnum(enumerants[enumerants.size() - 1]));
      break;
    }
    case capnp::schema::Type::STRUCT:
      if (depth <= 0) break;
      FillAll(builder.init(field).as<capnp::DynamicStruct>(), depth - 1);
      break;
    case capnp::schema::Type::LIST: {
      auto list = builder.init(field, 2).as<capnp::DynamicList>();
      auto element = type.asList().getElementType();
      for (uint i = 0; i < 2; ++i) {
        if (element.isStruct()) {
          FillAll(list[i].as<capnp::DynamicStruct>(), depth - 1);
        } else if (element.isText()) {
          list.set(i, capnp::Text::Reader("代表"));
        } else if (element.isData()) {
          static const uint8_t kHash[32] = {9};
          list.set(i, capnp::Data::Reader(kHash, 32));
        } else if (element.isUInt64()) {
          list.set(i, 100u + i);
        }
      }
      break;
    }
    default:
      break;
  }
}

void FillAll(capnp::DynamicStruct::Builder builder, int depth) {
  auto schema = builder.getSchema();
  for (auto field : schema.getNonUnionFields())
    FillField(builder, field, depth);
  auto union_fields = schema.getUnionFields();
  if (union_fields.size() > 0) FillField(builder, union_fields[0], depth);
}

// The event of the kind `field` names, every field filled (FillField).
schema::Event::Builder FilledEvent(capnp::MallocMessageBuilder& message,
                                   capnp::StructSchema::Field field) {
  auto event = message.initRoot<schema::Event>();
  capnp::DynamicStruct::Builder dyn = event;
  FillField(dyn, field, /*depth=*/3);
  return event;
}

class EntryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(crypto::InitCrypto()); }
};

TEST_F(EntryTest, EveryEventKindRoundTripsThroughAnEntry) {
  auto author = TestKey(1);
  auto event_schema = capnp::Schema::from<schema::Event>();
  std::set<std::string> seen;
  for (auto field : event_schema.getUnionFields()) {
    SCOPED_TRACE(field.getProto().getName().cStr());
    capnp::MallocMessageBuilder message;
    auto event = FilledEvent(message, field);
    ASSERT_EQ(static_cast<uint16_t>(event.which()),
              field.getProto().getDiscriminantValue());

    auto signed_event =
        SignEvent(author, "o", "610102", 1700000000123, event.asReader());
    ASSERT_OK(signed_event);
    auto entry_bytes = EncodeEntry(42, crypto::Sha256(crypto::AsBytes("prev")),
                                   1700000000456, *signed_event);
    ASSERT_OK(entry_bytes);
    auto view = EntryView::Parse(*entry_bytes);
    ASSERT_OK(view);
    EXPECT_OK(view->VerifySignature());
    EXPECT_EQ(view->index(), 42u);
    EXPECT_EQ(view->recorded_at_ms(), 1700000000456);
    EXPECT_EQ(view->authored().getSignedAtMs(), 1700000000123);
    EXPECT_EQ(std::string(view->authored().getJurisdiction().cStr()), "610102");
    // Every field survives: the decoded event prints exactly as the built one.
    EXPECT_EQ(kj::str(view->event()), kj::str(event.asReader()));
    EXPECT_EQ(EventKindName(view->event()), field.getProto().getName().cStr());
    seen.insert(EventKindName(view->event()));
  }
  EXPECT_EQ(seen.size(), event_schema.getUnionFields().size());
  EXPECT_GE(seen.size(), 28u);
}

// Every kind of event, filled, signed and checked as the writer receives
// it, then both built by the writer (EntryView::Build) and parsed from its
// stored bytes as any reader does.
struct WrittenEntry {
  SignedEvent signed_event;
  DecodedEvent authored;
  EntryView built;
  EntryView parsed;
  std::string bytes;
};
template <class Check>
void ForEveryKindOfEntry(const Hash& prev, Check check) {
  auto author = TestKey(1);
  auto event_schema = capnp::Schema::from<schema::Event>();
  for (auto field : event_schema.getUnionFields()) {
    SCOPED_TRACE(field.getProto().getName().cStr());
    capnp::MallocMessageBuilder message;
    auto event = FilledEvent(message, field);
    auto signed_event =
        SignEvent(author, "o", "610102", 1700000000123, event.asReader());
    ASSERT_OK(signed_event);
    auto authored = CheckSignedEvent(*signed_event);
    ASSERT_OK(authored);
    auto built =
        EntryView::Build(7, prev, 1700000000456, *signed_event, *authored);
    ASSERT_OK(built);
    auto bytes = EncodeEntry(7, prev, 1700000000456, *signed_event);
    ASSERT_OK(bytes);
    auto parsed = EntryView::Parse(*bytes);
    ASSERT_OK(parsed);
    check(WrittenEntry{*signed_event, *authored, *built, *parsed, *bytes});
  }
}

// The writer views the entry it has just encoded without parsing it again
// (EntryView::Build): what the rules and the tree then see must be exactly
// what any reader parses from the stored bytes, for every kind of event.
TEST_F(EntryTest, AnEntryBuiltByTheWriterIsTheEntryReadersParse) {
  const Hash prev = crypto::Sha256(crypto::AsBytes("prev"));
  ForEveryKindOfEntry(prev, [&](const WrittenEntry& e) {
    const EntryView& built = e.built;
    const EntryView& parsed = e.parsed;
    EXPECT_EQ(built.bytes(), e.bytes);
    EXPECT_EQ(built.EntryHash(), parsed.EntryHash());
    EXPECT_EQ(built.LeafHash(), parsed.LeafHash());
    EXPECT_EQ(built.index(), 7u);
    EXPECT_EQ(built.recorded_at_ms(), parsed.recorded_at_ms());
    EXPECT_EQ(built.prev_hash(), prev);
    EXPECT_EQ(built.signature(), parsed.signature());
    EXPECT_EQ(built.author_key(), parsed.author_key());
    EXPECT_EQ(built.authored_event().bytes(), parsed.authored_event().bytes());
    EXPECT_EQ(kj::str(built.event()), kj::str(parsed.event()));
    EXPECT_OK(built.VerifySignature());
  });
}

// The entry as Cap'n Proto itself canonicalizes it: the reference
// EncodeEntry's own layout of the words must equal, byte for byte.
std::string CanonicalEntry(uint64_t index, const Hash& prev, int64_t at_ms,
                           const SignedEvent& signed_event) {
  capnp::MallocMessageBuilder message;
  auto e = message.initRoot<schema::Entry>();
  e.setIndex(index);
  e.setPrevHash(capnp::Data::Reader(prev.data(), prev.size()));
  e.setRecordedAtMs(at_ms);
  e.setAuthored(capnp::Data::Reader(
      reinterpret_cast<const uint8_t*>(signed_event.authored.data()),
      signed_event.authored.size()));
  e.setSignature(capnp::Data::Reader(signed_event.signature.data(),
                                     signed_event.signature.size()));
  return CanonicalBytes(e.asReader());
}

// The writer lays an entry's words out itself rather than building a
// message to canonicalize (ledger/entry.cc): for every kind of event, every
// length of authored bytes up to a few words past a boundary, and indexes
// and times at their edges (zero, where canonical form shortens the
// struct, negative, the largest), its bytes are Cap'n Proto's.
TEST_F(EntryTest, TheWriterEncodesAnEntryAsCapnProtoCanonicalizesIt) {
  const Hash prev = crypto::Sha256(crypto::AsBytes("prev"));
  const uint64_t indexes[] = {0, 1, 7, 255, 1ull << 32, UINT64_MAX};
  const int64_t times[] = {0, 1, -1, 1700000000456, INT64_MIN, INT64_MAX};
  auto same_as_capnp = [&](const SignedEvent& signed_event) {
    for (uint64_t index : indexes) {
      for (int64_t at : times) {
        for (const Hash& p : {prev, Hash{}}) {
          auto bytes = EncodeEntry(index, p, at, signed_event);
          ASSERT_OK(bytes);
          ASSERT_EQ(*bytes, CanonicalEntry(index, p, at, signed_event))
              << "index " << index << ", time " << at << ", authored "
              << signed_event.authored.size() << " bytes";
        }
      }
    }
  };
  ForEveryKindOfEntry(prev, [&](const WrittenEntry& e) {
    same_as_capnp(e.signed_event);
    auto parsed = EntryView::Parse(*EncodeEntry(3, prev, 9, e.signed_event));
    ASSERT_OK(parsed);
    EXPECT_EQ(parsed->authored_event().bytes(), e.signed_event.authored);
  });
  // The words around the authored bytes: padding, and none needed.
  SignedEvent raw;
  raw.signature.fill(0xa5);
  for (size_t n = 0; n <= 25; ++n) {
    raw.authored.assign(n, '\x5c');
    same_as_capnp(raw);
  }
  // Too large: refused with the size, whichever way it is encoded.
  raw.authored.assign(kMaxEntrySize - 100, 'x');
  auto big = EncodeEntry(1, prev, 1, raw);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(big.status().message(),
            "entry of " +
                std::to_string(CanonicalEntry(1, prev, 1, raw).size()) +
                " bytes exceeds the limit of " + std::to_string(kMaxEntrySize));
}

// The rules skip their own walk of an event's texts when decoding says it
// checked them (projections::PreparedEntry): the entries every reader and
// the writer decode say so, for every kind of event, and a decode that did
// not check the texts (DecodedEvent::Parse alone) never does.
TEST_F(EntryTest, OnlyADecodeThatCheckedTheTextsSaysSo) {
  const Hash prev = crypto::Sha256(crypto::AsBytes("prev"));
  ForEveryKindOfEntry(prev, [&](const WrittenEntry& e) {
    EXPECT_TRUE(e.authored.texts_checked());
    EXPECT_TRUE(e.built.texts_checked());
    EXPECT_TRUE(e.parsed.texts_checked());
    auto unchecked =
        DecodedEvent::Parse(e.signed_event.authored, kMaxEntrySize);
    ASSERT_OK(unchecked);
    EXPECT_FALSE(unchecked->texts_checked());
  });
}

// An entry's authored event, as EntryView::Parse decodes it, is a part of
// the entry's bytes: what it reads and verifies stays the same after the
// bytes parsed from and the entry's view are gone.
TEST_F(EntryTest, AnEntrysAuthoredEventOutlivesTheEntryAndItsBytes) {
  const crypto::KeyPair author = TestKey(3);
  const SignedEvent signed_event = testing::OpenCycle(author);
  std::optional<DecodedEvent> authored;
  Hash digest{};
  {
    auto bytes = std::make_unique<std::string>(*EncodeEntry(
        7, crypto::Sha256(crypto::AsBytes("prev")), 5, signed_event));
    auto view = EntryView::Parse(*bytes);
    ASSERT_OK(view);
    authored = view->authored_event();
    digest = view->authored_event().Digest();
    // Overwritten and freed: nothing may read them any more.
    std::fill(bytes->begin(), bytes->end(), '\xff');
    bytes.reset();
  }
  EXPECT_EQ(authored->bytes(), signed_event.authored);
  EXPECT_EQ(authored->Digest(), digest);
  EXPECT_EQ(authored->Digest(),
            crypto::Sha256(crypto::AsBytes(signed_event.authored)));
  EXPECT_EQ(std::string(
                authored->get().getEvent().getCycleOpened().getTitle().cStr()),
            "某县2025年民生实事项目");
  EXPECT_TRUE(authored->texts_checked());
  // The signature still verifies over those bytes.
  EXPECT_OK(CheckSignedEvent(
      SignedEvent{std::string(authored->bytes()), signed_event.signature}));
}

// EntryView::ParseInPlace views the bytes where they are and shares one
// block of decoded state among the call's entries: any one view keeps that
// block and the bytes' owner alive, and the last one to go frees them.
TEST_F(EntryTest, AnEntryParsedInPlaceOutlivesTheOthersAndKeepsItsBytes) {
  const crypto::KeyPair author = TestKey(3);
  std::vector<std::string> entries;
  for (uint64_t i = 0; i < 3; ++i) {
    auto bytes = EncodeEntry(i, crypto::Sha256(crypto::AsBytes("prev")), 5 + i,
                             testing::OpenCycle(author));
    ASSERT_OK(bytes);
    entries.push_back(*bytes);
  }
  // One buffer holding the three, each at a multiple of 8 bytes.
  auto buffer = std::make_shared<std::string>();
  std::vector<size_t> offsets;
  for (const std::string& e : entries) {
    offsets.push_back(buffer->size());
    *buffer += e;
  }
  std::vector<std::string_view> views;
  for (size_t i = 0; i < entries.size(); ++i) {
    views.emplace_back(buffer->data() + offsets[i], entries[i].size());
  }
  std::weak_ptr<std::string> watch = buffer;
  std::optional<EntryView> last;
  {
    std::vector<Result<EntryView>> parsed =
        EntryView::ParseInPlace(views, std::move(buffer));
    ASSERT_EQ(parsed.size(), 3u);
    for (size_t i = 0; i < parsed.size(); ++i) {
      ASSERT_OK(parsed[i]);
      // Viewed where they lie, not copied.
      EXPECT_EQ(parsed[i]->bytes().data(), views[i].data());
      EXPECT_EQ(parsed[i]->index(), i);
    }
    last = *parsed[2];
  }
  // The others are gone; the buffer is still there for the last one.
  ASSERT_FALSE(watch.expired());
  EXPECT_EQ(last->bytes(), entries[2]);
  EXPECT_EQ(last->EntryHash(), crypto::Sha256(crypto::AsBytes(entries[2])));
  EXPECT_OK(last->VerifySignature());
  EXPECT_EQ(std::string(last->event().getCycleOpened().getTitle().cStr()),
            "某县2025年民生实事项目");
  std::optional<DecodedEvent> authored = last->authored_event();
  const crypto::Signature signature = last->signature();
  last.reset();
  // The authored event alone still holds the entry's bytes.
  ASSERT_FALSE(watch.expired());
  EXPECT_OK(
      CheckSignedEvent(SignedEvent{std::string(authored->bytes()), signature}));
  EXPECT_EQ(authored->Digest(),
            crypto::Sha256(crypto::AsBytes(authored->bytes())));
  authored.reset();
  // The last view gone, the bytes' owner is freed.
  EXPECT_TRUE(watch.expired());
}

// Entries laid one after another in one buffer, each at a multiple of 8
// bytes, and views of them there.
struct EntriesInOneBuffer {
  std::shared_ptr<std::string> buffer = std::make_shared<std::string>();
  std::vector<std::string_view> views;

  explicit EntriesInOneBuffer(const std::vector<std::string>& entries) {
    std::vector<size_t> offsets;
    for (const std::string& e : entries) {
      offsets.push_back(buffer->size());
      *buffer += e;
      buffer->resize((buffer->size() + 7) / 8 * 8);
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      views.emplace_back(buffer->data() + offsets[i], entries[i].size());
    }
  }
};

std::vector<std::string> EntriesOf(uint64_t first, uint64_t count,
                                   uint64_t key) {
  std::vector<std::string> out;
  for (uint64_t i = first; i < first + count; ++i) {
    out.push_back(*EncodeEntry(i, crypto::Sha256(crypto::AsBytes("prev")),
                               5 + i, testing::OpenCycle(TestKey(key))));
  }
  return out;
}

// ParseInPlace with spares hands a call's block of decoded state to a later
// call only once every view of the first call's entries is gone, and the
// later call's views then show their own entries: nothing (not a digest
// computed before) of the earlier ones.
TEST_F(EntryTest, ReusedDecodedStateNeverShowsAnEarlierEntry) {
  auto spares = EntryView::MakeInPlaceSpares();
  const std::vector<std::string> first = EntriesOf(0, 3, 3);
  EntriesInOneBuffer a(first);
  std::vector<Result<EntryView>> parsed;
  EntryView::ParseInPlace(a.views, a.buffer, spares, parsed);
  ASSERT_EQ(parsed.size(), 3u);
  std::vector<const Hash*> slots;
  std::vector<Hash> first_digests;
  for (auto& view : parsed) {
    ASSERT_OK(view);
    // Computed and kept in the decoded state.
    first_digests.push_back(view->authored_event().Digest());
    slots.push_back(&view->authored_event().Digest());
    EXPECT_EQ(view->EntryHash(),
              crypto::Sha256(crypto::AsBytes(first[view->index()])));
  }
  std::optional<EntryView> kept = *parsed[1];

  // While one view of them is alive, their state is not handed out again.
  const std::vector<std::string> second = EntriesOf(10, 3, 4);
  EntriesInOneBuffer b(second);
  std::vector<Result<EntryView>> second_parsed;
  EntryView::ParseInPlace(b.views, b.buffer, spares, second_parsed);
  ASSERT_EQ(second_parsed.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_OK(second_parsed[i]);
    EXPECT_NE(&second_parsed[i]->authored_event().Digest(), slots[i]);
  }
  EXPECT_EQ(kept->index(), 1u);
  EXPECT_EQ(kept->bytes(), first[1]);
  EXPECT_EQ(kept->authored_event().Digest(), first_digests[1]);
  EXPECT_OK(kept->VerifySignature());

  // Every view of the first call gone (the first ones overwritten by the
  // next call's results), its state is reused, and shows only the new
  // entries.
  kept.reset();
  const std::vector<std::string> third = EntriesOf(20, 3, 5);
  EntriesInOneBuffer c(third);
  EntryView::ParseInPlace(c.views, c.buffer, spares, parsed);
  ASSERT_EQ(parsed.size(), 3u);
  bool reused = false;
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_OK(parsed[i]);
    reused = reused || &parsed[i]->authored_event().Digest() == slots[i];
    EXPECT_EQ(parsed[i]->index(), 20 + i);
    EXPECT_EQ(parsed[i]->bytes(), third[i]);
    EXPECT_EQ(parsed[i]->EntryHash(),
              crypto::Sha256(crypto::AsBytes(third[i])));
    EXPECT_EQ(
        parsed[i]->authored_event().Digest(),
        crypto::Sha256(crypto::AsBytes(parsed[i]->authored_event().bytes())));
    EXPECT_NE(parsed[i]->authored_event().Digest(), first_digests[i]);
    EXPECT_EQ(parsed[i]->author_key(), TestKey(5).public_key);
    EXPECT_OK(parsed[i]->VerifySignature());
  }
  // The first call's block (the only one given back) is what was reused.
  EXPECT_TRUE(reused);
}

// A block given back to the spares lets go of its entries' bytes: only a
// view keeps them. A view outlives the spares too.
TEST_F(EntryTest, SparesKeepNoBytesAndViewsOutliveThem) {
  auto spares = EntryView::MakeInPlaceSpares();
  const std::vector<std::string> entries = EntriesOf(0, 2, 3);
  std::weak_ptr<std::string> watch;
  std::optional<EntryView> last;
  {
    EntriesInOneBuffer a(entries);
    watch = a.buffer;
    std::vector<Result<EntryView>> parsed;
    EntryView::ParseInPlace(a.views, std::move(a.buffer), spares, parsed);
    ASSERT_OK(parsed[0]);
    ASSERT_OK(parsed[1]);
    last = *parsed[1];
  }
  ASSERT_FALSE(watch.expired());
  spares.reset();
  EXPECT_EQ(last->bytes(), entries[1]);
  EXPECT_EQ(last->EntryHash(), crypto::Sha256(crypto::AsBytes(entries[1])));
  EXPECT_OK(last->VerifySignature());
  last.reset();
  EXPECT_TRUE(watch.expired());

  // With spares alive, a block kept there does not keep the bytes.
  spares = EntryView::MakeInPlaceSpares();
  {
    EntriesInOneBuffer a(entries);
    watch = a.buffer;
    std::vector<Result<EntryView>> parsed;
    EntryView::ParseInPlace(a.views, std::move(a.buffer), spares, parsed);
    ASSERT_OK(parsed[0]);
  }
  EXPECT_TRUE(watch.expired());
}

// A refused entry leaves nothing behind for the good entry decoded in its
// place by a later call, and the other way round.
TEST_F(EntryTest, ReusedDecodedStateSaysWhatParseSays) {
  auto spares = EntryView::MakeInPlaceSpares();
  const std::string good =
      *EncodeEntry(4, Hash{}, 7, testing::OpenCycle(TestKey(3)));
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  std::vector<Result<EntryView>> parsed;
  for (int round = 0; round < 4; ++round) {
    // Good, bad; then bad, good; ...
    std::vector<std::string> entries = {good, flipped, good.substr(0, 64)};
    if (round % 2 == 1) std::swap(entries[0], entries[1]);
    EntriesInOneBuffer a(entries);
    EntryView::ParseInPlace(a.views, a.buffer, spares, parsed);
    ASSERT_EQ(parsed.size(), entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      Result<EntryView> alone = EntryView::Parse(entries[i]);
      EXPECT_EQ(parsed[i].status().ToString(), alone.status().ToString())
          << "round " << round << " entry " << i;
      if (alone.ok() && parsed[i].ok()) {
        EXPECT_EQ(parsed[i]->EntryHash(), alone->EntryHash());
        EXPECT_EQ(parsed[i]->texts_checked(), alone->texts_checked());
      }
    }
  }
}

// ParseInPlace refuses what Parse refuses, in the same words, entry by
// entry: a bad entry among good ones does not change what the others say.
TEST_F(EntryTest, ParsingInPlaceSaysWhatParseSays) {
  const std::string good =
      *EncodeEntry(4, Hash{}, 7, testing::OpenCycle(TestKey(3)));
  std::vector<std::string> entries = {good, "", good.substr(0, 13),
                                      good.substr(0, 64),
                                      std::string(kMaxEntrySize + 1, '\0')};
  for (size_t i : {0ul, 8ul, 40ul, good.size() / 2, good.size() - 1}) {
    std::string flipped = good;
    flipped[i] ^= 0x40;
    entries.push_back(flipped);
  }
  entries.push_back(good);
  // Unaligned in the buffer too (the decoder then reads from a copy).
  auto buffer = std::make_shared<std::string>();
  std::vector<size_t> offsets;
  for (const std::string& e : entries) {
    offsets.push_back(buffer->size());
    *buffer += e;
    if (e.size() % 8 == 0) buffer->push_back('\x01');
  }
  std::vector<std::string_view> views;
  for (size_t i = 0; i < entries.size(); ++i) {
    views.emplace_back(buffer->data() + offsets[i], entries[i].size());
  }
  std::vector<Result<EntryView>> in_place =
      EntryView::ParseInPlace(views, buffer);
  ASSERT_EQ(in_place.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    Result<EntryView> parsed = EntryView::Parse(entries[i]);
    EXPECT_EQ(in_place[i].status().ToString(), parsed.status().ToString())
        << "entry " << i;
    if (parsed.ok() && in_place[i].ok()) {
      EXPECT_EQ(in_place[i]->bytes(), parsed->bytes());
      EXPECT_EQ(in_place[i]->EntryHash(), parsed->EntryHash());
      EXPECT_EQ(in_place[i]->texts_checked(), parsed->texts_checked());
    }
  }
  EXPECT_OK(in_place.front());
  EXPECT_OK(in_place.back());
}

TEST_F(EntryTest, EncodingIsDeterministic) {
  auto author = TestKey(2);
  std::array<uint8_t, kNonceSize> nonce{};
  nonce[0] = 1;
  auto make = [&] {
    capnp::MallocMessageBuilder m;
    auto e = m.initRoot<schema::Event>();
    e.initCycleOpened().setTitle("某县2025年民生实事项目");
    return SignEvent(author, "o", "610102", 5, e.asReader(), nonce);
  };
  auto a = make(), b = make();
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(a->authored, b->authored);
  EXPECT_EQ(a->signature, b->signature);
}

TEST_F(EntryTest, TamperedAuthoredBytesFailSignatureCheck) {
  auto signed_event = testing::OpenCycle(TestKey(3));
  // Flip a byte inside the title text (the last bytes of the message).
  std::string& bytes = signed_event.authored;
  size_t pos = bytes.find("2025");
  ASSERT_NE(pos, std::string::npos);
  bytes[pos] = '3';
  auto checked = CheckSignedEvent(signed_event);
  EXPECT_EQ(checked.status().code(), StatusCode::kUnauthenticated);
}

TEST_F(EntryTest, SignatureByAnotherKeyIsRejected) {
  auto signed_event = testing::OpenCycle(TestKey(3));
  std::string message(kAuthoredEventContext);
  message += signed_event.authored;
  signed_event.signature =
      crypto::Sign(TestKey(4).secret_key, crypto::AsBytes(message));
  EXPECT_EQ(CheckSignedEvent(signed_event).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(EntryTest, NonCanonicalBytesAreCorruption) {
  auto signed_event = testing::OpenCycle(TestKey(3));
  // Trailing garbage words make the message non-canonical.
  signed_event.authored.append(8, '\0');
  EXPECT_EQ(CheckSignedEvent(signed_event).status().code(),
            StatusCode::kCorruption);
}

// docs/FORMAT.md "Canonical Cap'n Proto": Cap'n Proto's isCanonical()
// accepts a list of primitives written as a list of one-word structs (a
// reader may "upgrade" lists); piaojue never writes that form and refuses
// it, so one list has one encoding.
TEST_F(EntryTest, AListOfNumbersWrittenAsStructsIsRefused) {
  capnp::MallocMessageBuilder message;
  auto event = message.initRoot<schema::Event>();
  auto result = event.initResultAnnounced();
  result.setRound(7);
  const auto field =
      capnp::Schema::from<schema::ResultAnnounced>().getFieldByName("elected");
  const uint32_t slot = field.getProto().getSlot().getOffset();
  capnp::AnyStruct::Builder any = capnp::toAny(result);
  auto list = any.getPointerSection()[slot].initAsListOfAnyStruct(
      /*dataWordCount=*/1, /*pointerCount=*/0, 2);
  list[0].getDataSection()[0] = 12;
  list[1].getDataSection()[0] = 0;
  // Read through the schema it is the list [12, 0]: the same meaning as the
  // list of 8-byte elements piaojue writes.
  ASSERT_EQ(result.asReader().getElected().size(), 2u);
  EXPECT_EQ(result.asReader().getElected()[0], 12u);

  // SignEvent refuses to sign what a reader would refuse...
  auto signed_event =
      SignEvent(TestKey(3), "o", "610102", 1700000000000, event.asReader());
  EXPECT_EQ(signed_event.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(signed_event.status().message().find("elected"), std::string::npos)
      << signed_event.status().ToString();
  // ...and whoever signs it anyway, a reader refuses it.
  const std::string authored =
      testing::RawAuthored(TestKey(3), "610102", [&](schema::Event::Builder e) {
        e.setResultAnnounced(result.asReader());
      });
  auto checked = CheckSignedEvent(testing::SignRaw(TestKey(3), authored));
  EXPECT_EQ(checked.status().code(), StatusCode::kCorruption);
  EXPECT_NE(checked.status().message().find("elected"), std::string::npos)
      << checked.status().ToString();
}

// Rule 3 of "Canonical Cap'n Proto" (docs/FORMAT.md): every data bit and
// pointer that no field reachable through the active union members occupies
// is zero or null. Cap'n Proto's canonical form leaves them free, so without
// the rule one signed event has many byte strings that every view shows
// alike, and the extra bits ride along in the log unseen.

// What a reader says of an event built by `fill` and signed by its author.
Status Checked(const std::function<void(schema::Event::Builder)>& fill) {
  const std::string authored = testing::RawAuthored(TestKey(3), "610102", fill);
  return CheckSignedEvent(testing::SignRaw(TestKey(3), authored)).status();
}

void RegisterAKey(schema::Event::Builder e) {
  auto k = e.initKeyRegistered();
  const crypto::PublicKey key = TestKey(9).public_key;
  k.setKey(capnp::Data::Reader(key.data(), key.size()));
  k.setRole(schema::Role::TELLER);
  k.setJurisdiction("610102");
  k.setHolder("某县人大常委会");
}

void ExpectRefused(const Status& s, const std::string& says) {
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find(says), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("rule 3"), std::string::npos) << s.ToString();
}

// Found by the authored_event fuzz target: 0x0003 in bytes 2-3 of the
// Event's data word, beside the discriminant of a keyRegistered event.
TEST_F(EntryTest, BitsBesideTheEventKindAreRefused) {
  ASSERT_OK(Checked(RegisterAKey));
  ExpectRefused(Checked([](schema::Event::Builder e) {
                  RegisterAKey(e);
                  auto data = capnp::toAny(e).getDataSection();
                  data[2] = 0x03;
                  data[3] = 0x00;
                }),
                "field event: bits 16-17 of data word 0 are not zero, but no "
                "field this version of the format defines is there");
}

void OpenACycle(schema::Event::Builder e) {
  auto c = e.initCycleOpened();
  c.setYear(2025);
  c.setLevel(schema::Level::COUNTY);
  c.setTitle("某县2025年民生实事项目");
  c.setBudgetFen(12'000'000'000);
  c.setProjectCount(10);
  c.initCollectionStart().setYear(2025);
  auto schedule = c.initSchedule(2);
  schedule[0].setMinPercentBp(3000);
  schedule[1].setMustStart(true);
}

TEST_F(EntryTest, BitsNoFieldOccupiesAreRefusedAtEveryDepth) {
  ASSERT_OK(Checked(OpenACycle));
  struct Case {
    std::function<void(schema::Event::Builder)> poke;
    std::string says;
  };
  const std::vector<Case> cases = {
      // CycleOpened's word 0: year 0-15, level 16-31, projectCount 32-47,
      // backfill 48; 49-63 are no field's.
      {[](schema::Event::Builder e) {
         capnp::toAny(e.getCycleOpened()).getDataSection()[7] = 0x01;
       },
       "field event.cycleOpened: bits 56-56 of data word 0"},
      // A Date is year 0-15, month 16-23, day 24-31.
      {[](schema::Event::Builder e) {
         capnp::toAny(e.getCycleOpened().getCollectionStart())
             .getDataSection()[5] = 0x80;
       },
       "field event.cycleOpened.collectionStart: bits 47-47 of data word 0"},
      // An element of a list of structs: a ScheduleMilestone is
      // minPercentBp 0-15, mustStart 16, mustBeAccepted 17.
      {[](schema::Event::Builder e) {
         capnp::toAny(e.getCycleOpened().getSchedule()[1]).getDataSection()[2] =
             0x0c;
       },
       "field event.cycleOpened.schedule[1]: bits 18-19 of data word 0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.says);
    ExpectRefused(Checked([&](schema::Event::Builder e) {
                    OpenACycle(e);
                    c.poke(e);
                  }),
                  c.says);
  }
}

TEST_F(EntryTest, APointerOnlyAnInactiveMemberUsesIsRefused) {
  auto retract = [](schema::Event::Builder e) {
    auto c = e.initCorrection();
    c.setTarget(5);
    c.setReason("误录");
    c.setRetraction();
  };
  ASSERT_OK(Checked(retract));
  // A replacement written, then the retraction chosen: Cap'n Proto keeps
  // the replacement's pointer, canonical form keeps it too, and every
  // reader shows a retraction.
  ExpectRefused(Checked([](schema::Event::Builder e) {
                  auto c = e.initCorrection();
                  c.setTarget(5);
                  c.setReason("误录");
                  OpenACycle(c.initReplacement());
                  c.setRetraction();
                  ASSERT_TRUE(c.asReader().isRetraction());
                }),
                "field event.correction: pointer 1 is not null, but it "
                "belongs to replacement, a union member that is not the one "
                "set");
}

// A later schema's field (a data word or pointer beyond this version's
// sections) cannot be told from hidden bits: refused like them.
TEST_F(EntryTest, AFieldBeyondThisVersionsSchemaIsRefused) {
  const std::string clean =
      testing::RawAuthored(TestKey(3), "610102", RegisterAKey);
  ASSERT_OK(CheckSignedEvent(testing::SignRaw(TestKey(3), clean)));
  const auto data_words = capnp::Schema::from<schema::AuthoredEvent>()
                              .getProto()
                              .getStruct()
                              .getDataWordCount();
  const auto pointers = capnp::Schema::from<schema::AuthoredEvent>()
                            .getProto()
                            .getStruct()
                            .getPointerCount();
  ExpectRefused(
      CheckSignedEvent(
          testing::SignRaw(TestKey(3), testing::WithRootWidened(clean, 1, 0)))
          .status(),
      "the root struct: bits 1-5 of data word " + std::to_string(data_words) +
          " are not zero, but no field this version of the format "
          "defines is there");
  ExpectRefused(
      CheckSignedEvent(
          testing::SignRaw(TestKey(3), testing::WithRootWidened(clean, 0, 1)))
          .status(),
      "the root struct: pointer " + std::to_string(pointers) +
          " is not null, but no field this version");

  // The entry envelope the same way.
  auto entry = EncodeEntry(7, crypto::Sha256(crypto::AsBytes("prev")),
                           1700000000456, testing::SignRaw(TestKey(3), clean));
  ASSERT_OK(entry);
  ASSERT_OK(EntryView::Parse(*entry));
  for (auto [data, pointer] : {std::pair{1, 0}, std::pair{0, 1}}) {
    auto widened =
        EntryView::Parse(testing::WithRootWidened(*entry, data, pointer));
    ExpectRefused(widened.status(), "entry: the root struct: ");
  }
}

// The one freedom the format leaves (docs/FORMAT.md): an empty Text, Data or
// List, or a struct whose fields all have their default values, may be
// written as a null pointer or as a pointer to the empty value. Both are
// accepted, read alike, and are different bytes (so different hashes; the
// author's signature covers the form it chose).
TEST_F(EntryTest, AnEmptyTextMayBeNullOrEmptyAndTheyAreDifferentBytes) {
  auto make = [](bool set_parent) {
    return MakeEvent(TestKey(1), "", [&](schema::Event::Builder e) {
      auto j = e.initJurisdictionRegistered();
      j.setCode("610102");
      j.setName("示例县");
      if (set_parent) j.setParentCode("");
    });
  };
  const SignedEvent null_text = make(false);
  const SignedEvent empty_text = make(true);
  EXPECT_NE(null_text.authored, empty_text.authored);
  auto a = CheckSignedEvent(null_text);
  auto b = CheckSignedEvent(empty_text);
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(std::string(a->get()
                            .getEvent()
                            .getJurisdictionRegistered()
                            .getParentCode()
                            .cStr()),
            "");
  EXPECT_EQ(std::string(b->get()
                            .getEvent()
                            .getJurisdictionRegistered()
                            .getParentCode()
                            .cStr()),
            "");
  // Only hasX() could tell them apart, and no rule may use it: a genesis
  // whose checkpointKey is an empty text is a genesis without one.
  for (bool set_key : {false, true}) {
    SCOPED_TRACE(set_key);
    const crypto::KeyPair root = TestKey(1);
    const SignedEvent genesis =
        MakeEvent(root, "", [&](schema::Event::Builder e) {
          auto g = e.initGenesis();
          g.setOrigin(testing::kOrigin);
          g.setRootKey(capnp::Data::Reader(root.public_key.data(), 32));
          g.setFormatVersion(kFormatVersion);
          g.setDeploymentName("测试账本");
          if (set_key) g.setCheckpointKey("");
        });
    auto decoded = CheckSignedEvent(genesis);
    ASSERT_OK(decoded);
    Authority authority;
    EXPECT_OK(authority.Check(0, decoded->get(), nullptr));
  }
}

TEST_F(EntryTest, EveryTruncationOfAnEntryIsCorruption) {
  auto signed_event = testing::OpenCycle(TestKey(3));
  auto bytes = EncodeEntry(1, Hash{}, 7, signed_event);
  ASSERT_OK(bytes);
  for (size_t n = 0; n < bytes->size(); ++n) {
    auto view = EntryView::Parse(std::string_view(*bytes).substr(0, n));
    EXPECT_EQ(view.status().code(), StatusCode::kCorruption) << "length " << n;
  }
}

TEST_F(EntryTest, FlippedBytesNeverCrashAndNeverVerify) {
  auto signed_event = testing::OpenCycle(TestKey(3));
  auto bytes = EncodeEntry(1, Hash{}, 7, signed_event);
  ASSERT_OK(bytes);
  auto original = EntryView::Parse(*bytes);
  ASSERT_OK(original);
  for (size_t i = 0; i < bytes->size(); ++i) {
    for (uint8_t bit : {0x01, 0x80}) {
      std::string mutated = *bytes;
      mutated[i] ^= bit;
      auto view = EntryView::Parse(mutated);
      if (!view.ok()) {
        EXPECT_EQ(view.status().code(), StatusCode::kCorruption);
        continue;
      }
      // A structurally valid mutation must change something detectable: the
      // signature, or the index/prevHash/time (which the chain checks).
      bool sig_ok = view->VerifySignature().ok();
      bool envelope_same = view->index() == original->index() &&
                           view->prev_hash() == original->prev_hash() &&
                           view->recorded_at_ms() == original->recorded_at_ms();
      EXPECT_FALSE(sig_ok && envelope_same) << "byte " << i;
    }
  }
}

TEST_F(EntryTest, OversizedEventIsRefusedBeforeSigning) {
  auto author = TestKey(1);
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Event>();
  auto b = e.initBallotsRecorded();
  b.initMarks(70000);
  auto r = SignEvent(author, "o", "610102", 5, e.asReader());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Text fields (docs/FORMAT.md, "Text fields").

// A proposal whose title and description are the given texts.
std::string ProposalAuthored(
    const crypto::KeyPair& author, const std::string& title,
    const std::string& description = "为老人提供就餐服务") {
  return testing::RawAuthored(author, "610102", [&](schema::Event::Builder e) {
    auto p = e.initProposalSubmitted();
    p.setCycle(4);
    auto d = p.initDetails();
    d.setTitle(capnp::Text::Reader(title.data(), title.size()));
    d.setDescription(
        capnp::Text::Reader(description.data(), description.size()));
    d.setLocation("城关镇");
  });
}

// Decodes `authored`, signed, both as submitted and as placed in an entry;
// the two must agree. Returns the entry's status.
Status DecodeStatus(const std::string& authored) {
  const SignedEvent signed_event = testing::SignRaw(TestKey(1), authored);
  Status submitted = CheckSignedEvent(signed_event).status();
  auto bytes = EncodeEntry(7, Hash{}, 1700000000000, signed_event);
  EXPECT_OK(bytes);
  if (!bytes.ok()) return bytes.status();
  Status placed = EntryView::Parse(*bytes).status();
  EXPECT_EQ(submitted.code(), placed.code()) << submitted.ToString();
  return placed;
}

TEST_F(EntryTest, TextWithoutItsNulTerminatorIsCorruptionNamingTheField) {
  const std::string authored = testing::DropNulTerminator(
      ProposalAuthored(TestKey(1), "Title12"), "Title12");
  Status s = DecodeStatus(authored);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("event.proposalSubmitted.details.title: not a "
                             "NUL-terminated text"),
            std::string::npos)
      << s.message();
  // The message holds no raw byte of the hostile text.
  EXPECT_EQ(CheckTextValue(s.message(), TextLines::kSingle).code(),
            StatusCode::kOk)
      << s.message();
}

TEST_F(EntryTest, UnterminatedTextInACorrectionsReplacementIsFound) {
  const std::string authored = testing::DropNulTerminator(
      testing::RawAuthored(
          TestKey(1), "610102",
          [](schema::Event::Builder e) {
            auto c = e.initCorrection();
            c.setTarget(5);
            c.setReason("错别字");
            auto d = c.initReplacement().initProposalSubmitted().initDetails();
            d.setTitle("Title12");
          }),
      "Title12");
  Status s = DecodeStatus(authored);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("event.correction.replacement."
                             "proposalSubmitted.details.title"),
            std::string::npos)
      << s.message();
}

TEST_F(EntryTest, NulInsideATextIsRefusedSoViewsCannotHideTheRest) {
  using namespace std::string_literals;
  Status s = DecodeStatus(ProposalAuthored(TestKey(1), "\0隐藏的标题"s));
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("details.title: contains a NUL character "
                             "(U+0000) at byte 0"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(
      DecodeStatus(ProposalAuthored(TestKey(1), "标题", "说明\0隐藏"s)).code(),
      StatusCode::kCorruption);
}

TEST_F(EntryTest, InvalidUtf8InATextIsRefused) {
  for (const std::string& bad :
       {std::string("\xff"), std::string("abc\xe5\xb8"),  // truncated 帮
        std::string("\xc0\xaf"),                          // overlong '/'
        std::string("\xed\xa0\x80"),                      // surrogate
        std::string("\xf4\x90\x80\x80")}) {               // > U+10FFFF
    Status s = DecodeStatus(ProposalAuthored(TestKey(1), "标题", bad));
    EXPECT_EQ(s.code(), StatusCode::kCorruption)
        << crypto::ToHex(crypto::AsBytes(bad));
    EXPECT_NE(s.message().find("details.description: not valid UTF-8"),
              std::string::npos)
        << s.message();
  }
  EXPECT_OK(DecodeStatus(ProposalAuthored(TestKey(1), "标题 😀 ok")));
}

// An authored event's texts are checked in the walk that checks its
// encoding (ledger/entry.cc): a refusal still names the same field in the
// same words, and an event wrong in both its bits and a text is refused for
// its bits, as when the two were separate walks.
TEST_F(EntryTest, ATextCheckedWithTheEncodingIsRefusedInTheSameWords) {
  Status text = DecodeStatus(ProposalAuthored(TestKey(1), "标题", "\xff"));
  EXPECT_EQ(text.code(), StatusCode::kCorruption);
  EXPECT_EQ(text.message(),
            "authored event: event.proposalSubmitted.details.description: "
            "not valid UTF-8 at byte 0");
  Status both = Checked([](schema::Event::Builder e) {
    RegisterAKey(e);
    e.getKeyRegistered().setHolder(capnp::Text::Reader("\xff"));
    auto data = capnp::toAny(e).getDataSection();
    data[2] = 0x03;
  });
  ExpectRefused(both, "field event: bits 16-17 of data word 0 are not zero");
  EXPECT_EQ(both.message().find("UTF-8"), std::string::npos) << both.message();
}

// Found by tests/fuzz/authored_event_fuzzer.cc: EnvelopeToJson rendered a
// text that is not UTF-8 into JSON it then could not read back, and the
// exception ended the process instead of an error value.
TEST_F(EntryTest, AnEnvelopeOfAuthoredBytesWithBadTextIsRefusedNotThrown) {
  using namespace std::string_literals;
  for (const std::string& bad :
       {std::string("\xff"), std::string("abc\xe5\xb8"), "说明\0隐藏"s}) {
    const SignedEvent signed_event =
        testing::SignRaw(TestKey(1), ProposalAuthored(TestKey(1), "标题", bad));
    auto envelope = EnvelopeToJson(signed_event);
    ASSERT_FALSE(envelope.ok()) << *envelope;
    EXPECT_EQ(envelope.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(envelope.status().message().find("details.description"),
              std::string::npos)
        << envelope.status().message();
  }
  auto good = EnvelopeToJson(
      testing::SignRaw(TestKey(1), ProposalAuthored(TestKey(1), "标题")));
  EXPECT_OK(good);
}

TEST_F(EntryTest, ControlCharactersAreRefusedAndOnlyMultilineFieldsBreakLines) {
  // Descriptions may hold line feeds; titles may not.
  EXPECT_OK(
      DecodeStatus(ProposalAuthored(TestKey(1), "标题", "第一行\n第二行")));
  struct Case {
    std::string title, description, found;
  };
  for (const Case& c : std::vector<Case>{
           {"标题\n第二行", "说明", "title: contains a line break (U+000A)"},
           {"标题", "第一行\r\n第二行",
            "description: contains a carriage "
            "return (U+000D)"},
           {"标\t题", "说明", "title: contains the control character U+0009"},
           {"标题\x7f", "说明", "U+007F"},
           {"标题", "说明\xc2\x85", "U+0085"},      // NEL (C1)
           {"标题\xe2\x80\xa8", "说明", "U+2028"},  // line separator
           {"\xe2\x80\xae题标", "说明", "bidirectional control U+202E"},
           {"标题", "\xe2\x81\xa6说明", "bidirectional control U+2066"},
       }) {
    Status s =
        DecodeStatus(ProposalAuthored(TestKey(1), c.title, c.description));
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << c.found;
    EXPECT_NE(s.message().find(c.found), std::string::npos) << s.message();
  }
}

TEST_F(EntryTest, SignEventRefusesTextEveryReaderWouldRefuse) {
  using namespace std::string_literals;
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Event>();
  const std::string title = "\0隐藏的标题"s;
  e.initProposalSubmitted().initDetails().setTitle(
      capnp::Text::Reader(title.data(), title.size()));
  auto r = SignEvent(TestKey(1), "o", "610102", 5, e.asReader());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("U+0000"), std::string::npos)
      << r.status().message();
}

// A builder keeps an inactive member's pointer (a replacement written, then
// the retraction chosen): SignEvent refuses to sign bytes rule 3 refuses.
TEST_F(EntryTest, SignEventRefusesBitsEveryReaderWouldRefuse) {
  capnp::MallocMessageBuilder m;
  auto c = m.initRoot<schema::Event>().initCorrection();
  c.setTarget(5);
  c.setReason("误录");
  c.initReplacement().initCycleOpened().setYear(2025);
  c.setRetraction();
  auto r = SignEvent(TestKey(1), "o", "610102", 5,
                     m.getRoot<schema::Event>().asReader());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("belongs to replacement"),
            std::string::npos)
      << r.status().message();
}

// Turns the list pointer in the 8 bytes at `at` into a struct pointer to the
// same words (its list's bytes read as a data section): canonical still,
// but of another type than the schema says.
void ListPointerToStructPointer(std::string& bytes, size_t at) {
  uint64_t p = 0;
  std::memcpy(&p, bytes.data() + at, 8);  // little-endian host
  ASSERT_EQ(p & 3, 1u) << "not a list pointer";
  const uint64_t offset = (p >> 2) & 0x3fffffff;
  const uint64_t count = p >> 35;  // bytes, for a byte list
  ASSERT_EQ(count % 8, 0u);
  const uint64_t q = (offset << 2) | ((count / 8) << 32);
  std::memcpy(bytes.data() + at, &q, 8);
}

TEST_F(EntryTest, APointerOfTheWrongTypeIsCorruptionNotAnException) {
  const SignedEvent event = testing::OpenCycle(TestKey(1));
  Hash prev;
  prev.fill(0x11);
  auto entry = EncodeEntry(7, prev, 1700000000000, event);
  ASSERT_OK(entry);
  // Entry: root pointer, then 2 data words (index, recordedAtMs) and the
  // pointers prevHash, authored, signature: prevHash's pointer is word 3.
  std::string bytes = *entry;
  ListPointerToStructPointer(bytes, 24);
  Result<EntryView> view = Corruption("not parsed");
  EXPECT_NO_THROW(view = EntryView::Parse(bytes));
  EXPECT_EQ(view.status().code(), StatusCode::kCorruption)
      << view.status().ToString();

  // AuthoredEvent: root pointer, 1 data word (signedAtMs), then authorKey's
  // pointer at word 2.
  SignedEvent authored = event;
  ListPointerToStructPointer(authored.authored, 16);
  Result<DecodedEvent> checked = Corruption("not parsed");
  EXPECT_NO_THROW(checked = CheckSignedEvent(authored));
  EXPECT_EQ(checked.status().code(), StatusCode::kCorruption)
      << checked.status().ToString();
}

TEST(TextValueTest, ValidTextPassesAndEachRuleHasItsOwnReason) {
  EXPECT_OK(CheckTextValue("", TextLines::kSingle));
  EXPECT_OK(
      CheckTextValue("某县2025年民生实事项目（第1批）", TextLines::kSingle));
  EXPECT_OK(CheckTextValue("一\n二\n", TextLines::kMulti));
  EXPECT_EQ(CheckTextValue("一\n二", TextLines::kSingle).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckTextValue("a\xe2\x80\x8d"
                           "b",
                           TextLines::kSingle)
                .code(),
            StatusCode::kOk);  // a zero-width joiner is a normal character
}

}  // namespace
}  // namespace piaojue::ledger
