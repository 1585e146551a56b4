// See ledger/internal/canonical_walk.h. Written from the Cap'n Proto
// encoding specification (pointer formats, "Canonicalization") and the
// behaviour of isCanonical(), which canonical_walk_test compares it with.
//
// A canonical message is one segment whose first word is the root pointer;
// every object follows the previous one with no gap, in pre-order (an
// object, then what its pointers point to, in pointer order); what each
// pointer points to starts at the next unread word ("the head"):
//   - a struct pointer (tag 0): its data words then its pointers; the last
//     data word is not zero and the last pointer not null (the sections are
//     truncated). A struct with no data and no pointers takes no words, and
//     its pointer's offset is -1 (it points at itself).
//   - a list pointer (tag 1) of 0/1/8/16/32/64-bit elements: count x size
//     bits rounded up to words, the bits after the last element zero.
//   - a list of pointers: count words, then each element's object in turn.
//   - a list of structs (inline composite): a tag word (a struct pointer
//     whose offset field's low 29 bits are the element count, its bit 31
//     read by no one, and whose sizes are each element's), then the
//     elements, then the objects of element 0's pointers, element 1's, ...;
//     the pointer's count is the words after the tag, exactly count x
//     element size; some element's last data word is not zero and some
//     element's last pointer not null; an empty list's elements have no
//     data and no pointers.
//   - no far pointer (tag 2), no capability (tag 3);
// and the walk ends exactly at the end of the message.
//
// The schema's rules follow the plan of quick_check.cc: each pointer holds
// what its field's type says (rule 1), nothing no active field occupies is
// set (rule 3), texts are checked when asked.
#include "ledger/internal/canonical_walk.h"

#include <capnp/any.h>

#include <bit>
#include <cstdint>
#include <cstring>

#include "ledger/internal/quick_check_plan.h"
#include "ledger/internal/text_value.h"
#include "ledger/text_validation.h"

namespace piaojue::ledger::internal {

namespace {

// Pointers followed from the root before the walk is not sure: well under
// Cap'n Proto's nesting limit (32, which the decoder sets) and QuickCheck's
// depth (24), so the walk never accepts what they stop at.
constexpr int kMaxDerefs = 16;
// Groups nested in groups (QuickCheck's masks stop at 24 too).
constexpr int kMaxGroupDepth = 8;

// The pointer's element size field (bits 32-34 of a list pointer).
enum ListSize : uint32_t {
  kVoid = 0,
  kBit = 1,
  kByte = 2,
  kTwoBytes = 3,
  kFourBytes = 4,
  kEightBytes = 5,
  kPointer = 6,
  kInlineComposite = 7,
};

constexpr uint32_t kBitsPerElement[6] = {0, 1, 8, 16, 32, 64};

uint32_t ListSizeOf(capnp::ElementSize s) {
  return static_cast<uint32_t>(s);  // Cap'n Proto numbers them as the wire
}

// A pointer word's fields.
uint32_t Tag(uint64_t w) { return static_cast<uint32_t>(w & 3); }
int64_t Offset(uint64_t w) {
  // Bits 2-31, signed: the word count from the end of the pointer.
  return static_cast<int32_t>(static_cast<uint32_t>(w)) >> 2;
}
uint32_t DataWords(uint64_t w) {
  return static_cast<uint32_t>(w >> 32) & 0xffff;
}
uint32_t PointerCount(uint64_t w) { return static_cast<uint32_t>(w >> 48); }
uint32_t ElementSizeOf(uint64_t w) {
  return static_cast<uint32_t>(w >> 32) & 7;
}
uint64_t ElementCount(uint64_t w) { return w >> 35; }

// What a struct's active fields occupy: its data bits (as words) and, per
// pointer index, the plan of the field there (null: none).
struct Occupancy {
  uint64_t data[kMaxDataWords];
  uint32_t data_words;  // the root plan's: beyond it nothing is occupied
  const ValuePlan* pointers[64];
  uint32_t pointer_count;  // min(the message's pointers, 64)
};

class Walker {
 public:
  Walker(std::string_view bytes, bool texts)
      : base_(bytes.data()), size_(bytes.size() / 8), texts_(texts) {}

