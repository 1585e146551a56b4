// The verifier's pipeline (verifier/batch_pool.h): entries are decoded and
// their signatures verified ahead of the in-order checks, in chunks handed
// to whichever thread asks next, across several batches at once. Whatever
// thread finds a fault and whenever, the report is the one of checking the
// entries one by one: the first failure in log order, on any number of
// threads.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "tests/cycle_builder.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/batch_pool.h"

namespace piaojue::verifier {
namespace {

using piaojue::testing::CycleBuilder;
using namespace piaojue::verifier::testing;

// A batch that records which thread worked on which entry.
class CountingBatch : public BatchPool::Batch {
 public:
  CountingBatch(size_t id, size_t size) : id(id), worked(size) {}
  void Work(size_t begin, size_t end) override {
    for (size_t i = begin; i < end; ++i) worked[i].fetch_add(1);
  }
  void Done() override { done_calls.fetch_add(1); }

  const size_t id;
  std::vector<std::atomic<int>> worked;
  std::atomic<int> done_calls{0};
};

TEST(BatchPoolTest, EveryEntryIsWorkedOnceAndBatchesComeBackInOrder) {
  for (unsigned threads : {1u, 2u, 7u}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    BatchPool pool(threads, 16);
    size_t next_id = 0, taken = 0;
    const std::vector<size_t> sizes = {1024, 1, 0, 17, 1024, 300, 16, 1000};
    auto take = [&] {
      std::unique_ptr<BatchPool::Batch> b = pool.Take();
      auto* batch = static_cast<CountingBatch*>(b.get());
      EXPECT_EQ(batch->id, taken++);
      EXPECT_EQ(batch->done_calls.load(), 1);
      for (size_t i = 0; i < batch->worked.size(); ++i) {
        ASSERT_EQ(batch->worked[i].load(), 1) << "entry " << i;
      }
      pool.Free(std::move(b));
    };
    for (size_t size : sizes) {
      pool.Add(std::make_unique<CountingBatch>(next_id++, size), size);
      while (pool.pending() >= 3 || (pool.pending() > 0 && pool.FrontDone())) {
        take();
      }
    }
    while (pool.pending() > 0) take();
    EXPECT_EQ(taken, sizes.size());
  }
}

// Stopping early (the first failure ends a run) drops the batches not taken,
// whether or not their chunks were worked on.
TEST(BatchPoolTest, APoolWithBatchesNotTakenStops) {
  for (unsigned threads : {1u, 2u, 7u}) {
    BatchPool pool(threads, 8);
    for (size_t i = 0; i < 4; ++i) {
      pool.Add(std::make_unique<CountingBatch>(i, 500), 500);
    }
    pool.Free(pool.Take());
    EXPECT_EQ(pool.pending(), 3u);
  }
}

// A log of several of the verifier's batches (1,024 entries each): the
// fixture's cycle, then public-intake proposals.
class PipelineTest : public ForgeryTest {
 protected:
  void BuildLong(uint64_t proposals) {
    builder_ = std::make_unique<CycleBuilder>(tmp_.Sub("data"));
    ASSERT_TRUE(builder_->BuildThrough(Stage::kCycleOpened).ok());
    entries_ = ReadEntries(builder_->ledger());
    vkey_ = note::FormatVerifierKey(builder_->log_key().name,
                                    builder_->log_key().key_pair.public_key);
    ASSERT_OK(AppendIntakeProposals(*builder_, entries_, proposals));
  }

  VerifyReport VerifyOn(const std::string& path, unsigned threads,
                        bool signatures = true) {
    VerifyOptions options;
    options.path = path;
    options.vkey = vkey_;
    options.quiet = true;
    options.threads = threads;
    options.check_signatures = signatures;
    return Verify(options);
  }

  static nlohmann::json WithoutSeconds(const VerifyReport& report) {
    nlohmann::json j = nlohmann::json::parse(ReportToJson(report));
    j.erase("seconds");
    return j;
  }
};

TEST_F(PipelineTest, AnHonestLogOfManyBatchesIsValidOnAnyNumberOfThreads) {
  ASSERT_NO_FATAL_FAILURE(BuildLong(3300));
  const std::string path = Publish(entries_, "honest.bundle");
  const VerifyReport one = VerifyOn(path, 1);
  EXPECT_EQ(one.exit_code, 0) << Describe(one);
  EXPECT_EQ(one.entries, entries_.size());
  for (unsigned threads : {2u, 7u}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    EXPECT_EQ(WithoutSeconds(VerifyOn(path, threads)), WithoutSeconds(one));
  }
}

// Two faults in two later batches, in the middle of a batch each: a bad
// signature, and after it an entry whose bytes were altered. Both are found
// ahead of the in-order checks, by whichever thread took their chunk (the
// later one may well be found first); the run reports the earlier, stops
// there, and says the same on 1, 2 or 7 threads. Without signatures the
// altered entry is the first failure.
TEST_F(PipelineTest, TheFirstFailureInLogOrderIsReportedOnAnyNumberOfThreads) {
  ASSERT_NO_FATAL_FAILURE(BuildLong(4100));
  const uint64_t bad_signature = 1024 + 517, altered = 2 * 1024 + 300;
  ASSERT_LT(altered, entries_.size() - 1000);
  std::vector<std::string> forged = entries_;
  {
    ledger::EntryView view = Parse(forged[bad_signature]);
    ledger::SignedEvent signed_event;
    signed_event.authored = view.authored_event().bytes();
    signed_event.signature = view.signature();
    signed_event.signature[9] ^= 0x04;
    auto bytes = ledger::EncodeEntry(bad_signature, view.prev_hash(),
                                     view.recorded_at_ms(), signed_event);
    ASSERT_TRUE(bytes.ok());
    forged[bad_signature] = *bytes;
  }
  forged = Rechain(forged, bad_signature);
  // Not rechained: the altered entry's hash no longer links the next one.
  forged[altered][forged[altered].size() / 2] ^= 0x10;
  const std::string path = Publish(forged);

  const VerifyReport one = VerifyOn(path, 1);
  ExpectInvalidAt(one, bad_signature, "signature");
  EXPECT_EQ(one.entries, bad_signature);
  const VerifyReport unsigned_one = VerifyOn(path, 1, false);
  ExpectInvalidAt(unsigned_one, altered, {"decode", "chain", "rules"});
  for (unsigned threads : {2u, 7u}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    const VerifyReport report = VerifyOn(path, threads);
    ExpectInvalidAt(report, bad_signature, "signature");
    EXPECT_EQ(WithoutSeconds(report), WithoutSeconds(one));
    EXPECT_EQ(WithoutSeconds(VerifyOn(path, threads, false)),
              WithoutSeconds(unsigned_one));
  }
}

}  // namespace
}  // namespace piaojue::verifier
