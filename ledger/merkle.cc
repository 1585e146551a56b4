#include "ledger/merkle.h"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

namespace piaojue::merkle {
namespace {

// Domain separation (RFC 6962 section 2.1): without distinct prefixes an
// interior node could be passed off as a leaf whose data is left || right.
constexpr uint8_t kLeafPrefix[1] = {0x00};
constexpr uint8_t kNodePrefix[1] = {0x01};

// RFC 6962's k: the largest power of two strictly less than n (n >= 2).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

std::string NodeName(uint8_t level, uint64_t index) {
  return "merkle node (level " + std::to_string(level) + ", index " +
         std::to_string(index) + ")";
}

// Keeps the reader's status code (NotFound and IOError mean different things
// to the caller) but says which node was being read.
Result<Hash> ReadNode(const NodeReader& read, uint8_t level, uint64_t index) {
  Result<Hash> node = read(level, index);
  if (!node.ok()) {
    return Status(node.status().code(),
                  NodeName(level, index) + ": " + node.status().message());
  }
  return node;
}

// MTH(D[begin:end]) for a range whose begin is a multiple of
// bit_floor(end - begin). Such a range is a run of complete stored nodes of
// strictly decreasing size, one per set bit of (end - begin), and RFC 6962's
// split at the largest power of two falls exactly between consecutive nodes
// of the run, so MTH nests them to the right: N0 + (N1 + (N2 + ...)).
Result<Hash> AlignedRangeRoot(const NodeReader& read, uint64_t begin,
                              uint64_t end) {
  const uint64_t n = end - begin;
  std::vector<Hash> nodes;
  nodes.reserve(std::popcount(n));
  uint64_t pos = begin;
  for (int level = std::bit_width(n) - 1; level >= 0; --level) {
    if (((n >> level) & 1) == 0) continue;
    ASSIGN_OR_RETURN(Hash node,
                     ReadNode(read, static_cast<uint8_t>(level), pos >> level));
    nodes.push_back(node);
    pos += uint64_t{1} << level;
  }
  Hash root = nodes.back();
  for (size_t i = nodes.size() - 1; i-- > 0;) root = NodeHash(nodes[i], root);
  return root;
}

// MTH(D[begin:end]) for begin < end.
Result<Hash> RangeRoot(const NodeReader& read, uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  if (begin % std::bit_floor(n) == 0) return AlignedRangeRoot(read, begin, end);
  // A misaligned range has no stored node under any of MTH's interior nodes
  // that straddle an alignment boundary, so this follows the RFC recursion
  // and costs up to O(end - begin) reads. Proofs and roots never get here:
  // every range they ask for is aligned.
  const uint64_t k = SplitPoint(n);  // n >= 2: a single leaf is aligned.
  ASSIGN_OR_RETURN(Hash left, RangeRoot(read, begin, begin + k));
  ASSIGN_OR_RETURN(Hash right, RangeRoot(read, begin + k, end));
  return NodeHash(left, right);
}

}  // namespace

Hash LeafHash(crypto::Bytes entry) {
  return crypto::Sha256({crypto::Bytes(kLeafPrefix), entry});
}

Hash NodeHash(const Hash& left, const Hash& right) {
  return crypto::Sha256({crypto::Bytes(kNodePrefix), crypto::AsBytes(left),
                         crypto::AsBytes(right)});
}

Hash EmptyRoot() { return crypto::Sha256(crypto::Bytes()); }

Result<Hash> SubtreeRoot(const NodeReader& read, uint64_t begin, uint64_t end) {
  if (begin > end) {
    return InvalidArgument("merkle subtree [" + std::to_string(begin) + ", " +
                           std::to_string(end) + ") has begin after end");
  }
  if (begin == end) return EmptyRoot();
  return RangeRoot(read, begin, end);
}

Result<Hash> RootAt(const NodeReader& read, uint64_t size) {
  return SubtreeRoot(read, 0, size);
}

// PATH(m, D[n]) unrolled: descend from the root towards the leaf, recording
// the sibling at each split, then reverse so the path runs leaf upward. Once
// the descent goes left it stays inside a complete subtree, so at most one
// sibling (the first right one) is an incomplete right-edge subtree.
Result<std::vector<Hash>> InclusionProof(const NodeReader& read, uint64_t index,
                                         uint64_t size) {
  if (index >= size) {
    return OutOfRange("inclusion proof for leaf " + std::to_string(index) +
                      " in a tree of " + std::to_string(size) + " leaves");
  }
  std::vector<Hash> path;
  path.reserve(static_cast<size_t>(std::bit_width(size)));
  uint64_t begin = 0;
  uint64_t end = size;
  while (end - begin > 1) {
    const uint64_t mid = begin + SplitPoint(end - begin);
    if (index < mid) {
      ASSIGN_OR_RETURN(Hash sibling, RangeRoot(read, mid, end));
      path.push_back(sibling);
      end = mid;
    } else {
      ASSIGN_OR_RETURN(Hash sibling, RangeRoot(read, begin, mid));
      path.push_back(sibling);
      begin = mid;
    }
  }
  std::reverse(path.begin(), path.end());
  return path;
}

// SUBPROOF(m, D[n], b) unrolled the same way. `have_root` is the RFC's b: it
// turns false once the descent goes right, because from then on the old
// tree's root is not a node of the current subtree and the verifier needs
// MTH(D[begin:old_size]) itself.
Result<std::vector<Hash>> ConsistencyProof(const NodeReader& read,
                                           uint64_t old_size,
                                           uint64_t new_size) {
  if (old_size > new_size) {
    return OutOfRange("consistency proof from tree size " +
                      std::to_string(old_size) + " to smaller size " +
                      std::to_string(new_size));
  }
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  uint64_t begin = 0;
  uint64_t end = new_size;
  bool have_root = true;
  // Invariant: begin < old_size <= end.
  while (old_size != end) {
    const uint64_t mid = begin + SplitPoint(end - begin);
    if (old_size <= mid) {
      ASSIGN_OR_RETURN(Hash right, RangeRoot(read, mid, end));
      proof.push_back(right);
      end = mid;
    } else {
      ASSIGN_OR_RETURN(Hash left, RangeRoot(read, begin, mid));
      proof.push_back(left);
      begin = mid;
      have_root = false;
    }
  }
  if (!have_root) {
    ASSIGN_OR_RETURN(Hash old_subtree, RangeRoot(read, begin, end));
    proof.push_back(old_subtree);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

// RFC 9162 section 2.1.3.2, step by step. fn is the position of the running
// hash within its level and sn the last position of that level; each proof
// hash climbs one level, and the inner loop skips levels where the running
// node is the lone right-edge node with no sibling.
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       const std::vector<Hash>& proof, const Hash& root) {
  const std::string what = "inclusion proof for leaf " + std::to_string(index) +
                           " in a tree of " + std::to_string(size) +
                           " leaves: ";
  if (index >= size) return Corruption(what + "leaf index out of range");
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) {
      return Corruption(what + "too many hashes (" +
                        std::to_string(proof.size()) + ")");
    }
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Corruption(what + "too few hashes (" + std::to_string(proof.size()) +
                      ")");
  }
  if (r != root) return Corruption(what + "computed root does not match");
  return Status::Ok();
}