  WalkVerdict Root(const StructPlan& plan) {
    if (size_ == 0) return WalkVerdict::kRefused;
    const uint64_t w = Word(0);
    // A null root, or a list: canonical perhaps, but not a struct to check.
    if (w == 0 || Tag(w) == 1) return WalkVerdict::kNotSure;
    if (Tag(w) != 0) return WalkVerdict::kRefused;
    head_ = 1;
    const WalkVerdict v = StructPointer(0, w, plan, 1);
    if (v != WalkVerdict::kCanonical) return v;
    // Every word read, and none left over.
    return head_ == size_ ? WalkVerdict::kCanonical : WalkVerdict::kRefused;
  }

 private:
  uint64_t Word(size_t i) const {
    uint64_t v;
    std::memcpy(&v, base_ + i * 8, 8);
    if constexpr (std::endian::native == std::endian::big) {
      v = __builtin_bswap64(v);
    }
    return v;
  }

  // Whether `words` words from word `start` are inside the message.
  bool Fits(int64_t start, uint64_t words) const {
    return start >= 0 && static_cast<uint64_t>(start) <= size_ &&
           words <= size_ - static_cast<uint64_t>(start);
  }

  // Where the pointer `w` at word `at` points (its offset counts from the
  // word after it).
  static int64_t Target(size_t at, uint64_t w) {
    return static_cast<int64_t>(at) + 1 + Offset(w);
  }

  // The struct pointer `w` at word `at`, `derefs` pointers from the root.
  WalkVerdict StructPointer(size_t at, uint64_t w, const StructPlan& plan,
                            int derefs) {
    if (derefs > kMaxDerefs) return WalkVerdict::kNotSure;
    const uint32_t data = DataWords(w);
    const uint32_t pointers = PointerCount(w);
    if (data == 0 && pointers == 0) {
      // Takes no words; canonical form points it at itself.
      if (Offset(w) != -1) return WalkVerdict::kRefused;
      return StructBody(0, 0, 0, plan, derefs);
    }
    const int64_t target = Target(at, w);
    if (target != static_cast<int64_t>(head_)) {
      return WalkVerdict::kRefused;  // a gap, an overlap, out of order
    }
    if (!Fits(target, uint64_t{data} + pointers)) {
      return WalkVerdict::kRefused;
    }
    const size_t start = static_cast<size_t>(target);
    if (data > 0 && Word(start + data - 1) == 0) {
      return WalkVerdict::kRefused;  // a trailing zero data word
    }
    if (pointers > 0 && Word(start + data + pointers - 1) == 0) {
      return WalkVerdict::kRefused;  // a trailing null pointer
    }
    head_ = start + data + pointers;
    return StructBody(start, data, pointers, plan, derefs);
  }

  // The struct of `data` data words and `pointers` pointers at word `start`
  // (already read past): rule 3, then each pointer's object in order.
  WalkVerdict StructBody(size_t start, uint32_t data, uint32_t pointers,
                         const StructPlan& plan, int derefs) {
    if (!plan.modelled) return WalkVerdict::kNotSure;
    Occupancy o;
    o.data_words = plan.data_words;
    for (uint32_t i = 0; i < o.data_words; ++i) o.data[i] = 0;
    o.pointer_count = pointers < 64 ? pointers : 64;
    for (uint32_t i = 0; i < o.pointer_count; ++i) o.pointers[i] = nullptr;
    if (!Occupy(plan, start, data, o, 0)) return WalkVerdict::kNotSure;
    // Rule 3: what no active field occupies is zero or null.
    for (uint32_t i = 0; i < data; ++i) {
      const uint64_t allowed = i < o.data_words ? o.data[i] : 0;
      if ((Word(start + i) & ~allowed) != 0) return WalkVerdict::kRefused;
    }
    for (uint32_t i = 0; i < pointers; ++i) {
      const size_t at = start + data + i;
      const uint64_t w = Word(at);
      if (w == 0) continue;
      if (i >= o.pointer_count || o.pointers[i] == nullptr) {
        return WalkVerdict::kRefused;
      }
      const WalkVerdict v = Pointer(at, w, *o.pointers[i], derefs);
      if (v != WalkVerdict::kCanonical) return v;
    }
    return WalkVerdict::kCanonical;
  }

