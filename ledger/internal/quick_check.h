// A fast path for the checks every decoded message goes through: the list
// encodings and the unoccupied bits (list_encoding.h, rules 1 and 3) and the
// text fields (text_validation.h).
//
// Those checks walk the event through Cap'n Proto's dynamic reflection, which
// looks every field's type up in the schema again for every event: on a
// replay it was about 40% of the time. QuickCheck walks the raw message
// instead (capnp::AnyStruct: the data and pointer sections), guided by a plan
// built once per struct type from the same compiled schema, so a field added
// to the schema is still checked without a change here.
//
// It is only a fast path: it answers "certainly fine" or "not sure". Every
// caller falls back to the reflective walk when the answer is not "certainly
// fine", so every refusal, and its message, comes from the reflective walk
// alone. QuickCheck therefore must never accept what the reflective walk
// refuses; anything it does not model (an unknown union member, nesting
// deeper than the reflective walk allows, a text without its NUL, any
// exception) makes it answer "not sure".
#pragma once

#include <capnp/any.h>
#include <capnp/schema.h>

namespace piaojue::ledger::internal {

struct StructPlan;

// The plan of `schema`'s struct type (built on first use, kept for the
// process's life; thread-safe).
const StructPlan& PlanFor(capnp::StructSchema schema);

struct QuickCheckWhat {
  // Every list and text/data pointer has the encoding CheckListEncodings
  // requires.
  bool lists = false;
  // Every text is NUL-terminated and passes CheckTextValue with its field's
  // TextLines (what CheckEventContent / CheckAuthoredContent require).
  bool texts = false;
  // Every data bit and pointer that no field reachable through the active
  // union members occupies is zero or null (CheckEncoding's rule 3).
  bool unoccupied = false;
  // Every enum value (of a field or a list element) reached is one this
  // build's schema defines (what CheckKnownToThisVersion requires; an
  // unknown union member is "not sure" whatever is asked).
  bool known = false;
};

// True only if the reflective checks named in `what` would return OK for the
// struct `root` of type `plan`. Never throws. Precondition: the message
// holding `root` was checked canonical (every pointer in bounds).
bool QuickCheck(capnp::AnyStruct::Reader root, const StructPlan& plan,
                QuickCheckWhat what);

}  // namespace piaojue::ledger::internal
