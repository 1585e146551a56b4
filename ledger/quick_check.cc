// See quick_check.h. The plan mirrors, field for field, what the reflective
// walks of list_encoding.cc and text_validation.cc look at:
//   - every non-union field, then the active union member (groups share
//     their parent's sections);
//   - numbers and void: nothing (they live in the data section);
//   - an enum (a field or a list's elements): with `known`, a value this
//     build's schema defines (a field's stored value is XORed with its
//     default, as Cap'n Proto stores every data field);
//   - a pointer field that is null, or beyond the pointer section: fine;
//   - Text, Data: a list of bytes (a text also NUL-terminated and valid);
//   - a struct: a struct pointer, walked;
//   - a list: the element size its element type gives, then each element;
//   - with `unoccupied`, every struct (not group) reached: each data bit and
//     pointer no field reachable through the active union members occupies
//     is zero or null (list_encoding.cc's CheckUnoccupied, docs/FORMAT.md,
//     "Canonical Cap'n Proto", rule 3).
#include "ledger/internal/quick_check.h"

#include <capnp/schema.h>
#include <kj/exception.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "ledger/internal/list_encoding.h"
#include "ledger/internal/quick_check_plan.h"
#include "ledger/internal/text_value.h"
#include "ledger/text_validation.h"

namespace piaojue::ledger::internal {

namespace {

using capnp::ElementSize;
using Which = capnp::schema::Type::Which;

// Well under the reflective walks' limits (64) and the decoder's nesting
// limit (32): deeper is "not sure".
constexpr int kMaxDepth = 24;

}  // namespace

namespace {

class Planner {
 public:
  const StructPlan& Get(capnp::StructSchema schema) {
    std::lock_guard<std::mutex> lock(mu_);
    return Build(schema);
  }

 private:
  const StructPlan& Build(capnp::StructSchema schema) {
    auto it = plans_.find(schema.getProto().getId());
    if (it != plans_.end()) return *it->second;
    // In the map before its fields are planned: a type that nests itself
    // (a correction's replacement event) finds its own plan.
    auto owned = std::make_unique<StructPlan>();
    StructPlan& plan = *owned;
    plans_.emplace(schema.getProto().getId(), std::move(owned));
    const auto node = schema.getProto().getStruct();
    plan.data_words = node.getDataWordCount();
    plan.pointer_count = node.getPointerCount();
    if (node.getDataWordCount() > kMaxDataWords ||
        node.getPointerCount() > 64) {
      plan.modelled = false;
    } else {
      plan.data_occupied.assign(size_t{node.getDataWordCount()} * 8, 0);
    }
    for (auto field : schema.getNonUnionFields()) {
      FieldPlan f = Field(field);
      if (f.value.kind == Kind::kGroup) {
        plan.groups.push_back(f.value.structure);
      } else {
        Occupy(plan, f);
      }
      if (f.value.kind != Kind::kSkip) plan.fields.push_back(std::move(f));
    }
    auto members = schema.getUnionFields();
    if (members.size() > 0) {
      plan.has_union = true;
      plan.discriminant_offset = node.getDiscriminantOffset();
      FieldPlan discriminant;
      discriminant.bit = plan.discriminant_offset * 16;
      discriminant.bits = 16;
      Occupy(plan, discriminant);
      plan.members.resize(members.size());
      for (auto field : members) {
        const uint16_t d = field.getProto().getDiscriminantValue();
        if (d >= plan.members.size()) plan.members.resize(d + 1);
        plan.members[d] = Field(field);
      }
    }
    plan.data_mask.assign(plan.data_occupied.size() / 8, 0);
    for (size_t i = 0; i < plan.data_occupied.size(); ++i) {
      plan.data_mask[i / 8] |= uint64_t{plan.data_occupied[i]} << (8 * (i % 8));
    }
    return plan;
  }

  FieldPlan Field(capnp::StructSchema::Field field) {
    FieldPlan f;
    auto proto = field.getProto();
    if (proto.isGroup()) {
      f.value.kind = Kind::kGroup;
      f.value.structure = &Build(field.getType().asStruct());
      return f;
    }
    f.slot = proto.getSlot().getOffset();
    f.value = Value(field.getType(), IsMultiline(field) ? TextLines::kMulti
                                                        : TextLines::kSingle);
    if (f.value.kind == Kind::kEnum) {
      f.value.enum_default = proto.getSlot().getDefaultValue().getEnum();
    }
    if (std::optional<uint32_t> bits = FieldDataBits(field.getType())) {
      f.bit = f.slot * *bits;
      f.bits = *bits;
    } else {
      f.pointer = static_cast<int32_t>(f.slot);
    }
    return f;
  }

