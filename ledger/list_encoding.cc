// See ledger/internal/list_encoding.h and docs/FORMAT.md, "Canonical Cap'n
// Proto": canonical form fixes the layout of a message but neither which list
// encoding a list field uses (rule 1) nor what the bits and pointers no active
// field occupies hold (rule 3); this fixes both.
//
// This is the reflective walk: it reads the schema through capnp's dynamic
// API for every struct it meets, and is the one that words refusals. The fast
// path (quick_check.cc) computes the same answers from a plan; the two are
// written separately on purpose and compared by quick_check_test.
#include "ledger/internal/list_encoding.h"

#include <capnp/any.h>
#include <capnp/schema.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace piaojue::ledger::internal {

namespace {

using capnp::ElementSize;
using Which = capnp::schema::Type::Which;

// Deeper than any piaojue event nests (the decoder's own limit is 32).
constexpr int kMaxDepth = 64;

Status CheckStruct(capnp::DynamicStruct::Reader s, const std::string& path,
                   int depth, bool group = false);

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

// ---------------------------------------------------------------------------
// Rule 3: what no active field occupies is zero.

// The bits of a struct's data section and the indices of its pointer section
// that the fields reachable through the active union members occupy.
struct Occupancy {
  std::vector<bool> bits;
  std::vector<bool> pointers;
  bool known = true;  // false: an active member this version does not define

