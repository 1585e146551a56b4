// The verifier's set of (author, nonce) pairs: exact, across its growth.
#include "verifier/nonce_set.h"

#include <gtest/gtest.h>

#include <vector>

namespace piaojue::verifier {
namespace {

TEST(NonceSetTest, EveryReplayIsFoundAfterTheTableGrew) {
  std::vector<crypto::PublicKey> authors(37);
  for (auto& a : authors) crypto::RandomBytes(a);
  NonceSet set;
  std::vector<std::pair<size_t, NonceSet::Nonce>> seen;
  for (size_t i = 0; i < 200000; ++i) {
    NonceSet::Nonce n;
    crypto::RandomBytes(n);
    const size_t author = i % authors.size();
    ASSERT_TRUE(set.Insert(authors[author], n)) << i;
    if (i % 997 == 0) seen.emplace_back(author, n);
  }
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

}  // namespace
}  // namespace piaojue::verifier
