// One walk over the raw little-endian words of a message that decides, in a
// single pass, what decoding otherwise asks of two: Cap'n Proto's
// isCanonical() (the layout) and QuickCheck (quick_check.h: the list
// encodings, the unoccupied bits, the texts; docs/FORMAT.md, "Canonical
// Cap'n Proto").
//
// Like QuickCheck it is only a fast path. Decoded<T>::Parse takes its
// "canonical" as the answer; on any other answer it runs the exact checks it
// ran before this walk existed (isCanonical, then QuickCheck or the
// reflective CheckEncoding), so every refusal, and its message, comes from
// those. The walk must therefore never answer "canonical" for bytes that
// path refuses, nor for bytes on which QuickCheck is not sure (the texts it
// checks decide EntryView's later checks). "refused" is an answer for the
// tests (canonical_walk_test): it claims that path refuses the bytes.
#pragma once

#include <capnp/message.h>

#include <string_view>

namespace piaojue::ledger::internal {

// The exact path's layout check: Cap'n Proto's isCanonical() under
// `options`, and the bytes equal to their canonical re-encoding
// (capnp::canonicalize). isCanonical() alone accepts an empty list whose
// pointer points anywhere ahead of the next object, even past the message's
// end; docs/FORMAT.md puts it at the head, as the re-encoding does (the
// entry fuzz target found the difference). `segments` is one segment. Throws
// what Cap'n Proto throws on malformed bytes.
bool IsCanonicalMessage(
    kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments,
    const capnp::ReaderOptions& options);

struct StructPlan;

enum class WalkVerdict {
  kCanonical,  // isCanonical() holds and QuickCheck would say "certainly fine"
  kRefused,    // isCanonical() or CheckEncoding refuses (or Cap'n Proto throws)
  kNotSure,    // a shape the walk does not model: the exact path decides
};

// Walks `bytes` (a whole single-segment message without segment table, its
// size a multiple of 8; any alignment) as a root struct of type `plan`.
// `texts`: also every text is NUL-terminated and passes CheckTextValue (what
// QuickCheck's `texts` asks). Never throws; reads nothing outside `bytes`.
WalkVerdict CanonicalWalk(std::string_view bytes, const StructPlan& plan,
                          bool texts);

// Tests and fuzzers: while one is alive, Decoded<T>::Parse on this thread
// does not use the walk (the exact path alone decides), so the two answers
// can be compared.
class ExactDecodingOnly {
 public:
  ExactDecodingOnly();
  ~ExactDecodingOnly();
  ExactDecodingOnly(const ExactDecodingOnly&) = delete;
  ExactDecodingOnly& operator=(const ExactDecodingOnly&) = delete;

 private:
  bool was_;
};

// Whether an ExactDecodingOnly is alive on this thread.
bool ExactDecodingForced();

}  // namespace piaojue::ledger::internal
