// The one encoding of every message: what Cap'n Proto's isCanonical() leaves
// open and piaojue closes (docs/FORMAT.md, "Canonical Cap'n Proto", rules 1
// and 3).
#pragma once

#include <capnp/dynamic.h>
#include <capnp/schema.h>

#include <optional>

#include "ledger/status.h"

namespace piaojue::ledger::internal {

// Ok when every pointer reachable from `root` (a struct read through its
// schema) has the form piaojue's builder writes for its field's type:
//   Text, Data            a list of 1-byte elements
//   List(Bool)            a list of 1-bit elements
//   List(Int8/UInt8)      1-byte elements; (U)Int16 and enums 2-byte;
//                         (U)Int32, Float32 4-byte; (U)Int64, Float64 8-byte
//   List(Text/Data/List)  a list of pointers
//   List(struct)          an inline-composite (tagged) list of structs
//   a struct field        a struct pointer
// or is null (rule 1); and, in every struct reached through the active union
// members (groups share their struct's sections), every data bit and every
// pointer that no field reachable through the active union members occupies
// is zero or null (rule 3). A struct whose active member this version's
// schema does not define is not checked for rule 3 (what that member
// occupies cannot be told; CheckKnownToThisVersion and the authorization
// rules refuse it). Corruption naming the field otherwise (a List(UInt64)
// written as a list of one-word structs, which a reader would silently
// accept as the same list; a list where a struct belongs; "field event: bits
// 16-31 of data word 0 are not zero, but no field this version of the format
// defines is there ..."). May throw kj::Exception on bytes Cap'n Proto cannot
// read; call it inside the decoding boundary.
Status CheckEncoding(capnp::DynamicStruct::Reader root);

// The element size piaojue's builder writes for a list of `element` (the
// table above); nullopt for types the schema never lists (interfaces,
// AnyPointer). Shared by the reflective check and the fast path
// (quick_check.cc), so the two cannot disagree.
std::optional<capnp::ElementSize> ExpectedElementSize(capnp::Type element);

// How many bits a field of type `type` takes in a struct's data section (0
// for Void; 1 for Bool; 8, 16, 32, 64 for the numbers, 16 for an enum); its
// slot offset counts in units of that size. nullopt for a pointer type.
// Shared by both walks, like ExpectedElementSize.
std::optional<uint32_t> FieldDataBits(capnp::Type type);

}  // namespace piaojue::ledger::internal
