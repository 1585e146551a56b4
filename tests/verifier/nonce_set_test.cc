// The verifier's set of (author, nonce) pairs: exact, across its growth
// and whatever room was reserved for it.
#include "verifier/nonce_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace piaojue::verifier {
namespace {

std::vector<crypto::PublicKey> RandomAuthors(size_t count) {
  std::vector<crypto::PublicKey> authors(count);
  for (auto& a : authors) crypto::RandomBytes(a);
  return authors;
}

// Inserts `count` fresh random nonces, the i-th under authors[i % size],
// each of which must be new; then calls after(i, author, nonce).
template <typename After>
void InsertFresh(NonceSet& set, const std::vector<crypto::PublicKey>& authors,
                 size_t count, After after) {
  for (size_t i = 0; i < count; ++i) {
    NonceSet::Nonce n;
    crypto::RandomBytes(n);
    const size_t author = i % authors.size();
    ASSERT_TRUE(set.Insert(authors[author], n)) << i;
    after(i, author, n);
  }
}

TEST(NonceSetTest, EveryReplayIsFoundAfterTheTableGrew) {
  const std::vector<crypto::PublicKey> authors = RandomAuthors(37);
  NonceSet set;
  std::vector<std::pair<size_t, NonceSet::Nonce>> seen;
  ASSERT_NO_FATAL_FAILURE(
      InsertFresh(set, authors, 200000,
                  [&](size_t i, size_t author, const NonceSet::Nonce& n) {
                    if (i % 997 == 0) seen.emplace_back(author, n);
                  }));
  EXPECT_EQ(set.size(), 200000u);
  for (const auto& [author, n] : seen) {
    EXPECT_FALSE(set.Insert(authors[author], n));
    // The same nonce under another key is another pair.
    EXPECT_TRUE(set.Insert(authors[(author + 1) % authors.size()], n));
  }
  size_t visited = 0;
  set.ForEach(
      [&](const crypto::PublicKey&, const NonceSet::Nonce&) { ++visited; });
  EXPECT_EQ(visited, set.size());
}

// The authors' table is placed by a key's first 8 bytes: keys that share
// them (as a registry's keys could) are still told apart, before and after
// the table grows.
TEST(NonceSetTest, AuthorsWhoseKeysShareTheirFirstBytesAreKeptApart) {
  std::vector<crypto::PublicKey> authors(300);
  for (size_t i = 0; i < authors.size(); ++i) {
    authors[i].fill(0x5a);
    authors[i][31] = static_cast<uint8_t>(i);
    authors[i][30] = static_cast<uint8_t>(i >> 8);
  }
  NonceSet set;
  NonceSet::Nonce n{};
  for (const auto& a : authors) ASSERT_TRUE(set.Insert(a, n));
  for (const auto& a : authors) EXPECT_FALSE(set.Insert(a, n));
  EXPECT_EQ(set.size(), authors.size());
  std::vector<crypto::PublicKey> visited;
  set.ForEach([&](const crypto::PublicKey& a, const NonceSet::Nonce&) {
    visited.push_back(a);
  });
  std::sort(visited.begin(), visited.end());
  EXPECT_EQ(visited, authors);
}

TEST(NonceSetTest, NoncesThatShareBytesAreDistinct) {
  crypto::PublicKey a{};
  NonceSet set;
  NonceSet::Nonce n{};
  for (int i = 0; i < 16; ++i) {
    n[i] = 1;
    EXPECT_TRUE(set.Insert(a, n)) << i;
    EXPECT_FALSE(set.Insert(a, n)) << i;
  }
  EXPECT_EQ(set.size(), 16u);
}

// Reserved at the size a bundle claims, the table is not a power of two
// in size; it must find every replay, and more pairs than reserved must
// still go in (a count is only a claim).
TEST(NonceSetTest, AReservedTableFindsEveryReplayAndGrowsPastItsReservation) {
  const std::vector<crypto::PublicKey> authors = RandomAuthors(5);
  NonceSet set;
  set.Reserve(30001);
  std::vector<std::pair<size_t, NonceSet::Nonce>> all;
  ASSERT_NO_FATAL_FAILURE(
      InsertFresh(set, authors, 100000,
                  [&](size_t i, size_t author, const NonceSet::Nonce& n) {
                    all.emplace_back(author, n);
                    if (i == 20000) {
                      // Reserving again, below or above what is there, keeps
                      // every pair.
                      set.Reserve(10);
                      set.Reserve(77777);
                    }
                  }));
  EXPECT_EQ(set.size(), all.size());
  for (const auto& [author, n] : all) {
    ASSERT_FALSE(set.Insert(authors[author], n));
  }
  EXPECT_EQ(set.size(), all.size());
}

TEST(NonceSetTest, AFullyReservedTableBehavesAsAGrownOne) {
  crypto::PublicKey a{};
  crypto::PublicKey b{};
  b[0] = 1;
  NonceSet grown;
  NonceSet reserved;
  reserved.Reserve(4096);
  for (uint32_t i = 0; i < 4096; ++i) {
    NonceSet::Nonce n{};
    std::memcpy(n.data(), &i, sizeof i);
    const crypto::PublicKey& author = i % 3 == 0 ? a : b;
    // Every third nonce is offered twice: the second time is a replay.
    EXPECT_EQ(grown.Insert(author, n), reserved.Insert(author, n)) << i;
    if (i % 3 == 0) {
      EXPECT_FALSE(grown.Insert(author, n)) << i;
      EXPECT_FALSE(reserved.Insert(author, n)) << i;
    }
  }
  EXPECT_EQ(grown.size(), 4096u);
  EXPECT_EQ(reserved.size(), 4096u);
}

}  // namespace
}  // namespace piaojue::verifier