  // Adds what `plan`'s fields reachable through the active union members
  // occupy in the struct at `start` to `o`. False when not sure: an active
  // member this build does not know, or what the masks cannot model (the
  // same cases as QuickCheck's).
  bool Occupy(const StructPlan& plan, size_t start, uint32_t data, Occupancy& o,
              int group_depth) {
    if (!plan.modelled || group_depth > kMaxGroupDepth) return false;
    for (size_t i = 0; i < plan.data_mask.size() && i < o.data_words; ++i) {
      o.data[i] |= plan.data_mask[i];
    }
    for (const FieldPlan& f : plan.fields) {
      if (f.value.kind == Kind::kGroup) {
        if (!Occupy(*f.value.structure, start, data, o, group_depth + 1)) {
          return false;
        }
      } else if (!OccupyPointer(f, o)) {
        return false;
      }
    }
    if (!plan.has_union) return true;
    // The discriminant; beyond a truncated data section, 0.
    const uint64_t bit = uint64_t{plan.discriminant_offset} * 16;
    uint32_t d = 0;
    if (bit / 64 < data) {
      d = static_cast<uint32_t>(Word(start + bit / 64) >> (bit % 64)) & 0xffff;
    }
    if (d >= plan.members.size()) return false;  // unknown member
    const FieldPlan& m = plan.members[d];
    if (m.value.kind == Kind::kGroup) {
      return Occupy(*m.value.structure, start, data, o, group_depth + 1);
    }
    if (m.pointer >= 0) return OccupyPointer(m, o);
    for (uint32_t b = m.bit; b < m.bit + m.bits; ++b) {
      if (b / 64 >= o.data_words) return false;
      o.data[b / 64] |= uint64_t{1} << (b % 64);
    }
    return true;
  }

  static bool OccupyPointer(const FieldPlan& f, Occupancy& o) {
    if (f.pointer < 0) return true;  // in the data section: the masks
    if (f.pointer >= 64) return false;
    const uint32_t i = static_cast<uint32_t>(f.pointer);
    if (i >= o.pointer_count) return true;       // beyond the section: null
    if (o.pointers[i] != nullptr) return false;  // two fields: not modelled
    o.pointers[i] = &f.value;
    return true;
  }

  // The non-null pointer `w` at word `at`, of a field or element planned as
  // `v`, in an object `derefs` pointers from the root.
  WalkVerdict Pointer(size_t at, uint64_t w, const ValuePlan& v, int derefs) {
    const uint32_t tag = Tag(w);
    if (tag >= 2) return WalkVerdict::kRefused;  // far, capability
    switch (v.kind) {
      case Kind::kStruct:
        if (tag != 0) return WalkVerdict::kRefused;  // rule 1
        return StructPointer(at, w, *v.structure, derefs + 1);
      case Kind::kText:
      case Kind::kData:
        if (tag != 1 || ElementSizeOf(w) != kByte) {
          return WalkVerdict::kRefused;  // rule 1
        }
        return List(at, w, v, derefs + 1);
      case Kind::kList:
        if (tag != 1 || ElementSizeOf(w) != ListSizeOf(v.element_size)) {
          return WalkVerdict::kRefused;  // rule 1
        }
        return List(at, w, v, derefs + 1);
      case Kind::kUnsupported:
        return WalkVerdict::kRefused;  // CheckEncoding refuses it
      default:
        return WalkVerdict::kNotSure;  // never a pointer field
    }
  }

  // The list pointer `w` at word `at` (its element size is `v`'s).
  WalkVerdict List(size_t at, uint64_t w, const ValuePlan& v, int derefs) {
    if (derefs > kMaxDerefs) return WalkVerdict::kNotSure;
    const int64_t target = Target(at, w);
    if (target != static_cast<int64_t>(head_)) {
      return WalkVerdict::kRefused;  // a gap, an overlap, out of order
    }
    const uint32_t size = ElementSizeOf(w);
    const uint64_t count = ElementCount(w);
    if (size == kInlineComposite) return StructList(target, w, v, derefs);
    if (!Fits(target, 0)) return WalkVerdict::kRefused;
    const size_t start = static_cast<size_t>(target);
    if (size == kPointer) {
      if (!Fits(target, count)) return WalkVerdict::kRefused;
      head_ = start + count;
      for (uint64_t i = 0; i < count; ++i) {
        const uint64_t e = Word(start + i);
        if (e == 0) continue;
        const WalkVerdict r = Pointer(start + i, e, *v.element, derefs);
        if (r != WalkVerdict::kCanonical) return r;
      }
      return WalkVerdict::kCanonical;
    }
    // Cap'n Proto counts a list of voids against the traversal limit by its
    // element count, which the walk does not model.
    if (size == kVoid && count > 0) return WalkVerdict::kNotSure;
    const uint64_t bits = count * kBitsPerElement[size];
    const uint64_t words = (bits + 63) / 64;
    if (!Fits(target, words)) return WalkVerdict::kRefused;
    if (bits % 64 != 0 && (Word(start + words - 1) >> (bits % 64)) != 0) {
      return WalkVerdict::kRefused;  // padding after the last element
    }
    head_ = start + words;
    if (v.kind == Kind::kText && texts_) {
      // As capnp::Text reads it: the bytes up to a NUL that ends them.
      const char* text = base_ + start * 8;
      if (count == 0 || text[count - 1] != '\0') return WalkVerdict::kNotSure;
      if (!TextValueAllowed(std::string_view(text, count - 1), v.lines)) {
        return WalkVerdict::kNotSure;
      }
    }
    return WalkVerdict::kCanonical;
  }

