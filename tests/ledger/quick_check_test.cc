#include "ledger/internal/quick_check.h"

#include <capnp/any.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/schema-parser.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <kj/filesystem.h>
#include <kj/time.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "ledger/entry.h"
#include "ledger/internal/list_encoding.h"
#include "ledger/text_validation.h"
#include "tests/ledger/filled_event.h"
#include "tests/message_util.h"
#include "tests/test_util.h"

// The fast path of the decoder's checks (ledger/internal/quick_check.h) must
// accept what piaojue writes (else every decode takes the slow reflective
// walk, unnoticed) and must never accept what the reflective walk refuses
// (the refusals themselves, and their messages, are entry_test's).

namespace piaojue::ledger {
namespace {

using testing::FilledAuthored;
using testing::TestKey;

// Canonical bytes read as what they are: one segment, no segment table
// (copied into words: the bytes of a std::string need not be aligned). The
// traversal limit is a few times the message, so that bytes that point
// outside it or loop end the walk instead of the test.
class OneSegment {
 public:
  explicit OneSegment(const std::string& bytes)
      : words_(bytes.size() / sizeof(capnp::word)) {
    std::memcpy(words_.data(), bytes.data(),
                words_.size() * sizeof(capnp::word));
    segments_[0] = kj::arrayPtr(words_.data(), words_.size());
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 4 * (words_.size() + 8);
    reader_.emplace(kj::arrayPtr(segments_, 1), options);
  }
  capnp::SegmentArrayMessageReader& reader() { return *reader_; }

