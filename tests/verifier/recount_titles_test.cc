// The recount's titles by proposal ref: what was set is found, whatever
// the order of the refs, the size of the texts or how many there are.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "verifier/recount.h"

namespace piaojue::verifier {
namespace {

using Titles = RecountCollector::Titles;

TEST(RecountTitlesTest, FindsWhatWasSetAndNothingElse) {
  Titles titles;
  EXPECT_FALSE(titles.Contains(7));
  titles.Set(7, "社区助餐点");
  titles.Set(3, "");  // before the others, and empty
  titles.Set(11, "路灯");
  EXPECT_EQ(titles.Find(7), "社区助餐点");
  ASSERT_TRUE(titles.Find(3).has_value());
  EXPECT_EQ(*titles.Find(3), "");
  EXPECT_EQ(titles.Find(11), "路灯");
  EXPECT_FALSE(titles.Find(8).has_value());
  // A correction replaces the title; the ref stays one entry.
  titles.Set(7, "社区助餐点（扩建）");
  EXPECT_EQ(titles.Find(7), "社区助餐点（扩建）");
  std::vector<uint64_t> refs;
  titles.ForEach([&](uint64_t ref, std::string_view) { refs.push_back(ref); });
  EXPECT_EQ(refs, (std::vector<uint64_t>{3, 7, 11}));

  Titles only_empty;
  only_empty.Set(1, "");
  ASSERT_TRUE(only_empty.Find(1).has_value());
  EXPECT_EQ(*only_empty.Find(1), "");
}

// Millions of bytes of titles, one longer than a block, across many blocks:
// every text stays where it was found, as a map of strings would keep it.
TEST(RecountTitlesTest, KeepsEveryTextAcrossBlocksAsAMapOfStrings) {
  Titles titles;
  std::map<uint64_t, std::string> expected;
  std::vector<std::string_view> found_early;
  for (uint64_t ref = 1; ref <= 60000; ++ref) {
    std::string text(ref % 97, static_cast<char>('a' + ref % 26));
    text += std::to_string(ref);
    if (ref == 30000) text.assign(3 << 20, 'x');  // larger than a block
    titles.Set(ref * 3, text);
    expected[ref * 3] = text;
    if (ref == 5) found_early.push_back(*titles.Find(ref * 3));
  }
  for (const auto& [ref, text] : expected) {
    ASSERT_EQ(titles.Find(ref), text) << ref;
  }
  // A text found before thousands of others were added is still valid.
  EXPECT_EQ(found_early[0], expected[15]);
  size_t n = 0;
  titles.ForEach([&](uint64_t ref, std::string_view text) {
    EXPECT_EQ(text, expected.at(ref));
    ++n;
  });
  EXPECT_EQ(n, expected.size());
}

}  // namespace
}  // namespace piaojue::verifier
