// The one encoding of every list: what Cap'n Proto's isCanonical() leaves
// open and piaojue closes (docs/FORMAT.md, "Canonical Cap'n Proto").
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
// or is null. Corruption naming the field otherwise (a List(UInt64) written
// as a list of one-word structs, which a reader would silently accept as
// the same list, or a list where a struct belongs). May throw kj::Exception
// on bytes Cap'n Proto cannot read; call it inside the decoding boundary.
Status CheckListEncodings(capnp::DynamicStruct::Reader root);

// The element size piaojue's builder writes for a list of `element` (the
// table above); nullopt for types the schema never lists (interfaces,
// AnyPointer). Shared by the reflective check and the fast path
// (quick_check.cc), so the two cannot disagree.
std::optional<capnp::ElementSize> ExpectedElementSize(capnp::Type element);

}  // namespace piaojue::ledger::internal