// RFC 9162 section 2.1.4.2 covers 0 < old_size < new_size; the two edge cases
// it leaves out are decided here:
//  - old_size == new_size: the trees are the same tree, so the proof must be
//    empty and the roots equal.
//  - old_size == 0: nothing is provable (the RFC algorithm needs a node of the
//    old tree), and the empty tree is a prefix of every tree, so only an empty
//    proof is accepted. The old root must still be EmptyRoot(): it is the only
//    root a tree of 0 leaves can have, and accepting any other value would
//    vouch for a checkpoint that is wrong on its face.
Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                         const std::vector<Hash>& proof, const Hash& old_root,
                         const Hash& new_root) {
  const std::string what = "consistency proof from tree size " +
                           std::to_string(old_size) + " to " +
                           std::to_string(new_size) + ": ";
  if (old_size > new_size) return Corruption(what + "old size is larger");
  if (old_size == 0 && old_root != EmptyRoot()) {
    return Corruption(what + "old root is not the empty tree's root");
  }
  if (old_size == new_size || old_size == 0) {
    if (!proof.empty()) {
      return Corruption(what + "proof must be empty, has " +
                        std::to_string(proof.size()) + " hashes");
    }
    if (old_size == new_size && old_root != new_root) {
      return Corruption(what + "roots of the same tree size differ");
    }
    return Status::Ok();
  }
  if (proof.empty()) return Corruption(what + "proof is empty");

  // When old_size is a power of two the old root is itself a node of the new
  // tree, so the prover omits it and the RFC has the verifier prepend it.
  size_t next = 0;
  Hash fr = old_root;
  if (!std::has_single_bit(old_size)) fr = proof[next++];
  Hash sr = fr;
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) {
      return Corruption(what + "too many hashes (" +
                        std::to_string(proof.size()) + ")");
    }
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Corruption(what + "too few hashes (" + std::to_string(proof.size()) +
                      ")");
  }
  if (fr != old_root) return Corruption(what + "old root does not match");
  if (sr != new_root) return Corruption(what + "new root does not match");
  return Status::Ok();
}

Result<Frontier> Frontier::Load(const NodeReader& read, uint64_t size) {
  Frontier frontier;
  uint64_t begin = 0;
  for (int level = std::bit_width(size) - 1; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    const auto l = static_cast<uint8_t>(level);
    ASSIGN_OR_RETURN(Hash hash, ReadNode(read, l, begin >> level));
    frontier.subtrees_.push_back(Subtree{l, hash});
    begin += uint64_t{1} << level;
  }
  frontier.size_ = size;
  return frontier;
}

// Leaf `size_` completes one node per trailing one bit of its index: each
// such bit means the subtree just to its left at that level is waiting for a
// right sibling, which the merge below has just finished.
std::vector<StoredNode> Frontier::Append(const Hash& leaf_hash) {
  std::vector<StoredNode> created;
  Push(leaf_hash, &created);
  return created;
}

void Frontier::AppendUnstored(const Hash& leaf_hash) {
  Push(leaf_hash, nullptr);
}

void Frontier::Push(const Hash& leaf_hash, std::vector<StoredNode>* created) {
  uint64_t index = size_;
  if (created) created->push_back(StoredNode{0, index, leaf_hash});
  subtrees_.push_back(Subtree{0, leaf_hash});
  while ((index & 1) == 1) {
    const Subtree right = subtrees_.back();
    subtrees_.pop_back();
    Subtree& left = subtrees_.back();
    left.level = static_cast<uint8_t>(right.level + 1);
    left.hash = NodeHash(left.hash, right.hash);
    index >>= 1;
    if (created) created->push_back(StoredNode{left.level, index, left.hash});
  }
  ++size_;
}

Hash Frontier::Root() const {
  if (subtrees_.empty()) return EmptyRoot();
  Hash root = subtrees_.back().hash;
  for (size_t i = subtrees_.size() - 1; i-- > 0;) {
    root = NodeHash(subtrees_[i].hash, root);
  }
  return root;
}

}  // namespace piaojue::merkle
