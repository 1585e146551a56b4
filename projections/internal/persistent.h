// Containers for the fold's records that share structure between copies.
//
// A State is copied whenever the server publishes a read snapshot (and kept
// for past states); with plain std::map the copy costs the whole state and
// the server holds the state once per copy. These containers make a copy
// cost a few pointers and keep everything a later change does not touch
// shared between the copies: a change copies only the path to what it
// changes (copy-on-write). Nothing shared is ever written, so a reader's
// copy never changes under it.
//
// Whether a node is shared is read from its shared_ptr's use count: a node
// only this container holds (count 1) is written in place. Another copy can
// only release its hold concurrently (never take a new one: copies are made
// from a container, not from a node), so a count of 1 cannot rise; the
// acquire fence pairs with the release in that other copy's decrement, so
// its reads of the node happen before our writes.
//
// Not thread-safe for writes: one writer per container; any number of
// threads may read distinct copies (or one copy nobody writes).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "projections/internal/shared_block.h"

namespace piaojue::projections::internal {

// `p` made the only holder of its object: copied first if shared, created
// if null.
template <typename T>
T* OwnedCopy(std::shared_ptr<T>& p) {
  if (p == nullptr) {
    p = std::make_shared<T>();
  } else if (p.use_count() != 1) {
    p = std::make_shared<T>(std::as_const(*p));
  } else {
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return p.get();
}

// A value of type T shared between copies until one of them changes it
// (then only that copy gets its own). For small or rarely changed
// containers (the jurisdictions, the key registry): a change copies the
// whole T while it is shared.
template <typename T>
class Shared {
 public:
  Shared() : p_(std::make_shared<T>()) {}
  const T& operator*() const { return *p_; }
  const T* operator->() const { return p_.get(); }
  // The value, this copy's own from now on.
  T& mut() { return *OwnedCopy(p_); }

  // The read-only part of the usual container interface.
  auto begin() const { return std::as_const(*p_).begin(); }
  auto end() const { return std::as_const(*p_).end(); }
  auto size() const { return p_->size(); }
  bool empty() const { return p_->empty(); }
  template <typename K>
  auto find(const K& k) const {
    return std::as_const(*p_).find(k);
  }
  template <typename K>
  auto count(const K& k) const {
    return p_->count(k);
  }
  template <typename K>
  decltype(auto) at(const K& k) const {
    return std::as_const(*p_).at(k);
  }
  template <typename K>
  decltype(auto) operator[](const K& k) const {
    return std::as_const(*p_)[k];
  }

 private:
  std::shared_ptr<T> p_;
};

// One value of an IndexMap, shared between copies of the map like a
// std::shared_ptr (a count of its holders; `Own` copies it first while
// another holds it), in 8 bytes and a block 8 bytes above the value's own
// size where a shared_ptr takes 16 and a block 16 above it: a value is held
// by one of these for every record of the model (a few hundred thousand in
// a province).
template <typename V>
class Held {
  struct Block {
    std::atomic<uint32_t> refs{1};
    V value;
  };

 public:
  Held() = default;
  // A new value, V(args...).
  template <typename... Args>
  static Held Make(Args&&... args) {
    Held h;
    h.p_ = Shared(new Block{{1}, V(std::forward<Args>(args)...)});
    return h;
  }
  const V* get() const {
    const Block* b = p_.get();
    return b != nullptr ? &b->value : nullptr;
  }
  // The value, this holder's own (copied first if another holds it too).
  V* Own() {
    if (!p_.sole()) *this = Make(std::as_const(p_.get()->value));
    return &p_.get()->value;
  }

 private:
  using Shared = SharedBlock<Block, Delete<Block>>;
  Shared p_;
};

// The number of bits set in `bits`, as std::popcount. On x86-64 without the
// POPCNT instruction (the build targets generic x86-64) GCC makes
// std::popcount a call into libgcc (__popcountdi2), about 1% of a
// verification's samples through IndexMap's lookups; this sum of bit fields
// stays inline. Elsewhere std::popcount is already inline.
inline int CountOnes(uint64_t bits) {
#if (defined(__x86_64__) || defined(__i386__)) && !defined(__POPCNT__)
  bits -= (bits >> 1) & 0x5555555555555555u;  // 2-bit counts
  bits = (bits & 0x3333333333333333u) + ((bits >> 2) & 0x3333333333333333u);
  bits = (bits + (bits >> 4)) & 0x0F0F0F0F0F0F0F0Fu;            // 8-bit counts
  return static_cast<int>((bits * 0x0101010101010101u) >> 56);  // their sum
#else
  return std::popcount(bits);
#endif
}

// An ordered map from uint64_t keys (log indices) to V: a 64-way trie whose
// nodes store only the children that exist (a bitmap and a dense array), so
// a lookup or a change walks at most 11 nodes (4 below 2^24 keys), and a
// change copies at most those nodes and the one value.
//
// The read interface follows std::map (find/end/at/count/size, iteration in
// key order yielding {first, second}); writes are explicit: slot(k) (insert
// a default value if absent), find_mut(k), mut(k), erase(k), push_back.
template <typename V>
class IndexMap {
  struct Node {
    uint64_t bits = 0;                        // which of the 64 children exist
    std::vector<std::shared_ptr<Node>> kids;  // above the bottom level
    std::vector<Held<V>> vals;                // the bottom level
  };
  static constexpr int kMaxLevels = 11;  // 6 bits each: all 64-bit keys

  static unsigned Digit(uint64_t k, int level) {
    return static_cast<unsigned>(k >> (6 * (level - 1))) & 63u;
  }
  static bool Has(uint64_t bits, unsigned d) { return (bits >> d) & 1u; }
  static size_t Slot(uint64_t bits, unsigned d) {
    return static_cast<size_t>(CountOnes(bits & ((uint64_t{1} << d) - 1)));
  }
  // Whether keys up to `k` fit under a root of `levels` levels.
  static bool Fits(uint64_t k, int levels) {
    return levels >= kMaxLevels || (k >> (6 * levels)) == 0;
  }

 public:
  // What iteration yields: the key and a reference to its value.
  struct Item {
    uint64_t first;
    const V& second;
  };

  class const_iterator {
   public:
    const_iterator() = default;
    Item operator*() const { return Item{key_, *Value()}; }
    const Item* operator->() const {
      item_.emplace(Item{key_, *Value()});
      return &*item_;
    }
    const_iterator& operator++() {
      Advance();
      return *this;
    }
    bool operator==(const const_iterator& o) const {
      return depth_ == o.depth_ && (depth_ == 0 || key_ == o.key_);
    }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class IndexMap;
    const V* Value() const {
      const Node* n = nodes_[depth_ - 1];
      const unsigned d =
          static_cast<unsigned>(std::countr_zero(rest_[depth_ - 1]));
      return n->vals[Slot(n->bits, d)].get();
    }
    void RebuildKey() {
      key_ = 0;
      for (int i = 0; i < depth_; ++i) {
        key_ = (key_ << 6) | static_cast<uint64_t>(std::countr_zero(rest_[i]));
      }
    }
    // From frame depth_-1 (whose rest_ is set), down to the bottom along the
    // smallest keys.
    void DescendFirst(int levels) {
      while (depth_ < levels) {
        const Node* n = nodes_[depth_ - 1];
        const unsigned d =
            static_cast<unsigned>(std::countr_zero(rest_[depth_ - 1]));
        const Node* child = n->kids[Slot(n->bits, d)].get();
        nodes_[depth_] = child;
        rest_[depth_] = child->bits;
        ++depth_;
      }
      RebuildKey();
    }
    void Advance() {
      const int levels = depth_;
      while (depth_ > 0) {
        uint64_t& rest = rest_[depth_ - 1];
        rest &= rest - 1;
        if (rest != 0) {
          DescendFirst(levels);
          return;
        }
        --depth_;
      }
    }
    std::array<const Node*, kMaxLevels> nodes_{};
    std::array<uint64_t, kMaxLevels> rest_{};  // children not yet passed
    int depth_ = 0;                            // 0: end()
    uint64_t key_ = 0;
    mutable std::optional<Item> item_;
  };
  using iterator = const_iterator;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const V* get(uint64_t k) const {
    if (root_ == nullptr || !Fits(k, levels_)) return nullptr;
    const Node* n = root_.get();
    for (int l = levels_; l > 1; --l) {
      const unsigned d = Digit(k, l);
      if (!Has(n->bits, d)) return nullptr;
      n = n->kids[Slot(n->bits, d)].get();
    }
    const unsigned d = Digit(k, 1);
    if (!Has(n->bits, d)) return nullptr;
    return n->vals[Slot(n->bits, d)].get();
  }
  size_t count(uint64_t k) const { return get(k) != nullptr ? 1 : 0; }
  bool contains(uint64_t k) const { return get(k) != nullptr; }
  const V& at(uint64_t k) const {
    const V* v = get(k);
    if (v == nullptr) throw std::out_of_range("IndexMap::at");
    return *v;
  }
  const V& operator[](uint64_t k) const { return at(k); }

  const_iterator begin() const {
    const_iterator it;
    if (root_ == nullptr) return it;
    it.nodes_[0] = root_.get();
    it.rest_[0] = root_->bits;
    it.depth_ = 1;
    it.DescendFirst(levels_);
    return it;
  }
  const_iterator end() const { return const_iterator(); }
  const_iterator find(uint64_t k) const {
    if (root_ == nullptr || !Fits(k, levels_)) return end();
    const_iterator it;
    const Node* n = root_.get();
    for (int l = levels_; l >= 1; --l) {
      const unsigned d = Digit(k, l);
      if (!Has(n->bits, d)) return end();
      it.nodes_[it.depth_] = n;
      it.rest_[it.depth_] = n->bits & ~((uint64_t{1} << d) - 1);
      ++it.depth_;
      if (l > 1) n = n->kids[Slot(n->bits, d)].get();
    }
    it.key_ = k;
    return it;
  }

  // The value of `k`, this copy's own (copied if shared); inserted as V()
  // if absent.
  V& slot(uint64_t k) { return *Mutable(k); }
  // The value of `k`, this copy's own; nullptr if absent.
  V* find_mut(uint64_t k) { return get(k) == nullptr ? nullptr : Mutable(k); }
  V& mut(uint64_t k) {
    V* v = find_mut(k);
    if (v == nullptr) throw std::out_of_range("IndexMap::mut");
    return *v;
  }
  // Inserts `v` at `k` unless present; true if inserted.
  bool emplace(uint64_t k, V v) {
    if (get(k) != nullptr) return false;
    *Mutable(k) = std::move(v);
    return true;
  }
  // For dense maps (keys 0..size()-1): appends at key size().
  void push_back(V v) { *Mutable(size_) = std::move(v); }
  // Removes `k`; false if absent.
  bool erase(uint64_t k) {
    if (get(k) == nullptr) return false;
    EraseIn(root_, levels_, k);
    --size_;
    if (root_->bits == 0) {
      root_.reset();
      levels_ = 0;
    }
    return true;
  }

 private:
  V* Mutable(uint64_t k) {
    if (root_ == nullptr) {
      levels_ = 1;
      while (!Fits(k, levels_)) ++levels_;
    }
    while (!Fits(k, levels_)) {
      auto up = std::make_shared<Node>();
      up->bits = 1;  // child 0: every key so far is below the new range
      up->kids.push_back(std::move(root_));
      root_ = std::move(up);
      ++levels_;
    }
    Node* n = OwnedCopy(root_);
    for (int l = levels_; l > 1; --l) {
      const unsigned d = Digit(k, l);
      const size_t s = Slot(n->bits, d);
      if (!Has(n->bits, d)) {
        n->kids.insert(n->kids.begin() + static_cast<ptrdiff_t>(s),
                       std::make_shared<Node>());
        n->bits |= uint64_t{1} << d;
      }
      n = OwnedCopy(n->kids[s]);
    }
    const unsigned d = Digit(k, 1);
    const size_t s = Slot(n->bits, d);
    if (!Has(n->bits, d)) {
      n->vals.insert(n->vals.begin() + static_cast<ptrdiff_t>(s),
                     Held<V>::Make());
      n->bits |= uint64_t{1} << d;
      ++size_;
      return n->vals[s].Own();
    }
    return n->vals[s].Own();
  }
  static void EraseIn(std::shared_ptr<Node>& p, int level, uint64_t k) {
    Node* n = OwnedCopy(p);
    const unsigned d = Digit(k, level);
    const size_t s = Slot(n->bits, d);
    if (level == 1) {
      n->vals.erase(n->vals.begin() + static_cast<ptrdiff_t>(s));
      n->bits &= ~(uint64_t{1} << d);
      return;
    }
    EraseIn(n->kids[s], level - 1, k);
    if (n->kids[s]->bits == 0) {
      n->kids.erase(n->kids.begin() + static_cast<ptrdiff_t>(s));
      n->bits &= ~(uint64_t{1} << d);
    }
  }

  std::shared_ptr<Node> root_;
  int levels_ = 0;  // the root covers keys below 2^(6 * levels_)
  size_t size_ = 0;
};

// A dense table of T indexed 0..size()-1 (what the fold keeps for every
// entry), stored in chunks of kChunk values inline, the chunks held by an
// IndexMap: no allocation per element (one per kChunk elements), and a
// change copies only its chunk (kChunk values) and the trie nodes above it
// while another copy shares them. For small, trivially copyable T: a
// shared chunk is copied whole on the first change after a copy.
template <typename T>
class DenseTable {
  static_assert(std::is_trivially_copyable_v<T>,
                "a chunk is copied whole on a change while it is shared");

 public:
  static constexpr size_t kChunk = 64;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Element i; nullptr if i >= size().
  const T* get(uint64_t i) const {
    if (i >= size_) return nullptr;
    return &(*chunks_.get(i / kChunk))[i % kChunk];
  }
  const T& operator[](uint64_t i) const { return at(i); }
  const T& at(uint64_t i) const {
    const T* v = get(i);
    if (v == nullptr) throw std::out_of_range("DenseTable::at");
    return *v;
  }
  // Element i, this copy's own (its chunk copied if shared).
  T& mut(uint64_t i) {
    if (i >= size_) throw std::out_of_range("DenseTable::mut");
    return chunks_.slot(i / kChunk)[i % kChunk];
  }
  // Appends at index size().
  void push_back(const T& v) {
    chunks_.slot(size_ / kChunk)[size_ % kChunk] = v;
    ++size_;
  }

 private:
  IndexMap<std::array<T, kChunk>> chunks_;
  size_t size_ = 0;
};

// A list that only grows at its end (an audit trail, a cycle's proposals),
// whose elements are shared between copies: copying the list costs two
// words, and appending to a copy copies no element in the usual case.
//
// The elements live in chunks of doubling capacity (2, 4, 8, ... elements;
// kFirstChunk), each chunk pointing to the one before it; a list is its last
// chunk and its size. A chunk's slot is written once: an append claims the
// next slot of the last chunk (an atomic count of the slots claimed) and
// constructs the element there, so every copy that is at that size can go on
// appending into the same chunk without copying, and a copy that is behind
// (another copy already claimed the slot it needs) copies only its own part
// of that last chunk (at most half of its elements) before appending. A
// list never reads past its own size, so it never sees what another copy
// appended; nothing it can read is ever written again.
//
// Thread safety as for the containers above: one writer per copy; the slot
// claim is atomic, so distinct copies sharing a chunk may be written by
// distinct threads.
template <typename T>
class AppendList {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "an element is moved into its claimed slot, which must not "
                "fail");
  static constexpr size_t kFirstChunk = 2;

  struct Chunk {
    std::atomic<uint32_t> refs{1};
    std::atomic<uint32_t> filled{0};  // slots claimed (then constructed)
    uint32_t cap = 0;
    size_t start = 0;       // the list index of data()[0]
    Chunk* prev = nullptr;  // owned: one reference
    T* data() { return reinterpret_cast<T*>(this + 1); }
    const T* data() const { return reinterpret_cast<const T*>(this + 1); }
  };
  // The elements follow the chunk's header in the same allocation.
  static_assert(alignof(T) <= alignof(std::max_align_t) &&
                sizeof(Chunk) % alignof(T) == 0);

  static Chunk* NewChunk(size_t start, size_t cap, Chunk* prev) {
    void* mem = ::operator new(sizeof(Chunk) + cap * sizeof(T));
    Chunk* c = new (mem) Chunk;
    c->cap = static_cast<uint32_t>(cap);
    c->start = start;
    c->prev = prev;
    return c;
  }
  static void Ref(Chunk* c) {
    if (c != nullptr) c->refs.fetch_add(1, std::memory_order_relaxed);
  }
  static void Unref(Chunk* c) {
    while (c != nullptr &&
           c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      Chunk* prev = c->prev;
      const uint32_t n = c->filled.load(std::memory_order_relaxed);
      for (uint32_t i = 0; i < n; ++i) c->data()[i].~T();
      c->~Chunk();
      ::operator delete(c);
      c = prev;
    }
  }
  // The chunk holding index i (< size_).
  const Chunk* ChunkOf(size_t i) const {
    const Chunk* c = tail_;
    while (c->start > i) c = c->prev;
    return c;
  }

 public:
  using value_type = T;
  using size_type = size_t;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    const T& operator*() const { return chunk_->data()[i_ - chunk_->start]; }
    const T* operator->() const { return &**this; }
    const_iterator& operator++() {
      ++i_;
      if (i_ < list_->size_ && i_ - chunk_->start >= chunk_->cap) {
        chunk_ = list_->ChunkOf(i_);
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    friend class AppendList;
    const AppendList* list_ = nullptr;
    const Chunk* chunk_ = nullptr;
    size_t i_ = 0;
  };
  using iterator = const_iterator;

  AppendList() = default;
  AppendList(std::initializer_list<T> init) {
    for (const T& v : init) push_back(v);
  }
  AppendList(const AppendList& o) : tail_(o.tail_), size_(o.size_) {
    Ref(tail_);
  }
  AppendList(AppendList&& o) noexcept : tail_(o.tail_), size_(o.size_) {
    o.tail_ = nullptr;
    o.size_ = 0;
  }
  AppendList& operator=(const AppendList& o) {
    if (this != &o) {
      Ref(o.tail_);
      Unref(tail_);
      tail_ = o.tail_;
      size_ = o.size_;
    }
    return *this;
  }
  AppendList& operator=(AppendList&& o) noexcept {
    if (this != &o) {
      Unref(tail_);
      tail_ = std::exchange(o.tail_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~AppendList() { Unref(tail_); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const {
    const Chunk* c = ChunkOf(i);
    return c->data()[i - c->start];
  }
  const T& at(size_t i) const {
    if (i >= size_) throw std::out_of_range("AppendList::at");
    return (*this)[i];
  }
  const T& front() const { return (*this)[0]; }
  const T& back() const { return tail_->data()[size_ - 1 - tail_->start]; }

  const_iterator begin() const {
    const_iterator it;
    it.list_ = this;
    if (size_ > 0) it.chunk_ = ChunkOf(0);
    return it;
  }
  const_iterator end() const {
    const_iterator it;
    it.list_ = this;
    it.i_ = size_;
    return it;
  }

  void push_back(T v) { Append(std::move(v)); }
  // The element appended, writable in place until this list is next copied
  // (no other copy can see it before then).
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    return Append(T(std::forward<Args>(args)...));
  }
  void clear() {
    Unref(tail_);
    tail_ = nullptr;
    size_ = 0;
  }

  // Element i, this copy's own: written in place if no other copy can reach
  // it, else the whole list is first copied into one chunk of this copy's
  // own (for corrections, which are rare; appending never needs it).
  T& mut(size_t i) {
    if (i >= size_) throw std::out_of_range("AppendList::mut");
    bool alone = true;
    for (Chunk* c = tail_; alone; c = c->prev) {
      alone = c->refs.load(std::memory_order_relaxed) == 1;
      if (c->start <= i) break;
    }
    if (alone) {
      std::atomic_thread_fence(std::memory_order_acquire);
    } else {
      Rebuild([](const T&) { return true; });
    }
    Chunk* c = tail_;
    while (c->start > i) c = c->prev;
    return c->data()[i - c->start];
  }
  // Removes the elements for which pred is true; returns how many. Copies
  // the list (for corrections, which are rare).
  template <typename Pred>
  size_t erase_if(Pred pred) {
    const size_t before = size_;
    if (std::any_of(begin(), end(), pred)) {
      Rebuild([&](const T& v) { return !pred(v); });
    }
    return before - size_;
  }

  friend bool operator==(const AppendList& a, const AppendList& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  T& Append(T v) {
    if (tail_ == nullptr || size_ - tail_->start == tail_->cap) {
      // A new chunk after ours (a copy that filled the same chunk further
      // has its own next chunk; ours is independent of it).
      const size_t cap =
          tail_ == nullptr ? kFirstChunk : 2 * size_t{tail_->cap};
      tail_ = NewChunk(size_, cap, tail_);  // takes our reference to the old
    } else {
      const uint32_t ours = static_cast<uint32_t>(size_ - tail_->start);
      uint32_t expected = ours;
      if (tail_->filled.compare_exchange_strong(expected, ours + 1,
                                                std::memory_order_acq_rel)) {
        T* slot = tail_->data() + ours;
        new (slot) T(std::move(v));
        ++size_;
        return *slot;
      }
      // Another copy appended here first: our own copy of our part.
      Chunk* mine = NewChunk(tail_->start, tail_->cap, tail_->prev);
      Ref(tail_->prev);
      try {
        for (uint32_t i = 0; i < ours; ++i) {
          new (mine->data() + i) T(std::as_const(tail_->data()[i]));
          mine->filled.store(i + 1, std::memory_order_relaxed);
        }
      } catch (...) {
        Unref(mine);  // the list is unchanged
        throw;
      }
      Unref(tail_);
      tail_ = mine;
    }
    // tail_ is ours alone here and slot size_ - start is its next.
    const uint32_t at = static_cast<uint32_t>(size_ - tail_->start);
    T* slot = tail_->data() + at;
    new (slot) T(std::move(v));
    tail_->filled.store(at + 1, std::memory_order_relaxed);
    ++size_;
    return *slot;
  }

  // Replaces the list by a copy of the elements `keep` accepts, in one
  // chunk of its own.
  template <typename Keep>
  void Rebuild(Keep keep) {
    size_t n = 0;
    for (const T& v : *this) n += keep(v) ? 1 : 0;
    if (n == 0) {
      clear();
      return;
    }
    Chunk* mine = NewChunk(0, std::bit_ceil(std::max(n, kFirstChunk)), nullptr);
    try {
      uint32_t at = 0;
      for (const T& v : *this) {
        if (!keep(v)) continue;
        new (mine->data() + at) T(v);
        mine->filled.store(++at, std::memory_order_relaxed);
      }
    } catch (...) {
      Unref(mine);
      throw;
    }
    Unref(tail_);
    tail_ = mine;
    size_ = n;
  }

  Chunk* tail_ = nullptr;  // one reference
  size_t size_ = 0;
};

// A map from keys to V, ordered as std::map<K, V>, for registries that grow
// with the log (the keys and who holds them): K is a std::string or a
// std::array of bytes (a key's 32 bytes, which need no block of their own
// as a std::string of them does). The entries are spread over small
// buckets by their keys' first 12 bits (an IndexMap of 4096 buckets and one
// for the empty key), so a change copies one bucket and the trie nodes
// above it, not the whole registry. A bucket is a vector of its entries in
// key order (a province: ten or so a bucket), one block where a std::map
// took one for each entry (48 bytes with malloc's header and rounding,
// ~80,000 entries in a province's registries).
template <typename V, typename K = std::string>
class StringMap {
  using Entry = std::pair<K, V>;
  using Bucket = std::vector<Entry>;
  static std::string_view BytesOf(std::string_view k) { return k; }
  template <size_t N>
  static std::string_view BytesOf(const std::array<uint8_t, N>& k) {
    return {reinterpret_cast<const char*>(k.data()), N};
  }
  // Buckets ordered as their keys are: the first byte and the high half of
  // the second, unsigned, a missing byte before any byte.
  static uint64_t BucketOf(std::string_view k) {
    uint64_t b = 0;
    for (size_t i = 0; i < 2; ++i) {
      b = (b << 9) | (i < k.size() ? 256u + static_cast<uint8_t>(k[i]) : 0u);
    }
    return b >> 4;
  }
  // The first entry of `b` whose key is not before `k` (bytes compared
  // unsigned, as std::string and std::array compare).
  template <typename B>
  static auto LowerBound(B& b, std::string_view k) {
    return std::lower_bound(b.begin(), b.end(), k,
                            [](const Entry& e, std::string_view key) {
                              return BytesOf(e.first) < key;
                            });
  }

 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The value of `k`; nullptr if absent.
  template <typename L>
  const V* get(const L& k) const {
    const std::string_view key = BytesOf(k);
    const Bucket* b = buckets_.get(BucketOf(key));
    if (b == nullptr) return nullptr;
    auto it = LowerBound(*b, key);
    return it == b->end() || BytesOf(it->first) != key ? nullptr : &it->second;
  }
  // The value of `k`, this copy's own; inserted as V() if absent.
  V& slot(const K& k) {
    const std::string_view key = BytesOf(k);
    Bucket& b = buckets_.slot(BucketOf(key));
    auto it = LowerBound(b, key);
    if (it != b.end() && BytesOf(it->first) == key) return it->second;
    if (b.size() == b.capacity()) {
      // By a quarter, not double: a bucket grows one key at a time.
      const auto at = it - b.begin();
      b.reserve(b.size() + b.size() / 4 + 1);
      it = b.begin() + at;
    }
    ++size_;
    return b.insert(it, Entry(k, V()))->second;
  }
  // Inserts `v` at `k` unless present; true if inserted.
  bool emplace(const K& k, V v) {
    if (get(k) != nullptr) return false;
    slot(k) = std::move(v);
    return true;
  }
  // Calls f(key, value) for every entry in key order.
  template <typename F>
  void ForEach(F f) const {
    for (const auto& [b, bucket] : buckets_) {
      for (const auto& [k, v] : bucket) f(k, v);
    }
  }

 private:
  IndexMap<Bucket> buckets_;
  size_t size_ = 0;
};

}  // namespace piaojue::projections::internal
