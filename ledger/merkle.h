// RFC 6962 (Certificate Transparency) Merkle tree hashing, proofs and their
// verification, over stored nodes. See docs/FORMAT.md, "Merkle tree".
//
//   leaf hash  = SHA-256(0x00 || entry bytes)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH({})    = SHA-256("")
//
// Storage model (shared with C2SP tlog-tiles): the tree is kept as its
// *complete* subtrees only. Node (level L, index N) is the root of the perfect
// subtree over leaves [N * 2^L, (N + 1) * 2^L); level 0 holds the leaf hashes.
// Incomplete right-edge subtrees are never stored: they are recomputed from at
// most log2(n) complete nodes, so any root, inclusion proof or consistency
// proof for any tree size costs O(log n) node reads.
//
// Thread-safety: free functions are pure. A NodeReader must be safe to call
// from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/status.h"

namespace piaojue::merkle {

using crypto::Hash;

Hash LeafHash(crypto::Bytes entry);
Hash NodeHash(const Hash& left, const Hash& right);
// SHA-256 of the empty string: the root of the empty tree.
Hash EmptyRoot();

// Reads the stored complete node (level, index). Must return NotFound (or
// another error) for a node that is not stored; the functions below only ask
// for nodes that exist in a tree of the size they were given.
using NodeReader = std::function<Result<Hash>(uint8_t level, uint64_t index)>;

// Root hash of the leaves [begin, end) of a tree with at least `end` leaves.
// begin must be a multiple of the largest power of two <= (end - begin) when
// the range is an RFC 6962 subtree; any range is accepted and hashed as
// MTH(D[begin:end]).
Result<Hash> SubtreeRoot(const NodeReader& read, uint64_t begin, uint64_t end);

// MTH of the first `size` leaves.
Result<Hash> RootAt(const NodeReader& read, uint64_t size);

// RFC 6962 section 2.1.1 audit path for leaf `index` in the tree of `size`
// leaves, ordered from the leaf upward. OutOfRange if index >= size.
Result<std::vector<Hash>> InclusionProof(const NodeReader& read, uint64_t index,
                                         uint64_t size);

// RFC 6962 section 2.1.2 consistency proof between the trees of `old_size`
// and `new_size` leaves. Empty when old_size == new_size or old_size == 0.
// OutOfRange if old_size > new_size.
Result<std::vector<Hash>> ConsistencyProof(const NodeReader& read,
                                           uint64_t old_size,
                                           uint64_t new_size);

// RFC 9162 section 2.1.3.2 verification. OK when the proof shows that
// `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`;
// Corruption (with a reason) otherwise.
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       const std::vector<Hash>& proof, const Hash& root);

// RFC 9162 section 2.1.4.2 verification. OK when the proof shows the tree of
// `old_size` leaves with `old_root` is a prefix of the tree of `new_size`
// leaves with `new_root`; Corruption otherwise.
Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                         const std::vector<Hash>& proof, const Hash& old_root,
                         const Hash& new_root);

// One complete node produced by an append, to be stored by the caller.
struct StoredNode {
  uint8_t level;
  uint64_t index;
  Hash hash;
};

// The right edge of the tree: the roots of the complete subtrees that cover
// leaves [0, size), largest first (one per set bit of size). Appending needs
// only this, never a read.
class Frontier {
 public:
  Frontier() = default;

  // Rebuilds the frontier of a stored tree of `size` leaves with O(log n)
  // reads (used when a ledger is opened).
  static Result<Frontier> Load(const NodeReader& read, uint64_t size);

  uint64_t size() const { return size_; }

  // Appends one leaf hash; returns the complete nodes this creates (the leaf
  // itself at level 0, then one node per level it completes). The caller
  // stores them in the same write as the entry.
  std::vector<StoredNode> Append(const Hash& leaf_hash);
  // The same append for a caller that stores no node (the verifier): no
  // list of nodes is made, which was an allocation or two per entry.
  void AppendUnstored(const Hash& leaf_hash);

  // MTH of the current tree, from the frontier alone.
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  // subtrees_[i] is the root of a complete subtree; levels strictly decrease.
  struct Subtree {
    uint8_t level;
    Hash hash;
  };
  std::vector<Subtree> subtrees_;
  // Append, each completed node also added to `created` unless it is null.
  void Push(const Hash& leaf_hash, std::vector<StoredNode>* created);
};

}  // namespace piaojue::merkle
