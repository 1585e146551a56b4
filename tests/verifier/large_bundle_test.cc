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
  const uint64_t cycle = builder.refs().cycle;
  int64_t at_ms = builder.now_ms();
  crypto::Hash prev = crypto::Sha256(crypto::AsBytes(entries.back()));
  for (uint64_t i = 0; i < count; ++i) {
    auto signed_event =
        builder.Sign(builder.keys().intake, [&](schema::Event::Builder e) {
          auto s = e.initProposalSubmitted();
          s.setCycle(cycle);
          auto d = s.initDetails();
          d.setTitle("小区加装电梯 第" + std::to_string(i) + "号");
          d.setDescription("老旧小区加装电梯，方便老人出行。群众呼声较高。");
          d.setCategory(schema::Category::PUBLIC_FACILITIES);
          d.setLocation("城东街道");
          d.setEstimatedInvestmentFen(50'000'000);
          d.setFundingSource(schema::FundingSource::OWN_BUDGET);
          CycleBuilder::SetDay(d.initExpectedCompletion(), 2025, 12, 31);
          s.setProposerType(schema::ProposerType::RESIDENT);
          s.setChannel(schema::Channel::WECHAT);
          s.setReceiptRef("WX2025-" + std::to_string(i));
        });
    auto bytes =
        ledger::EncodeEntry(entries.size(), prev, at_ms++, signed_event);
    ASSERT_TRUE(bytes.ok());
    prev = crypto::Sha256(crypto::AsBytes(*bytes));
    entries.push_back(std::move(bytes).value());
  }
  WriteBundleFile(path, entries, SignCheckpoint(entries, builder.log_key()));
  std::printf("wrote %zu entries to %s\n", entries.size(), path);
}

}  // namespace
}  // namespace piaojue::verifier