  // An inline-composite list (a list of structs) whose pointer is `w`; its
  // tag is at word `target`.
  WalkVerdict StructList(int64_t target, uint64_t w, const ValuePlan& v,
                         int derefs) {
    const uint64_t words = ElementCount(w);  // after the tag
    if (!Fits(target, words + 1)) return WalkVerdict::kRefused;
    const size_t start = static_cast<size_t>(target);
    const uint64_t tag = Word(start);
    if (Tag(tag) != 0) return WalkVerdict::kRefused;
    // The element count: 29 bits from bit 2. Cap'n Proto reads no more (an
    // element count is 29 bits everywhere) and its isCanonical() accepts bit
    // 31 set, but the canonical re-encoding clears it, and piaojue refuses
    // bytes that are not their re-encoding (docs/FORMAT.md, "Canonical
    // Cap'n Proto"; IsCanonicalMessage).
    if ((tag >> 31) & 1) return WalkVerdict::kRefused;
    const uint64_t count = (tag >> 2) & 0x1fffffff;
    const uint32_t data = DataWords(tag);
    const uint32_t pointers = PointerCount(tag);
    const uint64_t per = uint64_t{data} + pointers;
    if (count * per != words) return WalkVerdict::kRefused;
    if (per == 0) {
      // Elements of no words: Cap'n Proto counts them against the traversal
      // limit one by one; only the empty list is modelled.
      if (count != 0) return WalkVerdict::kNotSure;
      head_ = start + 1;
      return WalkVerdict::kCanonical;
    }
    if (v.element->kind != Kind::kStruct) return WalkVerdict::kNotSure;
    const size_t first = start + 1;
    // The element sizes are the smallest that hold every element.
    bool data_used = data == 0, pointers_used = pointers == 0;
    for (uint64_t e = 0; e < count; ++e) {
      const size_t at = first + e * per;
      if (data > 0 && Word(at + data - 1) != 0) data_used = true;
      if (pointers > 0 && Word(at + per - 1) != 0) pointers_used = true;
    }
    if (!data_used || !pointers_used) return WalkVerdict::kRefused;
    // The elements' objects follow the last element.
    head_ = first + words;
    for (uint64_t e = 0; e < count; ++e) {
      const WalkVerdict r = StructBody(first + e * per, data, pointers,
                                       *v.element->structure, derefs);
      if (r != WalkVerdict::kCanonical) return r;
    }
    return WalkVerdict::kCanonical;
  }

  const char* base_;
  size_t size_;  // in words
  size_t head_ = 0;
  bool texts_;
};

thread_local bool exact_decoding_forced = false;

}  // namespace

bool IsCanonicalMessage(
    kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments,
    const capnp::ReaderOptions& options) {
  {
    capnp::SegmentArrayMessageReader check(segments, options);
    if (!check.isCanonical()) return false;
  }
  // A reader of its own: each has its own traversal budget, and both checks
  // read the whole message.
  capnp::SegmentArrayMessageReader reader(segments, options);
  const kj::Array<capnp::word> again =
      reader.getRoot<capnp::AnyStruct>().canonicalize();
  const kj::ArrayPtr<const capnp::word> bytes = segments[0];
  return again.size() == bytes.size() &&
         std::memcmp(again.begin(), bytes.begin(),
                     bytes.size() * sizeof(capnp::word)) == 0;
}

WalkVerdict CanonicalWalk(std::string_view bytes, const StructPlan& plan,
                          bool texts) {
  if (bytes.size() % 8 != 0) return WalkVerdict::kRefused;
  return Walker(bytes, texts).Root(plan);
}

ExactDecodingOnly::ExactDecodingOnly() : was_(exact_decoding_forced) {
  exact_decoding_forced = true;
}

ExactDecodingOnly::~ExactDecodingOnly() { exact_decoding_forced = was_; }

bool ExactDecodingForced() { return exact_decoding_forced; }

}  // namespace piaojue::ledger::internal
