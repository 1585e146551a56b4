// The containers the fold's records live in share structure between copies
// (projections/internal/persistent.h): a copy must behave exactly like an
// independent std::map, whatever the other copies do afterwards.
#include "projections/internal/persistent.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "projections/internal/model.h"  // CompactList

namespace piaojue::projections::internal {
namespace {

std::map<uint64_t, std::string> AsMap(const IndexMap<std::string>& m) {
  std::map<uint64_t, std::string> out;
  for (const auto& [k, v] : m) {
    EXPECT_TRUE(out.emplace(k, v).second) << "key " << k << " twice";
  }
  return out;
}

TEST(CountOnesTest, CountsTheBitsSetAsStdPopcountDoes) {
  EXPECT_EQ(CountOnes(0), 0);
  EXPECT_EQ(CountOnes(~uint64_t{0}), 64);
  for (int i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    EXPECT_EQ(CountOnes(bit), 1) << i;
    EXPECT_EQ(CountOnes(bit - 1), i) << i;
    EXPECT_EQ(CountOnes(~bit), 63) << i;
  }
  std::mt19937_64 random(7);
  for (int round = 0; round < 100000; ++round) {
    const uint64_t bits = random() & random();  // sparser as well as dense
    ASSERT_EQ(CountOnes(bits), std::popcount(bits)) << bits;
  }
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

struct Meta {
  uint32_t a = 0;
  uint64_t b = 0;
  bool operator==(const Meta&) const = default;
};

TEST(DenseTableTest, BehavesLikeAVectorAndRefusesIndicesPastItsEnd) {
  DenseTable<Meta> t;
  std::vector<Meta> want;
  EXPECT_EQ(t.get(0), nullptr);
  EXPECT_THROW(t.at(0), std::out_of_range);
  // Across several chunks, and a partial last one.
  for (uint32_t i = 0; i < 5 * DenseTable<Meta>::kChunk + 7; ++i) {
    t.push_back(Meta{i, uint64_t{i} * 3});
    want.push_back(Meta{i, uint64_t{i} * 3});
  }
  ASSERT_EQ(t.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(t[i], want[i]) << i;
  // An index past the end is absent, as a missing key of an IndexMap is,
  // even inside the last chunk's capacity (a reference to an entry not yet
  // applied must read as unknown, never as a zeroed record).
  EXPECT_EQ(t.get(want.size()), nullptr);
  EXPECT_EQ(t.get(want.size() + 1), nullptr);
  EXPECT_EQ(t.get(uint64_t{1} << 40), nullptr);
  EXPECT_EQ(t.get(~uint64_t{0}), nullptr);
  EXPECT_THROW(t.at(want.size()), std::out_of_range);
  EXPECT_THROW(t.mut(want.size()), std::out_of_range);
  t.mut(70).b = 99;
  EXPECT_EQ(t[70].b, 99u);
  EXPECT_EQ(t[69].b, 69u * 3);
}

TEST(DenseTableTest, ACopyNeverSeesTheOriginalsLaterChanges) {
  DenseTable<Meta> a;
  for (uint32_t i = 0; i < 200; ++i) a.push_back(Meta{i, i});
  const DenseTable<Meta> before = a;  // shares every chunk with `a`
  a.mut(5).b = 1000;
  a.mut(199).a = 7;
  for (uint32_t i = 200; i < 300; ++i) a.push_back(Meta{i, 0});
  ASSERT_EQ(before.size(), 200u);
  EXPECT_EQ(before[5].b, 5u);
  EXPECT_EQ(before[199].a, 199u);
  EXPECT_EQ(before.get(200), nullptr);
  EXPECT_EQ(a[5].b, 1000u);
  EXPECT_EQ(a[199].a, 7u);
  EXPECT_EQ(a.size(), 300u);
  // Unchanged chunks stay shared: the same memory in both.
  EXPECT_EQ(&before[100], &a[100]);
  EXPECT_NE(&before[5], &a[5]);
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

// prefix followed by n (long enough not to be stored inside the string).
std::string Name(const char* prefix, int n) {
  std::string s = prefix;
  s += std::to_string(n);
  s += " and some padding";
  return s;
}

std::vector<std::string> AsVector(const AppendList<std::string>& l) {
  return std::vector<std::string>(l.begin(), l.end());
}

TEST(AppendListTest, BehavesLikeAVector) {
  AppendList<std::string> l;
  std::vector<std::string> want;
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.begin(), l.end());
  for (int i = 0; i < 3000; ++i) {
    // Long enough not to be stored inside the string itself.
    want.push_back(Name("element ", i));
    if (i % 2 == 0) {
      l.push_back(want.back());
    } else {
      EXPECT_EQ(l.emplace_back(want.back()), want.back());
    }
    ASSERT_EQ(l.size(), want.size());
    ASSERT_EQ(l.back(), want.back());
  }
  EXPECT_EQ(AsVector(l), want);
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(l[i], want[i]) << i;
  EXPECT_EQ(l.front(), want.front());
  EXPECT_EQ(l.at(2999), want[2999]);
  EXPECT_THROW(l.at(3000), std::out_of_range);
  const AppendList<int> small = {1, 2, 3};
  EXPECT_EQ(std::vector<int>(small.begin(), small.end()),
            (std::vector<int>{1, 2, 3}));
  l.clear();
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.begin(), l.end());
}

// A family of copies of one list, each appended to, cleared, reassigned and
// dropped at random: every copy always holds exactly the elements a
// std::vector copied at the same moment would.
TEST(AppendListTest, ACopyIsIndependentWhateverTheOthersDo) {
  std::mt19937_64 rng(11);
  std::vector<AppendList<std::string>> lists(1);
  std::vector<std::vector<std::string>> want(1);
  for (int step = 0; step < 20000; ++step) {
    const size_t i = rng() % lists.size();
    const int op = static_cast<int>(rng() % 100);
    if (op < 70) {
      const std::string v = Name("v", step);
      lists[i].push_back(v);
      want[i].push_back(v);
    } else if (op < 85 && lists.size() < 40) {
      lists.push_back(lists[i]);  // a copy, sharing every chunk
      want.push_back(want[i]);
    } else if (op < 90) {
      const size_t j = rng() % lists.size();
      lists[i] = lists[j];
      want[i] = want[j];
    } else if (op < 92) {
      lists[i].clear();
      want[i].clear();
    } else if (lists.size() > 1) {
      lists.erase(lists.begin() + static_cast<ptrdiff_t>(i));
      want.erase(want.begin() + static_cast<ptrdiff_t>(i));
    }
    if (step % 500 == 0 || step == 19999) {
      for (size_t k = 0; k < lists.size(); ++k) {
        ASSERT_EQ(AsVector(lists[k]), want[k])
            << "copy " << k << " at step " << step;
      }
    }
  }
}

TEST(AppendListTest, AppendingToACopyAtTheSameSizeCopiesNoElement) {
  AppendList<std::string> a;
  for (int i = 0; i < 100; ++i) a.push_back(Name("x", i));
  const AppendList<std::string> kept = a;
  std::vector<const std::string*> places;
  for (const std::string& s : kept) places.push_back(&s);
  for (int i = 100; i < 300; ++i) a.push_back(Name("x", i));
  // The list that went on shares every element the kept copy has...
  for (size_t i = 0; i < 100; ++i) ASSERT_EQ(&a[i], places[i]) << i;
  ASSERT_EQ(kept.size(), 100u);
  EXPECT_EQ(kept.back(), Name("x", 99));

  // ...and a copy that is behind copies only its part of its last chunk
  // before it appends: its earlier chunks stay shared, and neither sees the
  // other's elements.
  AppendList<std::string> behind = kept;
  behind.push_back("other");
  EXPECT_EQ(&behind[0], places[0]);
  EXPECT_EQ(behind[100], "other");
  EXPECT_EQ(a[100], Name("x", 100));
  EXPECT_EQ(kept.size(), 100u);
  EXPECT_EQ(AsVector(kept).back(), Name("x", 99));
}

// Element copies counted: a list kept every few appends (as PastStates
// keeps states) while the original goes on costs no element copy at all.
struct Counted {
  static inline int copies = 0;
  int v = 0;
  explicit Counted(int x) : v(x) {}
  Counted(const Counted& o) : v(o.v) { ++copies; }
  Counted(Counted&& o) noexcept = default;
  bool operator==(const Counted& o) const { return v == o.v; }
};

TEST(AppendListTest, KeepingCopiesWhileTheOriginalGrowsCopiesNoElement) {
  Counted::copies = 0;
  AppendList<Counted> fold;
  std::vector<AppendList<Counted>> kept;
  for (int i = 0; i < 5000; ++i) {
    fold.push_back(Counted(i));
    if (i % 7 == 0) kept.push_back(fold);
  }
  EXPECT_EQ(Counted::copies, 0);
  for (size_t k = 0; k < kept.size(); ++k) {
    ASSERT_EQ(kept[k].size(), 7 * k + 1);
    int expect = 0;
    for (const Counted& c : kept[k]) ASSERT_EQ(c.v, expect++);
  }
}

// Two copies of one list appended to by two threads at once (a query's
// fold from a kept state while the server's fold goes on), and a third
// read throughout: the atomic slot claim gives each its own elements.
TEST(AppendListTest, CopiesAppendedToFromTwoThreadsStayIndependent) {
  AppendList<std::string> base;
  for (int i = 0; i < 10; ++i) base.push_back(Name("base", i));
  for (int round = 0; round < 50; ++round) {
    const size_t n = base.size();
    const std::string last = base.back();
    AppendList<std::string> a = base, b = base;
    const AppendList<std::string> reader = base;
    std::thread ta([&] {
      for (int i = 0; i < 500; ++i) a.push_back(Name("a", i));
    });
    std::thread tb([&] {
      for (int i = 0; i < 500; ++i) b.push_back(Name("b", i));
    });
    for (int pass = 0; pass < 20; ++pass) {
      ASSERT_EQ(reader.size(), n);
      ASSERT_EQ(reader.back(), last);
    }
    ta.join();
    tb.join();
    ASSERT_EQ(a.size(), n + 500);
    ASSERT_EQ(b.size(), n + 500);
    for (int i = 0; i < 500; ++i) {
      ASSERT_EQ(a[n + i], Name("a", i));
      ASSERT_EQ(b[n + i], Name("b", i));
    }
    base.push_back(Name("more", round));
  }
}

// A CompactList (a record's short lists in one pointer) behaves as the
// std::vector it replaced: growing one at a time or from a vector, copied
// whole, equal by its elements, empty after clear.
TEST(CompactListTest, BehavesLikeAVector) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 50; ++round) {
    CompactList<std::string> l;
    std::vector<std::string> want;
    EXPECT_TRUE(l.empty());
    EXPECT_EQ(l.begin(), l.end());
    const size_t n = rng() % 40;
    for (size_t i = 0; i < n; ++i) {
      const std::string v = "item " + std::to_string(rng() % 1000) +
                            std::string(rng() % 30, 'x');  // some on the heap
      l.push_back(v);
      want.push_back(v);
    }
    ASSERT_EQ(l.size(), want.size());
    EXPECT_TRUE(std::equal(l.begin(), l.end(), want.begin(), want.end()));
    CompactList<std::string> copy = l;
    EXPECT_EQ(copy, l);
    copy.push_back("only in the copy");
    EXPECT_EQ(l.size(), want.size());
    EXPECT_FALSE(copy == l);
    CompactList<std::string> moved = std::move(copy);
    EXPECT_EQ(moved.size(), want.size() + 1);
    EXPECT_EQ(moved.back(), "only in the copy");
    if (!want.empty()) {
      EXPECT_EQ(moved.front(), want.front());
    }
    CompactList<std::string> assigned;
    assigned = want;
    EXPECT_EQ(assigned, l);
    l.clear();
    EXPECT_TRUE(l.empty());
    EXPECT_EQ(l.size(), 0u);
  }
  // An 8-byte record field where a std::vector takes 24.
  static_assert(sizeof(CompactList<uint64_t>) == sizeof(void*));
}

TEST(StringMapTest, BehavesLikeAMapAndACopyKeepsItsValue) {
  std::mt19937_64 rng(5);
  StringMap<int> m;
  std::map<std::string, int> want;
  std::vector<std::pair<StringMap<int>, std::map<std::string, int>>> copies;
  for (int i = 0; i < 5000; ++i) {
    // Key hex as the registries hold, and a few short or odd keys.
    std::string k = Name("", static_cast<int>(rng() % 3000));
    if (i % 50 == 0) k = std::string(rng() % 3, static_cast<char>(rng()));
    m.slot(k) = i;
    want[k] = i;
    if (i % 400 == 0) copies.emplace_back(m, want);
  }
  copies.emplace_back(m, want);
  for (const auto& [copy, expect] : copies) {
    std::map<std::string, int> seen;
    std::vector<std::string> order;
    copy.ForEach([&](const std::string& k, int v) {
      seen[k] = v;
      order.push_back(k);
    });
    EXPECT_EQ(seen, expect);
    EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
    EXPECT_EQ(order.size(), expect.size());
    EXPECT_EQ(copy.size(), expect.size());
    for (const auto& [k, v] : expect) {
      ASSERT_NE(copy.get(k), nullptr) << k;
      EXPECT_EQ(*copy.get(k), v);
    }
  }
  EXPECT_EQ(m.get("absent key"), nullptr);
  EXPECT_FALSE(m.emplace(copies.back().second.begin()->first, -1));
}

// A registry keyed by keys' bytes (as the rules' key registry is) lists them
// in the order of their hex, which is how a snapshot writes them, and a copy
// keeps the values it had.
TEST(StringMapTest, KeysOfBytesAreInTheOrderOfTheirHexAndACopyKeepsItsValue) {
  using Key = std::array<uint8_t, 32>;
  auto hex = [](const Key& k) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (uint8_t b : k) {
      out.push_back(kDigits[b >> 4]);
      out.push_back(kDigits[b & 0xf]);
    }
    return out;
  };
  std::mt19937_64 rng(7);
  StringMap<int, Key> m;
  std::map<std::string, int> want;
  std::optional<std::pair<StringMap<int, Key>, std::map<std::string, int>>>
      copy;
  for (int i = 0; i < 3000; ++i) {
    Key k;
    for (uint8_t& b : k) b = static_cast<uint8_t>(rng());
    if (i % 3 == 0) k[0] = 0xff;  // many in the last buckets, above 0x7f
    if (i % 5 == 0) k[1] = 0x00;
    m.slot(k) = i;
    want[hex(k)] = i;
    if (i == 1500) copy.emplace(m, want);
  }
  for (const auto& [map, expect] : {std::pair(m, want), *copy}) {
    std::vector<std::pair<std::string, int>> seen;
    map.ForEach([&](const Key& k, int v) { seen.emplace_back(hex(k), v); });
    const std::vector<std::pair<std::string, int>> expected(expect.begin(),
                                                            expect.end());
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(map.size(), expect.size());
  }
  Key absent{};
  EXPECT_EQ(m.get(absent), nullptr);
}

