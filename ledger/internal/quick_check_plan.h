// The plan QuickCheck (quick_check.cc) and the canonical walk
// (canonical_walk.cc) follow: per struct type, built once from the compiled
// schema, what each field is and what it occupies. Internal to the decoder.
#pragma once

#include <capnp/any.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "ledger/text_validation.h"

namespace piaojue::ledger::internal {

// The largest data section the rule-3 masks model (piaojue's largest struct
// has a few words); a larger schema struct is "not sure".
inline constexpr uint32_t kMaxDataWords = 32;

struct StructPlan;

enum class Kind : uint8_t {
  kSkip,  // in the data section: nothing to read
  kEnum,  // in the data section: read only when `known` is asked
  kText,
  kData,
  kStruct,
  kGroup,
  kList,
  kUnsupported,  // a pointer type piaojue's schema does not use
};

struct ValuePlan {
  Kind kind = Kind::kSkip;
  TextLines lines = TextLines::kSingle;   // a text, or a list's texts
  const StructPlan* structure = nullptr;  // kStruct, kGroup
  // kEnum: how many enumerants this build knows (they are numbered from 0),
  // and a field's default (what its stored value is XORed with).
  uint32_t enumerants = 0;
  uint16_t enum_default = 0;
  // kList: the encoding its elements must have, and the elements' plan.
  capnp::ElementSize element_size = capnp::ElementSize::VOID;
  std::unique_ptr<ValuePlan> element;
};

struct FieldPlan {
  uint32_t slot = 0;  // the pointer's index in the pointer section
  ValuePlan value;
  // What the field occupies when it is an active union member: `bits` bits
  // of the data section from bit `bit`, or pointer `pointer` (-1: none; a
  // group occupies what its own plan says).
  uint32_t bit = 0;
  uint32_t bits = 0;
  int32_t pointer = -1;
};

struct StructPlan {
  std::vector<FieldPlan> fields;  // the non-union fields worth a look
  bool has_union = false;
  uint32_t discriminant_offset = 0;  // in 16-bit units of the data section
  // By discriminant value; a member this build does not know is "not sure".
  std::vector<FieldPlan> members;
  // Rule 3: what the non-union fields and the discriminant occupy (bit i of
  // data byte i / 8; pointer i), and the non-union groups, whose plans add
  // theirs. Beyond the schema's sections nothing is occupied.
  std::vector<uint8_t> data_occupied;
  uint64_t pointers_occupied = 0;
  std::vector<const StructPlan*> groups;
  // False when the sections are too large for the masks above: "not sure".
  bool modelled = true;
  // The schema's sections, and data_occupied as little-endian words (bit i
  // of word i / 64), for the walk over raw words (canonical_walk.cc).
  uint32_t data_words = 0;
  uint32_t pointer_count = 0;
  std::vector<uint64_t> data_mask;
};

}  // namespace piaojue::ledger::internal