  // Marks what `f` (a slot, not a group) occupies in `plan`'s own masks.
  static void Occupy(StructPlan& plan, const FieldPlan& f) {
    if (!plan.modelled) return;
    if (f.pointer >= 0) {
      if (f.pointer >= 64) {
        plan.modelled = false;
      } else {
        plan.pointers_occupied |= uint64_t{1} << f.pointer;
      }
      return;
    }
    for (uint32_t b = f.bit; b < f.bit + f.bits; ++b) {
      if (b / 8 >= plan.data_occupied.size()) {
        plan.modelled = false;
        return;
      }
      plan.data_occupied[b / 8] |= uint8_t(1u << (b % 8));
    }
  }

  ValuePlan Value(capnp::Type type, TextLines lines) {
    ValuePlan v;
    v.lines = lines;
    switch (type.which()) {
      case Which::TEXT:
        v.kind = Kind::kText;
        break;
      case Which::DATA:
        v.kind = Kind::kData;
        break;
      case Which::STRUCT:
        v.kind = Kind::kStruct;
        v.structure = &Build(type.asStruct());
        break;
      case Which::LIST: {
        const capnp::Type element = type.asList().getElementType();
        const std::optional<ElementSize> size = ExpectedElementSize(element);
        if (!size) {
          v.kind = Kind::kUnsupported;
          break;
        }
        v.kind = Kind::kList;
        v.element_size = *size;
        v.element = std::make_unique<ValuePlan>(Value(element, lines));
        break;
      }
      case Which::ENUM:
        v.kind = Kind::kEnum;
        v.enumerants = type.asEnum().getEnumerants().size();
        break;
      case Which::ANY_POINTER:
      case Which::INTERFACE:
        v.kind = Kind::kUnsupported;
        break;
      default:
        v.kind = Kind::kSkip;
        break;
    }
    return v;
  }

  std::mutex mu_;
  std::map<uint64_t, std::unique_ptr<StructPlan>> plans_;
};

Planner& ThePlanner() {
  static Planner* planner = new Planner;  // never destroyed: plans outlive
  return *planner;                        // every reader
}

class Walker {
 public:
  explicit Walker(QuickCheckWhat what) : what_(what) {}

  bool Struct(capnp::AnyStruct::Reader s, const StructPlan& plan, int depth,
              bool group = false) {
    if (depth > kMaxDepth) return false;
    // A group shares its struct's sections: the struct checks them.
    if (what_.unoccupied && !group && !Unoccupied(s, plan)) return false;
    auto pointers = s.getPointerSection();
    for (const FieldPlan& f : plan.fields) {
      if (!Field(s, pointers, f, depth)) return false;
    }
    if (!plan.has_union) return true;
    const uint16_t d = Discriminant(s, plan);
    if (d >= plan.members.size()) return false;  // unknown member: not sure
    return Field(s, pointers, plan.members[d], depth);
  }

 private:
  bool Field(capnp::AnyStruct::Reader s,
             capnp::List<capnp::AnyPointer>::Reader pointers,
             const FieldPlan& f, int depth) {
    switch (f.value.kind) {
      case Kind::kSkip:
        return true;
      case Kind::kEnum: {
        if (!what_.known) return true;
        auto data = s.getDataSection();
        const size_t at = f.bit / 8;
        uint16_t raw = 0;  // beyond a truncated data section: 0
        if (at + 2 <= data.size()) {
          raw = static_cast<uint16_t>(data[at] | (data[at + 1] << 8));
        }
        return uint32_t(raw ^ f.value.enum_default) < f.value.enumerants;
      }
      case Kind::kGroup:
        return Struct(s, *f.value.structure, depth, /*group=*/true);
      default:
        if (f.slot >= pointers.size()) return true;  // null
        return Pointer(pointers[f.slot], f.value, depth);
    }
  }

  // The masks of what `plan` (and its groups, and its active member) occupy
  // in `s`, ORed into `data` (as large as the root plan's data section) and
  // `pointers`. False when not sure: an active member this build does not
  // know, or a plan the masks cannot model.
  bool Occupied(capnp::AnyStruct::Reader s, const StructPlan& plan,
                kj::ArrayPtr<uint8_t> data, uint64_t& pointers, int depth) {
    if (!plan.modelled || depth > kMaxDepth) return false;
    for (size_t i = 0; i < plan.data_occupied.size() && i < data.size(); ++i) {
      data[i] |= plan.data_occupied[i];
    }
    pointers |= plan.pointers_occupied;
    for (const StructPlan* g : plan.groups) {
      if (!Occupied(s, *g, data, pointers, depth + 1)) return false;
    }
    if (!plan.has_union) return true;
    const uint16_t d = Discriminant(s, plan);
    if (d >= plan.members.size()) return false;
    const FieldPlan& m = plan.members[d];
    if (m.value.kind == Kind::kGroup) {
      return Occupied(s, *m.value.structure, data, pointers, depth + 1);
    }
    if (m.pointer >= 0) {
      if (m.pointer >= 64) return false;
      pointers |= uint64_t{1} << m.pointer;
    }
    for (uint32_t b = m.bit; b < m.bit + m.bits; ++b) {
      if (b / 8 >= data.size()) return false;
      data[b / 8] |= uint8_t(1u << (b % 8));
    }
    return true;
  }