 private:
  std::vector<capnp::word> words_;
  kj::ArrayPtr<const capnp::word> segments_[1];
  std::optional<capnp::SegmentArrayMessageReader> reader_;
};

// Answers QuickCheck for canonical AuthoredEvent bytes, every check on.
bool Quick(const std::string& authored) {
  OneSegment message(authored);
  static const internal::StructPlan& plan =
      internal::PlanFor(capnp::Schema::from<schema::AuthoredEvent>());
  return internal::QuickCheck(
      capnp::AnyStruct::Reader(
          message.reader().getRoot<schema::AuthoredEvent>()),
      plan, {.lists = true, .texts = true, .unoccupied = true, .known = true});
}

TEST(QuickCheckTest, AcceptsEveryEventKindPiaojueWrites) {
  ASSERT_OK(crypto::InitCrypto());
  for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
    SCOPED_TRACE(field.getProto().getName().cStr());
    const std::string authored = FilledAuthored(field, /*depth=*/3);
    // The reflective walks accept it...
    ASSERT_OK(CheckSignedEvent(testing::SignRaw(TestKey(1), authored)));
    // ...and so does the fast path, so they never run for it.
    EXPECT_TRUE(Quick(authored));
  }
}

std::string Proposal(const std::string& title,
                     const std::string& description = "说明") {
  return testing::RawAuthored(
      TestKey(1), "610102", [&](schema::Event::Builder e) {
        auto d = e.initProposalSubmitted().initDetails();
        d.setTitle(capnp::Text::Reader(title.data(), title.size()));
        d.setDescription(
            capnp::Text::Reader(description.data(), description.size()));
      });
}

TEST(QuickCheckTest, IsNotSureOfAnythingTheReflectiveWalkRefuses) {
  using namespace std::string_literals;
  ASSERT_OK(crypto::InitCrypto());
  EXPECT_TRUE(Quick(Proposal("标题", "第一行\n第二行")));
  std::vector<std::string> refused = {
      testing::DropNulTerminator(Proposal("Title12"), "Title12"),
      Proposal("\0隐藏"s),
      Proposal("标题", "\xff"),
      Proposal("标题", "\xc0\xaf"),
      Proposal("标题\n第二行"),  // a line break in a one-line field
      Proposal("标题", "第一行\r\n第二行"),
      Proposal("\xe2\x80\xae题标"),
  };
  // A List(UInt64) written as a list of one-word structs.
  {
    capnp::MallocMessageBuilder message;
    auto a = message.initRoot<schema::AuthoredEvent>();
    auto result = a.initEvent().initResultAnnounced();
    const auto field =
        capnp::Schema::from<schema::ResultAnnounced>().getFieldByName(
            "elected");
    auto list = capnp::toAny(result)
                    .getPointerSection()[field.getProto().getSlot().getOffset()]
                    .initAsListOfAnyStruct(1, 0, 2);
    list[0].getDataSection()[0] = 12;
    refused.push_back(CanonicalBytes(a.asReader()));
  }
  // An event kind this build does not know (the walk skips it; the fast path
  // cannot say what it holds).
  {
    capnp::MallocMessageBuilder message;
    auto a = message.initRoot<schema::AuthoredEvent>();
    a.initEvent().initProposalSubmitted();
    auto event = capnp::toAny(a.getEvent());
    const uint32_t at = capnp::Schema::from<schema::Event>()
                            .getProto()
                            .getStruct()
                            .getDiscriminantOffset() *
                        2;
    event.getDataSection()[at] = 0xff;
    event.getDataSection()[at + 1] = 0x7f;
    refused.push_back(CanonicalBytes(a.asReader()));
  }
  // Rule 3: bits beside the event kind (the authored_event fuzz target's
  // finding), a hole of a nested struct, a pointer only an inactive member
  // uses, a data word and a pointer beyond this version's AuthoredEvent.
  refused.push_back(
      testing::RawAuthored(TestKey(1), "610102", [](schema::Event::Builder e) {
        e.initKeyRegistered().setRole(schema::Role::TELLER);
        capnp::toAny(e).getDataSection()[2] = 0x03;
      }));
  refused.push_back(
      testing::RawAuthored(TestKey(1), "610102", [](schema::Event::Builder e) {
        capnp::toAny(e.initCycleOpened().initCollectionStart())
            .getDataSection()[6] = 0x01;
      }));
  refused.push_back(
      testing::RawAuthored(TestKey(1), "610102", [](schema::Event::Builder e) {
        auto c = e.initCorrection();
        c.initReplacement().initCycleOpened().setYear(2025);
        c.setRetraction();
      }));
  refused.push_back(testing::WithRootWidened(Proposal("标题"), 1, 0));
  refused.push_back(testing::WithRootWidened(Proposal("标题"), 0, 1));
  for (size_t i = 0; i < refused.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(Quick(refused[i]));
  }
}

// The two walks of rules 1 and 3 (the reflective CheckEncoding, which words
// refusals, and the fast path, which only says "certainly fine") answer
// alike, or a reader could accept through one what the other refuses.
struct Answers {
  bool canonical = false;
  Status reflective;
  bool quick = false;
};

Answers BothWalks(const std::string& bytes, capnp::StructSchema schema) {
  OneSegment message(bytes);
  capnp::SegmentArrayMessageReader& reader = message.reader();
  Answers a;
  try {
    a.canonical = reader.isCanonical();
  } catch (const kj::Exception&) {
  }
  if (!a.canonical) return a;
  a.quick = internal::QuickCheck(reader.getRoot<capnp::AnyStruct>(),
                                 internal::PlanFor(schema),
                                 {.lists = true, .unoccupied = true});
  try {
    a.reflective =
        internal::CheckEncoding(reader.getRoot<capnp::DynamicStruct>(schema));
  } catch (const kj::Exception& e) {
    a.reflective = Corruption(e.getDescription().cStr());
  }
  return a;
}

// Flips each bit of `bytes` in turn; of the canonical results, counts how
// each walk answered, failing where the fast path is sure of what the
// reflective walk refuses. Returns how many rule-3 refusals it saw.
int FlipEveryBit(const std::string& bytes, capnp::StructSchema schema) {
  int rule3 = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int b = 0; b < 8; ++b) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << b));
      const Answers a = BothWalks(flipped, schema);
      if (!a.canonical) continue;
      if (a.quick && !a.reflective.ok()) {
        ADD_FAILURE() << "byte " << i << " bit " << b
                      << ": the fast path is sure, the reflective walk says "
                      << a.reflective.ToString();
      }
      if (a.reflective.message().find("rule 3") != std::string::npos) {
        ++rule3;
      }
    }
  }
  return rule3;
}

TEST(QuickCheckTest, BothWalksAgreeOnEveryFlippedBitOfEveryEventKind) {
  ASSERT_OK(crypto::InitCrypto());
  int rule3 = 0;
  for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
    SCOPED_TRACE(field.getProto().getName().cStr());
    const std::string authored = FilledAuthored(field, /*depth=*/1);
    const Answers clean =
        BothWalks(authored, capnp::Schema::from<schema::AuthoredEvent>());
    ASSERT_OK(clean.reflective);
    ASSERT_TRUE(clean.quick);
    rule3 +=
        FlipEveryBit(authored, capnp::Schema::from<schema::AuthoredEvent>());
  }
  // The flips reach the rule: bits of holes and of sections' ends.
  EXPECT_GT(rule3, 1000);
}

// The writer's check that every enum value and union member is one this
// build knows (CheckKnownToThisVersion) takes the fast path when it is sure.
// The reference here is the reflective answer, written out independently.
bool KnownByReflection(capnp::DynamicStruct::Reader s, int depth);

