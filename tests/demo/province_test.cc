#include "api/demo/province.h"

#include <gtest/gtest.h>

#include <string>

#include "api/cli/data_dir.h"
#include "ledger/ledger.h"
#include "tests/test_util.h"

// The province generator tells every county's story in windows so that its
// memory does not grow with the province (ProvinceOptions::window_entries).
// How the story is cut must not change a byte of the ledger.

namespace piaojue::demo {
namespace {

struct Written {
  uint64_t size = 0;
  ledger::Hash root{};
};

Written Write(const std::string& data, int counties, uint64_t window) {
  ProvinceOptions options;
  options.data = data;
  options.counties = counties;
  options.window_entries = window;
  options.signing_threads = 2;
  Status s = WriteProvince(options);
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto ledger =
      ledger::Ledger::Open(cli::DataDir(data).ledger_path(), {}, true);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  if (!ledger.ok()) return {};
  const ledger::Head head = (*ledger)->head();
  return {head.size, head.root};
}

TEST(ProvinceTest, WindowsGiveTheSameLedgerAsTheWholeStory) {
  piaojue::testing::TempDir tmp;
  const int counties = 3;
  // The whole story of every county at once.
  const Written whole = Write(tmp.path() + "/whole", counties, 1000000);
  // Windows of 37 story events per county: the story cut in many pieces,
  // at boundaries that fall inside every stage.
  const Written windowed =
      Write(tmp.path() + "/windowed", counties, 37 * counties);
  EXPECT_EQ(whole.size, ProvinceSize(counties));
  EXPECT_EQ(windowed.size, whole.size);
  EXPECT_EQ(windowed.root, whole.root);
}

TEST(ProvinceTest, RefusesADirectoryThatHoldsALedger) {
  piaojue::testing::TempDir tmp;
  Write(tmp.path() + "/p", 1, 0);
  ProvinceOptions options;
  options.data = tmp.path() + "/p";
  EXPECT_EQ(WriteProvince(options).code(), StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace piaojue::demo
