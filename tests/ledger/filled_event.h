// Authored events with every field filled, for the decoder's tests
// (quick_check_test, canonical_walk_test): each event kind's canonical bytes
// with no field left at its default.
#pragma once

#include <capnp/dynamic.h>
#include <capnp/schema.h>

#include <string>

#include "ledger/schema/piaojue.capnp.h"
#include "ledger/text_validation.h"
#include "tests/test_util.h"

namespace piaojue::testing {

// Fills every field, the first union member of each union, with a value
// that is not the default (texts in Chinese, two elements per list).
inline void Fill(capnp::DynamicStruct::Builder b, int depth);

inline void FillField(capnp::DynamicStruct::Builder b,
                      capnp::StructSchema::Field field, int depth) {
  auto type = field.getType();
  if (field.getProto().isGroup()) {
    Fill(b.init(field).as<capnp::DynamicStruct>(), depth);
    return;
  }
  switch (type.which()) {
    case capnp::schema::Type::TEXT:
      b.set(field,
            capnp::Text::Reader(ledger::IsMultiline(field) ? "民生实事\n项目"
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

inline void Fill(capnp::DynamicStruct::Builder b, int depth) {
  auto schema = b.getSchema();
  for (auto field : schema.getNonUnionFields()) FillField(b, field, depth);
  auto members = schema.getUnionFields();
  if (members.size() > 0) FillField(b, members[0], depth);
}

// The canonical authored event of the kind `field` names, every field
// filled to `depth` (FillField).
inline std::string FilledAuthored(capnp::StructSchema::Field field, int depth) {
  return testing::RawAuthored(TestKey(1), "610102",
                              [&](schema::Event::Builder e) {
                                capnp::DynamicStruct::Builder dyn = e;
                                FillField(dyn, field, depth);
                              });
}

}  // namespace piaojue::testing