bool KnownValue(capnp::DynamicValue::Reader v, int depth) {
  switch (v.getType()) {
    case capnp::DynamicValue::ENUM:
      return v.as<capnp::DynamicEnum>().getEnumerant() != nullptr;
    case capnp::DynamicValue::STRUCT:
      return KnownByReflection(v.as<capnp::DynamicStruct>(), depth + 1);
    case capnp::DynamicValue::LIST:
      for (auto item : v.as<capnp::DynamicList>()) {
        if (!KnownValue(item, depth + 1)) return false;
      }
      return true;
    default:
      return true;
  }
}

bool KnownByReflection(capnp::DynamicStruct::Reader s, int depth) {
  if (depth > 30) return false;
  for (auto field : s.getSchema().getNonUnionFields()) {
    if (s.has(field) && !KnownValue(s.get(field), depth)) return false;
  }
  if (s.getSchema().getUnionFields().size() == 0) return true;
  KJ_IF_MAYBE (active, s.which()) {
    return !s.has(*active) || KnownValue(s.get(*active), depth);
  }
  return false;
}

TEST(QuickCheckTest, IsNotSureOfAnEnumValueThisBuildDoesNotKnow) {
  ASSERT_OK(crypto::InitCrypto());
  const auto details_schema =
      capnp::Schema::from<schema::ProposalDetails>().getFieldByName(
          "fundingSource");
  for (uint16_t raw : {uint16_t{1}, uint16_t{77}}) {
    SCOPED_TRACE(raw);
    const std::string authored = testing::RawAuthored(
        TestKey(1), "610102", [&](schema::Event::Builder e) {
          auto d = e.initProposalSubmitted().initDetails();
          d.setTitle("民生实事");
          capnp::DynamicStruct::Builder dyn = d;
          dyn.set(details_schema,
                  capnp::DynamicEnum(details_schema.getType().asEnum(), raw));
        });
    OneSegment message(authored);
    auto root = message.reader().getRoot<schema::AuthoredEvent>();
    const bool quick = internal::QuickCheck(
        capnp::AnyStruct::Reader(root),
        internal::PlanFor(capnp::Schema::from<schema::AuthoredEvent>()),
        {.known = true});
    const Status known = CheckKnownToThisVersion(root);
    if (raw == 1) {
      EXPECT_TRUE(quick);
      EXPECT_OK(known);
    } else {
      EXPECT_FALSE(quick);
      EXPECT_EQ(known.code(), StatusCode::kInvalidArgument) << known.ToString();
      EXPECT_NE(known.message().find("77 is not a value of FundingSource"),
                std::string::npos)
          << known.ToString();
    }
  }
}

TEST(QuickCheckTest, IsNeverSureOfAnUnknownValueOnEveryFlippedBit) {
  ASSERT_OK(crypto::InitCrypto());
  const auto& plan =
      internal::PlanFor(capnp::Schema::from<schema::AuthoredEvent>());
  int unknown = 0, sure = 0;
  for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
    SCOPED_TRACE(field.getProto().getName().cStr());
    const std::string authored = FilledAuthored(field, /*depth=*/1);
    for (size_t i = 0; i < authored.size(); ++i) {
      for (int b = 0; b < 8; ++b) {
        std::string flipped = authored;
        flipped[i] = static_cast<char>(flipped[i] ^ (1 << b));
        OneSegment message(flipped);
        capnp::SegmentArrayMessageReader& reader = message.reader();
        bool canonical = false;
        try {
          canonical = reader.isCanonical();
        } catch (const kj::Exception&) {
        }
        if (!canonical) continue;
        auto root = reader.getRoot<schema::AuthoredEvent>();
        // CheckKnownToThisVersion's precondition.
        if (!CheckAuthoredContent(root).ok()) continue;
        bool reference = false;
        try {
          reference = KnownByReflection(capnp::DynamicStruct::Reader(root), 0);
        } catch (const kj::Exception&) {
        }
        const bool quick = internal::QuickCheck(capnp::AnyStruct::Reader(root),
                                                plan, {.known = true});
        if (!reference) ++unknown;
        if (quick) ++sure;
        if (quick && !reference) {
          ADD_FAILURE() << "byte " << i << " bit " << b
                        << ": the fast path is sure of an unknown value";
        }
      }
    }
  }
  // The flips reach enum values and union members this build does not
  // know, and the fast path is sure of most of the rest.
  EXPECT_GT(unknown, 100);
  EXPECT_GT(sure, 1000);
}