  void MarkBits(uint64_t offset, uint64_t count) {
    if (bits.size() < offset + count) bits.resize(offset + count);
    for (uint64_t i = offset; i < offset + count; ++i) bits[i] = true;
  }
  void MarkPointer(uint32_t index) {
    if (pointers.size() <= index) pointers.resize(index + 1);
    pointers[index] = true;
  }
  bool Bit(uint64_t i) const { return i < bits.size() && bits[i]; }
  bool Pointer(uint64_t i) const { return i < pointers.size() && pointers[i]; }
};

void Occupy(capnp::DynamicStruct::Reader s, Occupancy& o);

void OccupyField(capnp::DynamicStruct::Reader s,
                 capnp::StructSchema::Field field, Occupancy& o) {
  auto proto = field.getProto();
  if (proto.isGroup()) {
    Occupy(s.get(field).as<capnp::DynamicStruct>(), o);
    return;
  }
  const uint32_t offset = proto.getSlot().getOffset();
  if (std::optional<uint32_t> bits = FieldDataBits(field.getType())) {
    o.MarkBits(uint64_t{offset} * *bits, *bits);
  } else {
    o.MarkPointer(offset);
  }
}

void Occupy(capnp::DynamicStruct::Reader s, Occupancy& o) {
  const capnp::StructSchema schema = s.getSchema();
  for (auto field : schema.getNonUnionFields()) OccupyField(s, field, o);
  if (schema.getUnionFields().size() == 0) return;
  o.MarkBits(
      uint64_t{schema.getProto().getStruct().getDiscriminantOffset()} * 16, 16);
  KJ_IF_MAYBE (active, s.which()) {
    OccupyField(s, *active, o);
  } else {
    o.known = false;
  }
}

// The name (relative to `schema`) of a field of this version's schema, active
// or not, that occupies data bit `bit` (or pointer `index`), or "".
std::string FieldAt(capnp::StructSchema schema, std::optional<uint64_t> bit,
                    std::optional<uint32_t> index) {
  for (auto field : schema.getFields()) {
    auto proto = field.getProto();
    const std::string name = proto.getName().cStr();
    if (proto.isGroup()) {
      std::string inner = FieldAt(field.getType().asStruct(), bit, index);
      if (!inner.empty()) return name + "." + inner;
      continue;
    }
    const uint32_t offset = proto.getSlot().getOffset();
    const std::optional<uint32_t> bits = FieldDataBits(field.getType());
    if (bit && bits && *bits > 0 && *bit >= uint64_t{offset} * *bits &&
        *bit < uint64_t{offset + 1} * *bits) {
      return name;
    }
    if (index && !bits && *index == offset) return name;
  }
  return "";
}

std::string Where(const std::string& path) {
  return path.empty() ? "the root struct" : "field " + path;
}

std::string WhatIsThere(capnp::StructSchema schema, const std::string& field) {
  if (field.empty()) {
    return "no field this version of the format defines is there (a field "
           "of a later version, or data hidden from every reader)";
  }
  return "they belong to " + field + ", a union member that is not the one " +
         "set in " + schema.getShortDisplayName().cStr();
}

// Rule 3 for one struct (groups included, as they share its sections).
Status CheckUnoccupied(capnp::DynamicStruct::Reader s,
                       const std::string& path) {
  Occupancy o;
  Occupy(s, o);
  // An active member this version does not define: what it occupies cannot
  // be told. A writer refuses it (CheckKnownToThisVersion) and a verifier
  // finds it unauthorized (docs/FORMAT.md, "Evolution").
  if (!o.known) return Status::Ok();
  auto any = s.as<capnp::AnyStruct>();
  auto data = any.getDataSection();
  for (size_t i = 0; i < data.size(); ++i) {
    uint8_t stray = 0;
    for (int b = 0; b < 8; ++b) {
      if ((data[i] >> b & 1) && !o.Bit(i * 8 + b)) stray |= uint8_t(1u << b);
    }
    if (stray == 0) continue;
    // The stray bits of the word holding byte i, for the message.
    const size_t word = i / 8;
    int lo = -1, hi = -1;
    for (size_t j = word * 8; j < std::min(data.size(), word * 8 + 8); ++j) {
      for (int b = 0; b < 8; ++b) {
        if ((data[j] >> b & 1) && !o.Bit(j * 8 + b)) {
          const int at = int(j - word * 8) * 8 + b;
          if (lo < 0) lo = at;
          hi = at;
        }
      }
    }
    const std::string owner =
        FieldAt(s.getSchema(), uint64_t{word} * 64 + lo, std::nullopt);
    return Corruption(Where(path) + ": bits " + std::to_string(lo) + "-" +
                      std::to_string(hi) + " of data word " +
                      std::to_string(word) + " are not zero, but " +
                      WhatIsThere(s.getSchema(), owner) +
                      " (docs/FORMAT.md, \"Canonical Cap'n Proto\", rule 3)");
  }
  auto pointers = any.getPointerSection();
  for (uint32_t i = 0; i < pointers.size(); ++i) {
    if (o.Pointer(i) || pointers[i].isNull()) continue;
    const std::string owner = FieldAt(s.getSchema(), std::nullopt, i);
    return Corruption(
        Where(path) + ": pointer " + std::to_string(i) + " is not null, but " +
        (owner.empty() ? WhatIsThere(s.getSchema(), owner)
                       : "it belongs to " + owner +
                             ", a union member that is not the "
                             "one set in " +
                             s.getSchema().getShortDisplayName().cStr()) +
        " (docs/FORMAT.md, \"Canonical Cap'n Proto\", rule 3)");
  }
  return Status::Ok();
}

Status CheckField(capnp::DynamicStruct::Reader s,
                  capnp::StructSchema::Field field, const std::string& path,
                  int depth) {
  const std::string name =
      (path.empty() ? "" : path + ".") + field.getProto().getName().cStr();
  if (field.getProto().isGroup()) {
    // A group shares its parent's layout (and its parent checks the bits).
    return CheckStruct(s.get(field).as<capnp::DynamicStruct>(), name, depth,
                       /*group=*/true);
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
                   int depth, bool group) {
  if (depth > kMaxDepth) return Refuse(path, "nested too deeply");
  if (!group) RETURN_IF_ERROR(CheckUnoccupied(s, path));
  for (auto field : s.getSchema().getNonUnionFields()) {
    RETURN_IF_ERROR(CheckField(s, field, path, depth));
  }
  KJ_IF_MAYBE (active, s.which()) {
    RETURN_IF_ERROR(CheckField(s, *active, path, depth));
  }
  return Status::Ok();
}

}  // namespace

Status CheckEncoding(capnp::DynamicStruct::Reader root) {
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

std::optional<uint32_t> FieldDataBits(capnp::Type type) {
  switch (type.which()) {
    case Which::VOID:
      return 0;
    case Which::BOOL:
      return 1;
    case Which::INT8:
    case Which::UINT8:
      return 8;
    case Which::INT16:
    case Which::UINT16:
    case Which::ENUM:
      return 16;
    case Which::INT32:
    case Which::UINT32:
    case Which::FLOAT32:
      return 32;
    case Which::INT64:
    case Which::UINT64:
    case Which::FLOAT64:
      return 64;
    default:
      return std::nullopt;  // a pointer
  }
}

}  // namespace piaojue::ledger::internal
