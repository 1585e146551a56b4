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

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

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
    std::vector<std::shared_ptr<V>> vals;     // the bottom level
  };
  static constexpr int kMaxLevels = 11;  // 6 bits each: all 64-bit keys

  static unsigned Digit(uint64_t k, int level) {
    return static_cast<unsigned>(k >> (6 * (level - 1))) & 63u;
  }
  static bool Has(uint64_t bits, unsigned d) { return (bits >> d) & 1u; }
  static size_t Slot(uint64_t bits, unsigned d) {
    return static_cast<size_t>(std::popcount(bits & ((uint64_t{1} << d) - 1)));
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
                     std::make_shared<V>());
      n->bits |= uint64_t{1} << d;
      ++size_;
      return n->vals[s].get();
    }
    return OwnedCopy(n->vals[s]);
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

}  // namespace piaojue::projections::internal