// piaojue's schema has no group; a later one may. A schema with groups, a
// union of a group, and a union inside a group, parsed at run time.
constexpr char kGroupsSchema[] = R"(@0xc8a4d1e2f3a4b5c6;
struct Outer {
  id @0 :UInt32;
  kind :union {
    plain @1 :UInt16;
    detailed :group {
      weight @2 :UInt64;
      flag @3 :Bool;
      note @4 :Text;
    }
    nothing @5 :Void;
  }
  tail @6 :UInt8;
  inner :group {
    a @7 :UInt16;
    choice :union {
      x @8 :UInt32;
      y @9 :Text;
    }
  }
}
)";

capnp::StructSchema GroupsSchema() {
  static capnp::StructSchema schema = [] {
    // Both live as long as the schema they parse.
    static auto* dir =
        new kj::Own<kj::Directory>(kj::newInMemoryDirectory(kj::nullClock()));
    (*dir)
        ->openFile(kj::Path("groups.capnp"), kj::WriteMode::CREATE)
        ->writeAll(kGroupsSchema);
    static auto* parser = new capnp::SchemaParser;
    return parser->parseFromDirectory(**dir, kj::Path("groups.capnp"), nullptr)
        .getNested("Outer")
        .asStruct();
  }();
  return schema;
}

std::string Canonical(capnp::DynamicStruct::Builder b) {
  kj::Array<capnp::word> words =
      capnp::AnyStruct::Reader(b.asReader()).canonicalize();
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()),
                     bytes.size());
}

TEST(QuickCheckTest, GroupsAndUnionsInGroupsAreCheckedAlikeByBothWalks) {
  const capnp::StructSchema schema = GroupsSchema();
  auto build =
      [&](const std::function<void(capnp::DynamicStruct::Builder)>& fill) {
        capnp::MallocMessageBuilder message;
        auto root = message.initRoot<capnp::DynamicStruct>(schema);
        root.set("id", 1);
        root.set("tail", 2);
        fill(root);
        return Canonical(root);
      };
  auto kind = [](capnp::DynamicStruct::Builder root) {
    return root.get("kind").as<capnp::DynamicStruct>();
  };
  auto choice = [](capnp::DynamicStruct::Builder root) {
    return root.get("inner")
        .as<capnp::DynamicStruct>()
        .get("choice")
        .as<capnp::DynamicStruct>();
  };
  const std::string plain = build([&](capnp::DynamicStruct::Builder root) {
    kind(root).set("plain", 7);
    root.get("inner").as<capnp::DynamicStruct>().set("a", 3);
    choice(root).set("x", 9);
  });
  const std::string detailed = build([&](capnp::DynamicStruct::Builder root) {
    auto d = kind(root).init("detailed").as<capnp::DynamicStruct>();
    d.set("weight", uint64_t{0xffffffffffffffff});
    d.set("flag", true);
    d.set("note", "说明");
    choice(root).set("y", "乙");
  });
  for (const std::string* clean : {&plain, &detailed}) {
    const Answers a = BothWalks(*clean, schema);
    EXPECT_OK(a.reflective);
    EXPECT_TRUE(a.quick);
  }
  // An inactive group member's data and pointer, an inactive member's
  // pointer inside a group's union.
  struct Case {
    std::function<void(capnp::DynamicStruct::Builder)> fill;
    std::string says;
  };
  const std::vector<Case> cases = {
      {[&](capnp::DynamicStruct::Builder root) {
         kind(root)
             .init("detailed")
             .as<capnp::DynamicStruct>()
             .set("weight", uint64_t{0xffffffffffffffff});
         kind(root).set("plain", 7);
       },
       "belong to kind.detailed.weight"},
      {[&](capnp::DynamicStruct::Builder root) {
         kind(root)
             .init("detailed")
             .as<capnp::DynamicStruct>()
             .set("note", "说明");
         kind(root).set("nothing", capnp::VOID);
       },
       "belongs to kind.detailed.note"},
      {[&](capnp::DynamicStruct::Builder root) {
         choice(root).set("y", "乙");
         choice(root).set("x", 0);
       },
       "belongs to inner.choice.y"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.says);
    const Answers a = BothWalks(build(c.fill), schema);
    ASSERT_TRUE(a.canonical);
    EXPECT_EQ(a.reflective.code(), StatusCode::kCorruption);
    EXPECT_NE(a.reflective.message().find(c.says), std::string::npos)
        << a.reflective.ToString();
    EXPECT_FALSE(a.quick);
  }
  EXPECT_GT(FlipEveryBit(plain, schema) + FlipEveryBit(detailed, schema), 50);
}

}  // namespace
}  // namespace piaojue::ledger
