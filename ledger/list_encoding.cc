// See ledger/internal/list_encoding.h and docs/FORMAT.md, "Canonical Cap'n
// Proto": canonical form fixes the layout of a message but not which list
// encoding a list field uses; this fixes that too.
#include "ledger/internal/list_encoding.h"

#include <capnp/any.h>
#include <capnp/schema.h>

#include <optional>
#include <string>

namespace piaojue::ledger::internal {

namespace {

using capnp::ElementSize;
using Which = capnp::schema::Type::Which;

// Deeper than any piaojue event nests (the decoder's own limit is 32).
constexpr int kMaxDepth = 64;

Status CheckStruct(capnp::DynamicStruct::Reader s, const std::string& path,
                   int depth);

Status Refuse(const std::string& path, const std::string& what) {
  return Corruption("field " + path + ": " + what +
                    " (not the encoding piaojue writes; docs/FORMAT.md, "
                    "\"Canonical Cap'n Proto\")");
}

// A text or data is checked from its raw pointer only: reading it through the
// schema would throw on a text without its NUL, which the text check reports
// by field name later (text_validation.h).
Status CheckBytes(capnp::AnyPointer::Reader raw, const std::string& path) {
  if (raw.isNull()) return Status::Ok();
  if (!raw.isList() ||
      raw.getAs<capnp::AnyList>().getElementSize() != ElementSize::BYTE) {
    return Refuse(path, "a text or data must be a list of bytes");
  }
  return Status::Ok();
}

// One pointer `raw` of type `type`, read as `value` through the schema.
Status CheckPointer(capnp::AnyPointer::Reader raw,
                    capnp::DynamicValue::Reader value, capnp::Type type,
                    const std::string& path, int depth) {
  if (raw.isNull()) return Status::Ok();
  if (depth > kMaxDepth) return Refuse(path, "nested too deeply");
  switch (type.which()) {
    case Which::TEXT:
    case Which::DATA:
      return CheckBytes(raw, path);
    case Which::STRUCT:
      if (!raw.isStruct()) return Refuse(path, "a struct pointer expected");
      return CheckStruct(value.as<capnp::DynamicStruct>(), path, depth + 1);
    case Which::LIST: {
      if (!raw.isList()) return Refuse(path, "a list pointer expected");
      const capnp::Type element = type.asList().getElementType();
      const std::optional<ElementSize> want = ExpectedElementSize(element);
      if (!want || raw.getAs<capnp::AnyList>().getElementSize() != *want) {
        return Refuse(path,
                      "a list's elements must be encoded as its element type "
                      "is (e.g. a List(UInt64) as 8-byte numbers, not as "
                      "structs)");
      }
      if (element.isText() || element.isData()) {
        auto raws =
            raw.getAs<capnp::AnyList>().as<capnp::List<capnp::AnyPointer>>();
        for (uint32_t i = 0; i < raws.size(); ++i) {
          RETURN_IF_ERROR(
              CheckBytes(raws[i], path + "[" + std::to_string(i) + "]"));
        }
        return Status::Ok();
      }
      auto list = value.as<capnp::DynamicList>();
      if (element.isStruct()) {
        for (uint32_t i = 0; i < list.size(); ++i) {
          RETURN_IF_ERROR(CheckStruct(list[i].as<capnp::DynamicStruct>(),
                                      path + "[" + std::to_string(i) + "]",
                                      depth + 1));
        }
      } else if (*want == ElementSize::POINTER) {
        auto raws =
            raw.getAs<capnp::AnyList>().as<capnp::List<capnp::AnyPointer>>();
        for (uint32_t i = 0; i < list.size(); ++i) {
          RETURN_IF_ERROR(CheckPointer(raws[i], list[i], element,
                                       path + "[" + std::to_string(i) + "]",
                                       depth + 1));
        }
      }
      return Status::Ok();
    }
    default:
      return Refuse(path, "a pointer type piaojue's schema does not use");
  }
}

Status CheckField(capnp::DynamicStruct::Reader s,
                  capnp::StructSchema::Field field, const std::string& path,
                  int depth) {
  const std::string name =
      (path.empty() ? "" : path + ".") + field.getProto().getName().cStr();
  if (field.getProto().isGroup()) {
    // A group shares its parent's layout.
    return CheckStruct(s.get(field).as<capnp::DynamicStruct>(), name, depth);
  }
  const capnp::Type type = field.getType();
  if (!(type.isText() || type.isData() || type.isList() || type.isStruct() ||
        type.isAnyPointer() || type.isInterface())) {
    return Status::Ok();  // in the data section
  }
  const uint32_t slot = field.getProto().getSlot().getOffset();
  auto pointers = s.as<capnp::AnyStruct>().getPointerSection();
  if (slot >= pointers.size()) return Status::Ok();  // truncated: null
  if (type.isText() || type.isData()) return CheckBytes(pointers[slot], name);
  return CheckPointer(pointers[slot], s.get(field), type, name, depth);
}

Status CheckStruct(capnp::DynamicStruct::Reader s, const std::string& path,
                   int depth) {
  if (depth > kMaxDepth) return Refuse(path, "nested too deeply");
  for (auto field : s.getSchema().getNonUnionFields()) {
    RETURN_IF_ERROR(CheckField(s, field, path, depth));
  }
  KJ_IF_MAYBE (active, s.which()) {
    RETURN_IF_ERROR(CheckField(s, *active, path, depth));
  }
  return Status::Ok();
}

}  // namespace

Status CheckListEncodings(capnp::DynamicStruct::Reader root) {
  return CheckStruct(root, "", 0);
}

std::optional<ElementSize> ExpectedElementSize(capnp::Type element) {
  switch (element.which()) {
    case Which::VOID:
      return ElementSize::VOID;
    case Which::BOOL:
      return ElementSize::BIT;
    case Which::INT8:
    case Which::UINT8:
      return ElementSize::BYTE;
    case Which::INT16:
    case Which::UINT16:
    case Which::ENUM:
      return ElementSize::TWO_BYTES;
    case Which::INT32:
    case Which::UINT32:
    case Which::FLOAT32:
      return ElementSize::FOUR_BYTES;
    case Which::INT64:
    case Which::UINT64:
    case Which::FLOAT64:
      return ElementSize::EIGHT_BYTES;
    case Which::TEXT:
    case Which::DATA:
    case Which::LIST:
      return ElementSize::POINTER;
    case Which::STRUCT:
      return ElementSize::INLINE_COMPOSITE;
    default:
      return std::nullopt;  // interfaces, AnyPointer: not in the schema
  }
}

}  // namespace piaojue::ledger::internal
