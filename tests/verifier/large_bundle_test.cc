// Not a test: a generator of large honest bundles for measuring the
// verifier (docs/VERIFY.md, "Speed"). Run by hand:
//
//   PIAOJUE_LARGE_BUNDLE=/tmp/large.bundle PIAOJUE_LARGE_COUNT=200000
//   build/.../tamper_test --gtest_also_run_disabled_tests
//       --gtest_filter='*WriteLargeBundle'
//
// (the variables in the environment of the second line).
//
// The fixture's deployment and cycle, then COUNT proposals submitted through
// the public-intake portal, encoded and chained here directly (the ledger's
// own append path is not what is being measured). With COUNT=0, the
// fixture's whole cycle instead (for the examples in docs/VERIFY.md).
#include <cstdlib>

#include "tests/cycle_builder.h"
#include "tests/verifier/tamper_util.h"

namespace piaojue::verifier {
namespace {

using piaojue::testing::CycleBuilder;
using namespace piaojue::verifier::testing;

TEST(LargeBundle, DISABLED_WriteLargeBundle) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  const char* path = std::getenv("PIAOJUE_LARGE_BUNDLE");
  const char* count_text = std::getenv("PIAOJUE_LARGE_COUNT");
  ASSERT_NE(path, nullptr) << "set PIAOJUE_LARGE_BUNDLE";
  const uint64_t count =
      count_text ? std::strtoull(count_text, nullptr, 10) : 100000;
  CycleBuilder builder;
  if (count == 0) {
    ASSERT_TRUE(builder.BuildAll().ok());
    std::vector<std::string> entries = ReadEntries(builder.ledger());
    WriteBundleFile(path, entries, SignCheckpoint(entries, builder.log_key()));
    return;
  }
  ASSERT_TRUE(builder.BuildThrough(CycleBuilder::Stage::kCycleOpened).ok());
  std::vector<std::string> entries = ReadEntries(builder.ledger());
  ASSERT_OK(AppendIntakeProposals(builder, entries, count));
  WriteBundleFile(path, entries, SignCheckpoint(entries, builder.log_key()));
  std::printf("wrote %zu entries to %s\n", entries.size(), path);
}

}  // namespace
}  // namespace piaojue::verifier
