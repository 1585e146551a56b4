#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/status.h"

namespace piaojue::merkle {
namespace {

using crypto::AsBytes;

// ---------------------------------------------------------------------------
// Reference implementation: RFC 6962 section 2.1 transcribed literally over a
// vector of leaf hashes, recursion and all. It shares nothing with merkle.cc
// (not even NodeHash) so a bug there cannot hide by being repeated here.

Hash RefNodeHash(const Hash& left, const Hash& right) {
  const uint8_t prefix[1] = {0x01};
  return crypto::Sha256({crypto::Bytes(prefix), AsBytes(left), AsBytes(right)});
}

uint64_t RefSplit(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH(D[n]).
Hash RefMth(std::span<const Hash> d) {
  if (d.empty()) return crypto::Sha256(crypto::Bytes());
  if (d.size() == 1) return d[0];
  const uint64_t k = RefSplit(d.size());
  return RefNodeHash(RefMth(d.first(k)), RefMth(d.subspan(k)));
}

// PATH(m, D[n]).
std::vector<Hash> RefPath(uint64_t m, std::span<const Hash> d) {
  if (d.size() <= 1) return {};
  const uint64_t k = RefSplit(d.size());
  std::vector<Hash> path;
  if (m < k) {
    path = RefPath(m, d.first(k));
    path.push_back(RefMth(d.subspan(k)));
  } else {
    path = RefPath(m - k, d.subspan(k));
    path.push_back(RefMth(d.first(k)));
  }
  return path;
}

// SUBPROOF(m, D[n], b).
std::vector<Hash> RefSubproof(uint64_t m, std::span<const Hash> d, bool b) {
  if (m == d.size()) {
    if (b) return {};
    return {RefMth(d)};
  }
  const uint64_t k = RefSplit(d.size());
  std::vector<Hash> proof;
  if (m <= k) {
    proof = RefSubproof(m, d.first(k), b);
    proof.push_back(RefMth(d.subspan(k)));
  } else {
    proof = RefSubproof(m - k, d.subspan(k), false);
    proof.push_back(RefMth(d.first(k)));
  }
  return proof;
}

// PROOF(m, D[n]); the RFC leaves m == 0 undefined, the header makes it empty.
std::vector<Hash> RefProof(uint64_t m, std::span<const Hash> d) {
  if (m == 0) return {};
  return RefSubproof(m, d, true);
}

// ---------------------------------------------------------------------------
// Test helpers.

Hash HashFromHex(std::string_view hex) {
  Hash h{};
  Status s = crypto::FromHex(hex, h);
  EXPECT_TRUE(s.ok()) << s.ToString() << " for " << hex;
  return h;
}

std::string Hex(const Hash& h) { return crypto::ToHex(AsBytes(h)); }

std::vector<std::string> Hexes(const std::vector<Hash>& hashes) {
  std::vector<std::string> out;
  for (const Hash& h : hashes) out.push_back(Hex(h));
  return out;
}

// The nodes of one tree, filled only through Frontier::Append so the storage
// model under test is the one the ledger uses.
class NodeStore {
 public:
  void Append(const Hash& leaf_hash) {
    for (const StoredNode& node : frontier_.Append(leaf_hash)) {
      if (levels_.size() <= node.level) levels_.resize(node.level + 1);
      std::vector<Hash>& level = levels_[node.level];
      // Nodes must arrive in order, each exactly once.
      ASSERT_EQ(level.size(), node.index);
      level.push_back(node.hash);
    }
  }

  uint64_t size() const { return frontier_.size(); }
  const Frontier& frontier() const { return frontier_; }

  // A reader for the tree as it was at `size` leaves: a node that is not yet
  // complete at that size is NotFound even if a later append stored it, so
  // the functions under test are held to reading only what exists. Every
  // read, successful or not, is counted.
  NodeReader ReaderAt(uint64_t size, int* reads = nullptr) const {
    return [this, size, reads](uint8_t level, uint64_t index) -> Result<Hash> {
      if (reads != nullptr) ++*reads;
      if (level >= 64 || index >= (size >> level) || level >= levels_.size() ||
          index >= levels_[level].size()) {
        return NotFound("no node (" + std::to_string(level) + ", " +
                        std::to_string(index) + ") at size " +
                        std::to_string(size));
      }
      return levels_[level][index];
    };
  }

 private:
  Frontier frontier_;
  std::vector<std::vector<Hash>> levels_;
};

// ---------------------------------------------------------------------------
// Hashing primitives.

TEST(MerkleHashTest, EmptyRootIsSha256OfTheEmptyString) {
  EXPECT_EQ(Hex(EmptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MerkleHashTest, LeafHashPrefixesAZeroByte) {
  const std::string entry = "entry bytes";
  const std::string prefixed = std::string(1, '\0') + entry;
  EXPECT_EQ(LeafHash(AsBytes(entry)), crypto::Sha256(AsBytes(prefixed)));
  EXPECT_NE(LeafHash(AsBytes(entry)), crypto::Sha256(AsBytes(entry)));
}

TEST(MerkleHashTest, NodeHashPrefixesAOneByteAndKeepsOrder) {
  const Hash a = LeafHash(AsBytes("a"));
  const Hash b = LeafHash(AsBytes("b"));
  std::string prefixed(1, '\x01');
  prefixed.append(reinterpret_cast<const char*>(a.data()), a.size());
  prefixed.append(reinterpret_cast<const char*>(b.data()), b.size());
  EXPECT_EQ(NodeHash(a, b), crypto::Sha256(AsBytes(prefixed)));
  EXPECT_NE(NodeHash(a, b), NodeHash(b, a));
}

// ---------------------------------------------------------------------------
// RFC 6962 known-answer vectors. The leaves, roots and proofs are the
// reference tree of Certificate Transparency's test suites
// (google/certificate-transparency cpp/merkletree/merkle_tree_test.cc and
// transparency-dev/merkle proof/verify_test.go, which agree).

class MerkleTreeTest : public ::testing::Test {
 protected:
  MerkleTreeTest() {
    for (std::string_view hex : kLeafHex) {
      std::string bytes(hex.size() / 2, '\0');
      Status s = crypto::FromHex(
          hex, std::span<uint8_t>(reinterpret_cast<uint8_t*>(bytes.data()),
                                  bytes.size()));
      EXPECT_TRUE(s.ok()) << s.ToString();
      leaf_hashes_.push_back(LeafHash(AsBytes(bytes)));
      store_.Append(leaf_hashes_.back());
    }
  }

  static constexpr std::string_view kLeafHex[8] = {
      "",
      "00",
      "10",
      "2021",
      "3031",
      "40414243",
      "5051525354555657",
      "606162636465666768696a6b6c6d6e6f",
  };
  // kRoots[i] is the root of the first i + 1 leaves.
  static constexpr std::string_view kRoots[8] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };

  std::vector<Hash> leaf_hashes_;
  NodeStore store_;
};

TEST_F(MerkleTreeTest, RootsMatchRfc6962VectorsForEverySize) {
  Frontier frontier;
  for (uint64_t size = 1; size <= 8; ++size) {
    frontier.Append(leaf_hashes_[size - 1]);
    const std::string want(kRoots[size - 1]);
    EXPECT_EQ(Hex(frontier.Root()), want) << "frontier, size " << size;
    Result<Hash> root = RootAt(store_.ReaderAt(size), size);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(Hex(*root), want) << "RootAt, size " << size;
    EXPECT_EQ(Hex(RefMth(std::span(leaf_hashes_).first(size))), want)
        << "reference, size " << size;
  }
}

TEST_F(MerkleTreeTest, SizeOneRootIsTheLeafHashOfTheEmptyEntry) {
  EXPECT_EQ(Hex(LeafHash(crypto::Bytes())), kRoots[0]);
}

TEST_F(MerkleTreeTest, InclusionProofsMatchRfc6962Vectors) {
  struct Vector {
    uint64_t index;  // 0-based; the upstream tables number leaves from 1.
    uint64_t size;
    std::vector<std::string> proof;
  };
  const std::vector<Vector> vectors = {
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       3,
       {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  for (const Vector& v : vectors) {
    SCOPED_TRACE("leaf " + std::to_string(v.index) + " of " +
                 std::to_string(v.size));
    Result<std::vector<Hash>> proof =
        InclusionProof(store_.ReaderAt(v.size), v.index, v.size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(Hexes(*proof), v.proof);
    const Hash root = HashFromHex(kRoots[v.size - 1]);
    Status verified =
        VerifyInclusion(leaf_hashes_[v.index], v.index, v.size, *proof, root);
    EXPECT_TRUE(verified.ok()) << verified.ToString();
  }
}

TEST_F(MerkleTreeTest, ConsistencyProofsMatchRfc6962Vectors) {
  struct Vector {
    uint64_t old_size;
    uint64_t new_size;
    std::vector<std::string> proof;
  };
  const std::vector<Vector> vectors = {
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {6,
       7,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
  for (const Vector& v : vectors) {
    SCOPED_TRACE("sizes " + std::to_string(v.old_size) + " -> " +
                 std::to_string(v.new_size));
    Result<std::vector<Hash>> proof =
        ConsistencyProof(store_.ReaderAt(v.new_size), v.old_size, v.new_size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(Hexes(*proof), v.proof);
    Status verified = VerifyConsistency(v.old_size, v.new_size, *proof,
                                        HashFromHex(kRoots[v.old_size - 1]),
                                        HashFromHex(kRoots[v.new_size - 1]));
    EXPECT_TRUE(verified.ok()) << verified.ToString();
  }
}

TEST_F(MerkleTreeTest, RootAtZeroIsTheEmptyRootWithoutReads) {
  int reads = 0;
  Result<Hash> root = RootAt(store_.ReaderAt(0, &reads), 0);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, EmptyRoot());
  EXPECT_EQ(reads, 0);
}

TEST_F(MerkleTreeTest, InclusionProofRejectsIndexAtOrBeyondSize) {
  for (auto [index, size] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 0}, {1, 0}, {1, 1}, {2, 1}, {8, 8}, {7, 3}}) {
    Result<std::vector<Hash>> proof =
        InclusionProof(store_.ReaderAt(8), index, size);
    ASSERT_FALSE(proof.ok()) << index << " of " << size;
    EXPECT_EQ(proof.status().code(), StatusCode::kOutOfRange);
  }
}

TEST_F(MerkleTreeTest, ConsistencyProofRejectsOldSizeAboveNewSize) {
  Result<std::vector<Hash>> proof = ConsistencyProof(store_.ReaderAt(8), 5, 4);
  ASSERT_FALSE(proof.ok());
  EXPECT_EQ(proof.status().code(), StatusCode::kOutOfRange);
}

TEST_F(MerkleTreeTest, ConsistencyProofIsEmptyForEqualSizesOrEmptyOldTree) {
  for (auto [old_size, new_size] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 0}, {0, 1}, {0, 8}, {3, 3}, {8, 8}}) {
    int reads = 0;
    Result<std::vector<Hash>> proof =
        ConsistencyProof(store_.ReaderAt(8, &reads), old_size, new_size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_TRUE(proof->empty()) << old_size << " -> " << new_size;
    EXPECT_EQ(reads, 0);
  }
}

TEST_F(MerkleTreeTest, SubtreeRootHashesAnyRangeAsMth) {
  for (uint64_t begin = 0; begin <= 8; ++begin) {
    for (uint64_t end = begin; end <= 8; ++end) {
      Result<Hash> root = SubtreeRoot(store_.ReaderAt(8), begin, end);
      ASSERT_TRUE(root.ok()) << root.status().ToString();
      EXPECT_EQ(*root,
                RefMth(std::span(leaf_hashes_).subspan(begin, end - begin)))
          << "[" << begin << ", " << end << ")";
    }
  }
}

TEST_F(MerkleTreeTest, SubtreeRootRejectsBeginAfterEnd) {
  Result<Hash> root = SubtreeRoot(store_.ReaderAt(8), 5, 4);
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(MerkleTreeTest, ReaderErrorsPropagateWithTheirCode) {
  const NodeReader failing = [](uint8_t, uint64_t) -> Result<Hash> {
    return IOError("disk on fire");
  };
  Result<Hash> root = RootAt(failing, 5);
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().code(), StatusCode::kIOError);
  EXPECT_NE(root.status().message().find("disk on fire"), std::string::npos);

  Result<std::vector<Hash>> inclusion = InclusionProof(failing, 2, 5);
  ASSERT_FALSE(inclusion.ok());
  EXPECT_EQ(inclusion.status().code(), StatusCode::kIOError);

  Result<std::vector<Hash>> consistency = ConsistencyProof(failing, 3, 5);
  ASSERT_FALSE(consistency.ok());
  EXPECT_EQ(consistency.status().code(), StatusCode::kIOError);

  Result<Frontier> frontier = Frontier::Load(failing, 5);
  ASSERT_FALSE(frontier.ok());
  EXPECT_EQ(frontier.status().code(), StatusCode::kIOError);
}

TEST_F(MerkleTreeTest, MissingNodesAreReportedNotGuessed) {
  // The store is asked for a size larger than it holds.
  Result<Hash> root = RootAt(store_.ReaderAt(8), 9);
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------
// Randomized comparison with the reference over one stored tree of 5000
// leaves; every smaller tree is a prefix of it, read through ReaderAt(size).

constexpr uint64_t kMaxLeaves = 5000;
constexpr uint64_t kSeed = 0x7069616f6a7565;  // "piaojue"

class MerkleRandomTreeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    leaves_ = new std::vector<Hash>();
    store_ = new NodeStore();
    for (uint64_t i = 0; i < kMaxLeaves; ++i) {
      leaves_->push_back(LeafHash(AsBytes("entry " + std::to_string(i))));
      store_->Append(leaves_->back());
    }
  }
  static void TearDownTestSuite() {
    delete leaves_;
    delete store_;
    leaves_ = nullptr;
    store_ = nullptr;
  }

  static std::span<const Hash> Prefix(uint64_t size) {
    return std::span<const Hash>(*leaves_).first(size);
  }
  // The root through RootAt, which the tests above hold to the reference;
  // the reference itself costs O(size) hashes per call.
  static Hash Root(uint64_t size) {
    Result<Hash> root = RootAt(store_->ReaderAt(size), size);
    EXPECT_TRUE(root.ok()) << root.status().ToString();
    return root.ok() ? *root : Hash{};
  }
  static uint64_t Uniform(std::mt19937_64& rng, uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  }
  // Random sizes plus the ones where off-by-one errors live.
  static std::vector<uint64_t> SampleSizes(std::mt19937_64& rng, int count) {
    std::vector<uint64_t> sizes = {1,    2,    3,    4,    5,    7,    8,
                                   9,    63,   64,   65,   1023, 1024, 1025,
                                   4095, 4096, 4097, 4999, 5000};
    for (int i = 0; i < count; ++i)
      sizes.push_back(Uniform(rng, 1, kMaxLeaves));
    return sizes;
  }

  static std::vector<Hash>* leaves_;
  static NodeStore* store_;
};

std::vector<Hash>* MerkleRandomTreeTest::leaves_ = nullptr;
NodeStore* MerkleRandomTreeTest::store_ = nullptr;

TEST_F(MerkleRandomTreeTest, RootsMatchReferenceAtRandomSizes) {
  std::mt19937_64 rng(kSeed);
  for (uint64_t size : SampleSizes(rng, 100)) {
    Result<Hash> root = RootAt(store_->ReaderAt(size), size);
    ASSERT_TRUE(root.ok()) << size << ": " << root.status().ToString();
    EXPECT_EQ(*root, RefMth(Prefix(size))) << "size " << size;
  }
}

TEST_F(MerkleRandomTreeTest, InclusionProofsMatchReferenceAtRandomSizes) {
  std::mt19937_64 rng(kSeed + 1);
  for (uint64_t size : SampleSizes(rng, 60)) {
    std::vector<uint64_t> indices = {0, size - 1, size / 2,
                                     Uniform(rng, 0, size - 1),
                                     Uniform(rng, 0, size - 1)};
    for (uint64_t index : indices) {
      Result<std::vector<Hash>> proof =
          InclusionProof(store_->ReaderAt(size), index, size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_EQ(*proof, RefPath(index, Prefix(size)))
          << "leaf " << index << " of " << size;
    }
  }
}

TEST_F(MerkleRandomTreeTest, ConsistencyProofsMatchReferenceAtRandomSizes) {
  std::mt19937_64 rng(kSeed + 2);
  for (uint64_t new_size : SampleSizes(rng, 60)) {
    std::vector<uint64_t> old_sizes = {0,
                                       1,
                                       new_size - 1,
                                       new_size,
                                       std::bit_floor(new_size),
                                       Uniform(rng, 1, new_size),
                                       Uniform(rng, 1, new_size)};
    for (uint64_t old_size : old_sizes) {
      Result<std::vector<Hash>> proof =
          ConsistencyProof(store_->ReaderAt(new_size), old_size, new_size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      EXPECT_EQ(*proof, RefProof(old_size, Prefix(new_size)))
          << old_size << " -> " << new_size;
    }
  }
}

TEST_F(MerkleRandomTreeTest, AllProofsOfSmallTreesMatchReference) {
  for (uint64_t size = 1; size <= 48; ++size) {
    const NodeReader read = store_->ReaderAt(size);
    for (uint64_t i = 0; i < size; ++i) {
      Result<std::vector<Hash>> inclusion = InclusionProof(read, i, size);
      ASSERT_TRUE(inclusion.ok()) << inclusion.status().ToString();
      EXPECT_EQ(*inclusion, RefPath(i, Prefix(size)))
          << "leaf " << i << " of " << size;
    }
    for (uint64_t old_size = 0; old_size <= size; ++old_size) {
      Result<std::vector<Hash>> consistency =
          ConsistencyProof(read, old_size, size);
      ASSERT_TRUE(consistency.ok()) << consistency.status().ToString();
      EXPECT_EQ(*consistency, RefProof(old_size, Prefix(size)))
          << old_size << " -> " << size;
    }
  }
}

TEST_F(MerkleRandomTreeTest, RootAtReadsOneNodePerSetBitOfSize) {
  for (uint64_t size = 0; size <= kMaxLeaves; ++size) {
    int reads = 0;
    Result<Hash> root = RootAt(store_->ReaderAt(size, &reads), size);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(reads, std::popcount(size)) << "size " << size;
    EXPECT_LE(reads, 64);
  }
}

TEST_F(MerkleRandomTreeTest, ProofsReadLogarithmicallyManyNodes) {
  std::mt19937_64 rng(kSeed + 3);
  for (uint64_t size : SampleSizes(rng, 300)) {
    // Each proof hash is one stored node, except at most one incomplete
    // right-edge subtree, which costs one read per set bit of the size.
    const int bound = 2 * std::bit_width(size);
    const uint64_t index = Uniform(rng, 0, size - 1);
    int reads = 0;
    Result<std::vector<Hash>> inclusion =
        InclusionProof(store_->ReaderAt(size, &reads), index, size);
    ASSERT_TRUE(inclusion.ok()) << inclusion.status().ToString();
    EXPECT_LE(reads, bound) << "leaf " << index << " of " << size;
    EXPECT_LE(reads, 2 * 64);

    const uint64_t old_size = Uniform(rng, 1, size);
    reads = 0;
    Result<std::vector<Hash>> consistency =
        ConsistencyProof(store_->ReaderAt(size, &reads), old_size, size);
    ASSERT_TRUE(consistency.ok()) << consistency.status().ToString();
    EXPECT_LE(reads, bound) << old_size << " -> " << size;
    EXPECT_LE(reads, 2 * 64);
  }
}

// ---------------------------------------------------------------------------
// Verification: honest proofs pass, and every kind of tampering is
// Corruption.

void ExpectCorruption(const Status& status, const std::string& what) {
  EXPECT_EQ(status.code(), StatusCode::kCorruption)
      << what << ": " << status.ToString();
}

std::vector<Hash> WithFlippedByte(std::vector<Hash> proof, size_t element,
                                  size_t byte) {
  proof[element][byte] ^= 0x01;
  return proof;
}

class MerkleVerifyTest : public MerkleRandomTreeTest {
 protected:
  static void ExpectInclusionTamperingFails(uint64_t index, uint64_t size) {
    const std::string where =
        "leaf " + std::to_string(index) + " of " + std::to_string(size);
    Result<std::vector<Hash>> got =
        InclusionProof(store_->ReaderAt(size), index, size);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const std::vector<Hash>& proof = *got;
    const Hash root = Root(size);
    const Hash leaf = (*leaves_)[index];
    Status ok = VerifyInclusion(leaf, index, size, proof, root);
    ASSERT_TRUE(ok.ok()) << where << ": " << ok.ToString();

    for (size_t e = 0; e < proof.size(); ++e) {
      for (size_t b : {size_t{0}, size_t{17}, crypto::kHashSize - 1}) {
        ExpectCorruption(VerifyInclusion(leaf, index, size,
                                         WithFlippedByte(proof, e, b), root),
                         where + ", flipped byte " + std::to_string(b) +
                             " of hash " + std::to_string(e));
      }
    }
    if (!proof.empty()) {
      ExpectCorruption(
          VerifyInclusion(leaf, index, size,
                          std::vector<Hash>(proof.begin(), proof.end() - 1),
                          root),
          where + ", dropped last hash");
      ExpectCorruption(
          VerifyInclusion(leaf, index, size,
                          std::vector<Hash>(proof.begin() + 1, proof.end()),
                          root),
          where + ", dropped first hash");
    }
    std::vector<Hash> longer = proof;
    longer.push_back(root);
    ExpectCorruption(VerifyInclusion(leaf, index, size, longer, root),
                     where + ", appended hash");
    longer = proof;
    longer.insert(longer.begin(), leaf);
    ExpectCorruption(VerifyInclusion(leaf, index, size, longer, root),
                     where + ", prepended hash");

    for (uint64_t wrong_index : {index - 1, index + 1, index ^ 2}) {
      ExpectCorruption(VerifyInclusion(leaf, wrong_index, size, proof, root),
                       where + ", wrong index " + std::to_string(wrong_index));
    }
    for (uint64_t wrong_size : {size * 2, size / 2}) {
      ExpectCorruption(VerifyInclusion(leaf, index, wrong_size, proof, root),
                       where + ", wrong size " + std::to_string(wrong_size));
    }
    ExpectCorruption(VerifyInclusion(leaf, index, size, proof, EmptyRoot()),
                     where + ", wrong root");
    ExpectCorruption(
        VerifyInclusion(LeafHash(AsBytes("forged")), index, size, proof, root),
        where + ", wrong leaf");
  }

  static void ExpectConsistencyTamperingFails(uint64_t old_size,
                                              uint64_t new_size) {
    const std::string where =
        std::to_string(old_size) + " -> " + std::to_string(new_size);
    Result<std::vector<Hash>> got =
        ConsistencyProof(store_->ReaderAt(new_size), old_size, new_size);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const std::vector<Hash>& proof = *got;
    const Hash old_root = Root(old_size);
    const Hash new_root = Root(new_size);
    Status ok =
        VerifyConsistency(old_size, new_size, proof, old_root, new_root);
    ASSERT_TRUE(ok.ok()) << where << ": " << ok.ToString();
    ASSERT_FALSE(proof.empty()) << where;

    for (size_t e = 0; e < proof.size(); ++e) {
      for (size_t b : {size_t{0}, size_t{17}, crypto::kHashSize - 1}) {
        ExpectCorruption(
            VerifyConsistency(old_size, new_size, WithFlippedByte(proof, e, b),
                              old_root, new_root),
            where + ", flipped byte " + std::to_string(b) + " of hash " +
                std::to_string(e));
      }
    }
    ExpectCorruption(
        VerifyConsistency(old_size, new_size,
                          std::vector<Hash>(proof.begin(), proof.end() - 1),
                          old_root, new_root),
        where + ", dropped last hash");
    ExpectCorruption(
        VerifyConsistency(old_size, new_size,
                          std::vector<Hash>(proof.begin() + 1, proof.end()),
                          old_root, new_root),
        where + ", dropped first hash");
    ExpectCorruption(
        VerifyConsistency(old_size, new_size, {}, old_root, new_root),
        where + ", empty proof");
    for (const Hash& extra : {old_root, new_root, proof.back()}) {
      std::vector<Hash> longer = proof;
      longer.push_back(extra);
      ExpectCorruption(
          VerifyConsistency(old_size, new_size, longer, old_root, new_root),
          where + ", appended hash");
      longer = proof;
      longer.insert(longer.begin(), extra);
      ExpectCorruption(
          VerifyConsistency(old_size, new_size, longer, old_root, new_root),
          where + ", prepended hash");
    }
    for (uint64_t wrong_old : {old_size - 1, old_size + 1, old_size ^ 2}) {
      if (wrong_old == 0) continue;  // Size 0 ignores the proof by design.
      ExpectCorruption(
          VerifyConsistency(wrong_old, new_size, proof, old_root, new_root),
          where + ", wrong old size " + std::to_string(wrong_old));
    }
    for (uint64_t wrong_new : {new_size * 2, new_size / 2}) {
      ExpectCorruption(
          VerifyConsistency(old_size, wrong_new, proof, old_root, new_root),
          where + ", wrong new size " + std::to_string(wrong_new));
    }
    const Hash forged = LeafHash(AsBytes("forged"));
    ExpectCorruption(
        VerifyConsistency(old_size, new_size, proof, forged, new_root),
        where + ", wrong old root");
    ExpectCorruption(
        VerifyConsistency(old_size, new_size, proof, old_root, forged),
        where + ", wrong new root");
    ExpectCorruption(
        VerifyConsistency(old_size, new_size, proof, new_root, old_root),
        where + ", swapped roots");
  }
};

TEST_F(MerkleVerifyTest, EveryGeneratedInclusionProofVerifies) {
  std::mt19937_64 rng(kSeed + 4);
  for (uint64_t size : SampleSizes(rng, 40)) {
    const Hash root = Root(size);
    for (int i = 0; i < 8; ++i) {
      const uint64_t index = Uniform(rng, 0, size - 1);
      Result<std::vector<Hash>> proof =
          InclusionProof(store_->ReaderAt(size), index, size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      Status s = VerifyInclusion((*leaves_)[index], index, size, *proof, root);
      EXPECT_TRUE(s.ok()) << "leaf " << index << " of " << size << ": "
                          << s.ToString();
    }
  }
}

TEST_F(MerkleVerifyTest, EveryGeneratedConsistencyProofVerifies) {
  std::mt19937_64 rng(kSeed + 5);
  for (uint64_t new_size : SampleSizes(rng, 40)) {
    const Hash new_root = Root(new_size);
    for (int i = 0; i < 8; ++i) {
      const uint64_t old_size = Uniform(rng, 0, new_size);
      Result<std::vector<Hash>> proof =
          ConsistencyProof(store_->ReaderAt(new_size), old_size, new_size);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      Status s = VerifyConsistency(old_size, new_size, *proof, Root(old_size),
                                   new_root);
      EXPECT_TRUE(s.ok()) << old_size << " -> " << new_size << ": "
                          << s.ToString();
    }
  }
}

TEST_F(MerkleVerifyTest, TamperedInclusionProofsAreCorruption) {
  for (uint64_t size = 1; size <= 20; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      ExpectInclusionTamperingFails(index, size);
    }
  }
  std::mt19937_64 rng(kSeed + 6);
  for (uint64_t size : SampleSizes(rng, 20)) {
    ExpectInclusionTamperingFails(Uniform(rng, 0, size - 1), size);
  }
}

TEST_F(MerkleVerifyTest, TamperedConsistencyProofsAreCorruption) {
  for (uint64_t new_size = 2; new_size <= 20; ++new_size) {
    for (uint64_t old_size = 1; old_size < new_size; ++old_size) {
      ExpectConsistencyTamperingFails(old_size, new_size);
    }
  }
  std::mt19937_64 rng(kSeed + 7);
  for (uint64_t new_size : SampleSizes(rng, 20)) {
    if (new_size < 2) continue;
    ExpectConsistencyTamperingFails(Uniform(rng, 1, new_size - 1), new_size);
  }
}

TEST_F(MerkleVerifyTest, InclusionInAnEmptyOrTooSmallTreeIsCorruption) {
  const Hash leaf = (*leaves_)[0];
  ExpectCorruption(VerifyInclusion(leaf, 0, 0, {}, EmptyRoot()), "size 0");
  ExpectCorruption(VerifyInclusion(leaf, 1, 1, {}, leaf), "index 1 of 1");
  ExpectCorruption(VerifyInclusion(leaf, 2, 1, {}, leaf), "index 2 of 1");
  Status single = VerifyInclusion(leaf, 0, 1, {}, leaf);
  EXPECT_TRUE(single.ok()) << single.ToString();
  ExpectCorruption(VerifyInclusion(leaf, 0, 1, {leaf}, leaf),
                   "size 1 with a hash");
}

TEST_F(MerkleVerifyTest, ConsistencyOfEqualSizesNeedsEmptyProofAndEqualRoots) {
  const Hash root = Root(5);
  Status same = VerifyConsistency(5, 5, {}, root, root);
  EXPECT_TRUE(same.ok()) << same.ToString();
  ExpectCorruption(VerifyConsistency(5, 5, {}, root, Root(4)),
                   "different roots");
  ExpectCorruption(VerifyConsistency(5, 5, {root}, root, root),
                   "non-empty proof");
  Status empty = VerifyConsistency(0, 0, {}, EmptyRoot(), EmptyRoot());
  EXPECT_TRUE(empty.ok()) << empty.ToString();
  ExpectCorruption(VerifyConsistency(0, 0, {}, EmptyRoot(), root),
                   "empty tree with a non-empty root");
}

TEST_F(MerkleVerifyTest, ConsistencyFromTheEmptyTreeNeedsEmptyProofAndRoot) {
  const Hash root = Root(7);
  Status ok = VerifyConsistency(0, 7, {}, EmptyRoot(), root);
  EXPECT_TRUE(ok.ok()) << ok.ToString();
  ExpectCorruption(VerifyConsistency(0, 7, {root}, EmptyRoot(), root),
                   "non-empty proof");
  ExpectCorruption(VerifyConsistency(0, 7, {}, root, root),
                   "old root is not the empty root");
}

TEST_F(MerkleVerifyTest, ConsistencyBackwardsIsCorruption) {
  ExpectCorruption(VerifyConsistency(2, 1, {}, Root(2), Root(1)), "2 -> 1");
  ExpectCorruption(VerifyConsistency(1, 0, {}, Root(1), EmptyRoot()), "1 -> 0");
}

TEST_F(MerkleVerifyTest, ConsistencyBetweenDifferentSizesNeedsAProof) {
  ExpectCorruption(VerifyConsistency(1, 2, {}, Root(1), Root(2)), "1 -> 2");
}

// ---------------------------------------------------------------------------
// Frontier.

TEST(FrontierTest, EmptyFrontierHasTheEmptyRoot) {
  Frontier frontier;
  EXPECT_EQ(frontier.size(), 0u);
  EXPECT_EQ(frontier.Root(), EmptyRoot());
}

TEST(FrontierTest, AppendReturnsTheLeafThenEachCompletedParent) {
  std::vector<Hash> leaves;
  Frontier frontier;
  for (int i = 0; i < 8; ++i) {
    leaves.push_back(LeafHash(AsBytes("leaf " + std::to_string(i))));
  }
  std::vector<std::vector<StoredNode>> created;
  for (const Hash& leaf : leaves) created.push_back(frontier.Append(leaf));

  // Leaf 6 (binary 110) completes nothing; leaf 7 (111) completes three.
  ASSERT_EQ(created[6].size(), 1u);
  EXPECT_EQ(created[6][0].level, 0);
  EXPECT_EQ(created[6][0].index, 6u);
  EXPECT_EQ(created[6][0].hash, leaves[6]);

  ASSERT_EQ(created[7].size(), 4u);
  const std::span<const Hash> all(leaves);
  for (uint8_t level = 0; level <= 3; ++level) {
    const uint64_t width = uint64_t{1} << level;
    const StoredNode& node = created[7][level];
    EXPECT_EQ(node.level, level);
    EXPECT_EQ(node.index, 7u >> level);
    EXPECT_EQ(node.hash, RefMth(all.subspan(8 - width, width)))
        << "level " << int{level};
  }
  EXPECT_EQ(frontier.Root(), created[7][3].hash);

  // Leaf i creates 1 + (number of trailing one bits of i) nodes.
  for (uint64_t i = 0; i < 8; ++i) {
    EXPECT_EQ(created[i].size(), 1u + std::countr_one(i)) << "leaf " << i;
  }
}

TEST_F(MerkleRandomTreeTest, FrontierRootMatchesReferenceAfterEveryAppend) {
  Frontier frontier;
  std::mt19937_64 rng(kSeed + 8);
  for (uint64_t size = 1; size <= kMaxLeaves; ++size) {
    frontier.Append((*leaves_)[size - 1]);
    ASSERT_EQ(frontier.size(), size);
    // The reference is O(size) per call: check the small sizes and a sample.
    if (size <= 256 || Uniform(rng, 0, 99) == 0) {
      EXPECT_EQ(frontier.Root(), RefMth(Prefix(size))) << "size " << size;
    }
  }
}

// The verifier's append, which keeps no node, must grow the same tree: a
// wrong root would fail every checkpoint of an honest log.
TEST_F(MerkleRandomTreeTest, AnUnstoredAppendGivesTheSameRootAsAppend) {
  Frontier stored, unstored;
  for (uint64_t size = 1; size <= kMaxLeaves; ++size) {
    stored.Append((*leaves_)[size - 1]);
    unstored.AppendUnstored((*leaves_)[size - 1]);
    ASSERT_EQ(unstored.size(), size);
    ASSERT_EQ(unstored.Root(), stored.Root()) << "size " << size;
  }
}

TEST_F(MerkleRandomTreeTest, LoadedFrontierEqualsAppendedFrontier) {
  std::vector<Frontier> appended(1);
  for (uint64_t size = 1; size <= kMaxLeaves; ++size) {
    Frontier next = appended.back();
    next.Append((*leaves_)[size - 1]);
    appended.push_back(std::move(next));
  }
  for (uint64_t size = 0; size <= kMaxLeaves; ++size) {
    int reads = 0;
    Result<Frontier> loaded =
        Frontier::Load(store_->ReaderAt(size, &reads), size);
    ASSERT_TRUE(loaded.ok()) << size << ": " << loaded.status().ToString();
    EXPECT_EQ(loaded->size(), size);
    EXPECT_EQ(loaded->Root(), appended[size].Root()) << "size " << size;
    EXPECT_EQ(reads, std::popcount(size)) << "size " << size;
  }
}

TEST_F(MerkleRandomTreeTest, LoadedFrontierKeepsAppendingLikeTheOriginal) {
  std::mt19937_64 rng(kSeed + 9);
  for (int trial = 0; trial < 50; ++trial) {
    const uint64_t size = Uniform(rng, 0, kMaxLeaves - 64);
    Result<Frontier> loaded = Frontier::Load(store_->ReaderAt(size), size);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    Frontier frontier = std::move(loaded).value();
    for (uint64_t i = size; i < size + 64; ++i) {
      const std::vector<StoredNode> created = frontier.Append((*leaves_)[i]);
      // The nodes created must be the very nodes the store holds.
      const NodeReader read = store_->ReaderAt(i + 1);
      for (const StoredNode& node : created) {
        Result<Hash> stored = read(node.level, node.index);
        ASSERT_TRUE(stored.ok()) << stored.status().ToString();
        EXPECT_EQ(*stored, node.hash);
      }
    }
    EXPECT_EQ(frontier.Root(), RefMth(Prefix(size + 64))) << "from " << size;
  }
}

}  // namespace
}  // namespace piaojue::merkle
