// The containers the fold's records live in share structure between copies
// (projections/internal/persistent.h): a copy must behave exactly like an
// independent std::map, whatever the other copies do afterwards.
#include "projections/internal/persistent.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace piaojue::projections::internal {
namespace {

std::map<uint64_t, std::string> AsMap(const IndexMap<std::string>& m) {
  std::map<uint64_t, std::string> out;
  for (const auto& [k, v] : m) {
    EXPECT_TRUE(out.emplace(k, v).second) << "key " << k << " twice";
  }
  return out;
}

TEST(IndexMapTest, BehavesLikeAMapUnderRandomInsertsAndErases) {
  std::mt19937_64 rng(7);
  IndexMap<std::string> m;
  std::map<uint64_t, std::string> want;
  for (int i = 0; i < 20000; ++i) {
    // Mostly log-like keys, some far apart (the trie grows its height).
    uint64_t k = rng() % 5000;
    if (i % 97 == 0) k = rng();
    if (rng() % 4 == 0) {
      EXPECT_EQ(m.erase(k), want.erase(k) == 1);
    } else {
      m.slot(k) = std::to_string(i);
      want[k] = std::to_string(i);
    }
  }
  EXPECT_EQ(m.size(), want.size());
  EXPECT_EQ(AsMap(m), want);
  for (const auto& [k, v] : want) {
    ASSERT_TRUE(m.contains(k));
    EXPECT_EQ(m.at(k), v);
    auto it = m.find(k);
    ASSERT_NE(it, m.end());
    EXPECT_EQ(it->first, k);
    // find() gives an iterator that walks on in key order.
    auto next = want.upper_bound(k);
    ++it;
    if (next == want.end()) {
      EXPECT_EQ(it, m.end());
    } else {
      ASSERT_NE(it, m.end());
      EXPECT_EQ(it->first, next->first);
    }
  }
  EXPECT_EQ(m.find(5001), m.end());
  EXPECT_EQ(m.find_mut(5001), nullptr);
  EXPECT_THROW(m.at(5001), std::out_of_range);
}

TEST(IndexMapTest, ACopyNeverSeesTheOriginalsLaterChanges) {
  IndexMap<std::string> a;
  for (uint64_t k = 0; k < 5000; k += 3)
    a.slot(k) = std::string("v").append(std::to_string(k));
  const IndexMap<std::string> before = a;  // shares every node with `a`
  const auto snapshot = AsMap(before);

  a.mut(3) = "changed";
  a.slot(4999) = "new";
  a.erase(0);
  a.erase(4998);
  for (uint64_t k = 6000; k < 9000; ++k) a.push_back("grown");

  EXPECT_EQ(AsMap(before), snapshot);
  EXPECT_EQ(before.at(3), "v3");
  EXPECT_FALSE(before.contains(4999));
  EXPECT_EQ(before.at(0), "v0");
  EXPECT_EQ(a.at(3), "changed");
  EXPECT_FALSE(a.contains(0));

  // And the other way round: changing the copy leaves the original alone.
  IndexMap<std::string> c = before;
  c.mut(6) = "c";
  EXPECT_EQ(before.at(6), "v6");
  EXPECT_EQ(c.at(6), "c");
}

TEST(IndexMapTest, AnUnsharedValueIsChangedInPlaceASharedOneIsCopied) {
  IndexMap<std::string> a;
  a.slot(10) = "x";
  const std::string* place = &a.at(10);
  a.mut(10) += "y";  // nobody else holds it: no copy
  EXPECT_EQ(&a.at(10), place);

  const IndexMap<std::string> held = a;
  a.mut(10) += "z";  // `held` holds it: copied first
  EXPECT_NE(&a.at(10), place);
  EXPECT_EQ(&held.at(10), place);
  EXPECT_EQ(held.at(10), "xy");
  EXPECT_EQ(a.at(10), "xyz");
}

TEST(SharedTest, ACopyKeepsItsValueWhenTheOtherChanges) {
  Shared<std::map<std::string, int>> a;
  a.mut()["one"] = 1;
  const Shared<std::map<std::string, int>> b = a;
  a.mut()["two"] = 2;
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(b.find("two"), b.end());
  EXPECT_EQ(a.at("two"), 2);
}

}  // namespace
}  // namespace piaojue::projections::internal
