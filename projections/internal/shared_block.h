// A block of memory shared by the copies of a state that hold it, with the
// count of its holders inside the block: 8 bytes in a record where a
// std::shared_ptr takes 16. The texts and records of the rules' model are
// held this way (CompactText, TitleAndLocation, Held): a province's state
// holds a few hundred thousand of them, and a past state kept in memory
// shares every one it did not change.

#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace piaojue::projections::internal {

// Holds a Block whose first member is `std::atomic<uint32_t> refs`, 1 when
// the block is made; the last holder to let go calls Free(block). The count
// is atomic because distinct copies of a state may be released on distinct
// threads (an HTTP worker drops an old state while the writer folds).
template <typename Block, void (*Free)(Block*)>
class SharedBlock {
 public:
  SharedBlock() = default;
  // Takes over a block just made (its count 1), or none.
  explicit SharedBlock(Block* made) noexcept : p_(made) {}
  SharedBlock(const SharedBlock& o) noexcept : p_(o.p_) {
    if (p_ != nullptr) p_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  SharedBlock(SharedBlock&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  // By value: safe when `o` holds this very block.
  SharedBlock& operator=(SharedBlock o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~SharedBlock() {
    if (p_ != nullptr &&
        p_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      Free(p_);
    }
  }

  Block* get() const { return p_; }

  // Whether this is the block's only holder, who may then write it. A count
  // of 1 cannot rise under us (only a holder makes copies), and the acquire
  // pairs with the release of the decrement by the holder that let go last.
  bool sole() const {
    if (p_->refs.load(std::memory_order_relaxed) != 1) return false;
    std::atomic_thread_fence(std::memory_order_acquire);
    return true;
  }

 private:
  Block* p_ = nullptr;
};

// For a Header followed in one allocation by `bytes` more bytes: the block
// made (count 1), and the Free that releases it.
template <typename Header>
Header* NewWithBytes(size_t bytes) {
  return new (::operator new(sizeof(Header) + bytes)) Header;
}
template <typename Header>
void FreeWithBytes(Header* h) {
  h->~Header();
  ::operator delete(h);
}

// For a Block made by `new`.
template <typename Block>
void Delete(Block* b) {
  delete b;
}

}  // namespace piaojue::projections::internal
