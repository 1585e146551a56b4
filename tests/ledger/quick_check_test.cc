#include "ledger/internal/quick_check.h"

#include <capnp/any.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ledger/entry.h"
#include "ledger/internal/list_encoding.h"
#include "ledger/text_validation.h"
#include "tests/test_util.h"

// The fast path of the decoder's checks (ledger/internal/quick_check.h) must
// accept what piaojue writes (else every decode takes the slow reflective
// walk, unnoticed) and must never accept what the reflective walk refuses
// (the refusals themselves, and their messages, are entry_test's).

namespace piaojue::ledger {
namespace {

using testing::TestKey;

// Answers QuickCheck for canonical AuthoredEvent bytes, both checks on.
bool Quick(const std::string& authored) {
  std::vector<capnp::word> words(authored.size() / sizeof(capnp::word));
  std::memcpy(words.data(), authored.data(), authored.size());
  // Canonical bytes: one segment, no segment table.
  kj::ArrayPtr<const capnp::word> segments[1] = {
      kj::arrayPtr(words.data(), words.size())};
  capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1));
  static const internal::StructPlan& plan =
      internal::PlanFor(capnp::Schema::from<schema::AuthoredEvent>());
  return internal::QuickCheck(
      capnp::AnyStruct::Reader(reader.getRoot<schema::AuthoredEvent>()), plan,
      {.lists = true, .texts = true});
}

// Fills every field, the first union member of each union, with a value
// that is not the default (texts in Chinese, two elements per list).
void Fill(capnp::DynamicStruct::Builder b, int depth);

void FillField(capnp::DynamicStruct::Builder b,
               capnp::StructSchema::Field field, int depth) {
  auto type = field.getType();
  if (field.getProto().isGroup()) {
    Fill(b.init(field).as<capnp::DynamicStruct>(), depth);
    return;
  }
  switch (type.which()) {
    case capnp::schema::Type::TEXT:
      b.set(field, capnp::Text::Reader(IsMultiline(field) ? "民生实事\n项目"
                                                          : "民生实事"));
      break;
    case capnp::schema::Type::DATA: {
      static const uint8_t kBytes[] = {1, 2, 3, 250};
      b.set(field, capnp::Data::Reader(kBytes, sizeof(kBytes)));
      break;
    }
    case capnp::schema::Type::UINT64:
      b.set(field, 9u);
      break;
    case capnp::schema::Type::STRUCT:
      if (depth > 0) {
        Fill(b.init(field).as<capnp::DynamicStruct>(), depth - 1);
      }
      break;
    case capnp::schema::Type::LIST: {
      auto list = b.init(field, 2).as<capnp::DynamicList>();
      auto element = type.asList().getElementType();
      for (uint32_t i = 0; i < 2; ++i) {
        if (element.isStruct()) {
          Fill(list[i].as<capnp::DynamicStruct>(), depth - 1);
        } else if (element.isText()) {
          list.set(i, capnp::Text::Reader("代表"));
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

void Fill(capnp::DynamicStruct::Builder b, int depth) {
  auto schema = b.getSchema();
  for (auto field : schema.getNonUnionFields()) FillField(b, field, depth);
  auto members = schema.getUnionFields();
  if (members.size() > 0) FillField(b, members[0], depth);
}

TEST(QuickCheckTest, AcceptsEveryEventKindPiaojueWrites) {
  ASSERT_OK(crypto::InitCrypto());
  for (auto field : capnp::Schema::from<schema::Event>().getUnionFields()) {
    SCOPED_TRACE(field.getProto().getName().cStr());
    const std::string authored = testing::RawAuthored(
        TestKey(1), "610102", [&](schema::Event::Builder e) {
          capnp::DynamicStruct::Builder dyn = e;
          FillField(dyn, field, /*depth=*/3);
        });
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
  for (size_t i = 0; i < refused.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(Quick(refused[i]));
  }
}

}  // namespace
}  // namespace piaojue::ledger