  // Rule 3 for the struct `s`: true only when every data bit and pointer no
  // active field occupies is zero or null.
  bool Unoccupied(capnp::AnyStruct::Reader s, const StructPlan& plan) {
    uint8_t mask[kMaxDataWords * 8] = {};
    if (!plan.modelled) return false;
    auto occupied = kj::arrayPtr(mask, plan.data_occupied.size());
    uint64_t pointers_occupied = 0;
    if (!Occupied(s, plan, occupied, pointers_occupied, 0)) return false;
    auto data = s.getDataSection();
    for (size_t i = 0; i < data.size(); ++i) {
      const uint8_t allowed = i < occupied.size() ? occupied[i] : 0;
      if ((data[i] & ~allowed) != 0) return false;
    }
    auto pointers = s.getPointerSection();
    for (uint32_t i = 0; i < pointers.size(); ++i) {
      if (i < 64 && (pointers_occupied >> i & 1)) continue;
      if (!pointers[i].isNull()) return false;
    }
    return true;
  }

  static uint16_t Discriminant(capnp::AnyStruct::Reader s,
                               const StructPlan& plan) {
    auto data = s.getDataSection();
    uint16_t d = 0;  // beyond a truncated data section: the default, 0
    const size_t at = size_t(plan.discriminant_offset) * 2;
    if (at + 2 <= data.size()) {
      d = static_cast<uint16_t>(data[at] | (data[at + 1] << 8));
    }
    return d;
  }

  // Each pointer is read once, as what its field's type says it is: a
  // pointer of another kind makes the read throw (QuickCheck then answers
  // "not sure"), and asking its kind first read every pointer twice.
  bool Pointer(capnp::AnyPointer::Reader raw, const ValuePlan& v, int depth) {
    if (raw.isNull()) return true;
    switch (v.kind) {
      case Kind::kSkip:
        return true;
      case Kind::kData:
        return raw.getAs<capnp::AnyList>().getElementSize() ==
               ElementSize::BYTE;
      case Kind::kText: {
        auto list = raw.getAs<capnp::AnyList>();
        if (list.getElementSize() != ElementSize::BYTE) return false;
        if (!what_.texts) return true;
        // As capnp::Text reads it: the bytes up to a NUL that ends them.
        kj::ArrayPtr<const kj::byte> bytes = list.getRawBytes();
        if (bytes.size() == 0 || bytes[bytes.size() - 1] != 0) return false;
        return TextValueAllowed(
            std::string_view(reinterpret_cast<const char*>(bytes.begin()),
                             bytes.size() - 1),
            v.lines);
      }
      case Kind::kStruct:
        return Struct(raw.getAs<capnp::AnyStruct>(), *v.structure, depth + 1);
      case Kind::kList: {
        auto list = raw.getAs<capnp::AnyList>();
        if (list.getElementSize() != v.element_size) return false;
        const ValuePlan& element = *v.element;
        if (element.kind == Kind::kStruct) {
          for (auto item : list.as<capnp::List<capnp::AnyStruct>>()) {
            if (!Struct(item, *element.structure, depth + 1)) return false;
          }
        } else if (v.element_size == ElementSize::POINTER) {
          for (auto item : list.as<capnp::List<capnp::AnyPointer>>()) {
            if (!Pointer(item, element, depth + 1)) return false;
          }
        } else if (element.kind == Kind::kEnum && what_.known) {
          for (uint16_t item : list.as<capnp::List<uint16_t>>()) {
            if (item >= element.enumerants) return false;
          }
        }
        return true;
      }
      case Kind::kEnum:  // never a pointer
      case Kind::kGroup:
      case Kind::kUnsupported:
        return false;
    }
    return false;
  }

  QuickCheckWhat what_;
};

}  // namespace

const StructPlan& PlanFor(capnp::StructSchema schema) {
  return ThePlanner().Get(schema);
}

bool QuickCheck(capnp::AnyStruct::Reader root, const StructPlan& plan,
                QuickCheckWhat what) {
  try {
    return Walker(what).Struct(root, plan, 0);
  } catch (const kj::Exception&) {
    return false;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace piaojue::ledger::internal