// A progress report's versions read as the list they are, the first kept in
// the list itself; a copy keeps its own after the original gains more.
TEST(VersionListTest, ReadsAsTheListOfVersionsAndACopyKeepsItsOwn) {
  VersionList v;
  EXPECT_TRUE(v.empty());
  v.push_back(ProgressVersion{Date{2025, 7, 31}, 5000, true});
  const VersionList copy = v;
  v.push_back(ProgressVersion{Date{2025, 8, 2}, 4000, true});
  v.push_back(ProgressVersion{Date{2025, 9, 1}, 3000, false});
  std::vector<uint16_t> percents;
  for (const ProgressVersion& x : v) percents.push_back(x.percent_bp);
  EXPECT_EQ(percents, (std::vector<uint16_t>{5000, 4000, 3000}));
  EXPECT_TRUE(v[2].recorded_on == (Date{2025, 9, 1}));
  EXPECT_FALSE(v[2].started);
  EXPECT_TRUE(v[0].started);
  ASSERT_EQ(copy.size(), 1u);
  EXPECT_EQ(copy[0].percent_bp, 5000);
  EXPECT_TRUE(copy[0].recorded_on == (Date{2025, 7, 31}));
  v.clear();
  EXPECT_TRUE(v.empty());
  EXPECT_TRUE(v.begin() == v.end());
}

}  // namespace
}  // namespace piaojue::projections::internal
