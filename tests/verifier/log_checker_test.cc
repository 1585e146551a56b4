// The in-order checks of verifier::LogChecker that read what earlier entries
// left behind: here, which jurisdiction an entry was authored in, for
// authorizing a correction of it (docs/VERIFY.md, "authorization"), with more
// jurisdictions than the checker's table first has room for, and after the
// state is saved and restored (a live log followed).
#include "verifier/log_checker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ledger/entry.h"
#include "tests/test_util.h"

namespace piaojue::verifier {
namespace {

using piaojue::testing::MakeEvent;
using piaojue::testing::TestKey;

constexpr int64_t kAt = 1700000000000;

// Entries chained by hand (the ledger's own checks are not under test).
class Log {
 public:
  uint64_t Add(const ledger::SignedEvent& event) {
    auto bytes = ledger::EncodeEntry(entries_.size(), prev_, kAt, event);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    prev_ = crypto::Sha256(crypto::AsBytes(*bytes));
    entries_.push_back(*bytes);
    return entries_.size() - 1;
  }
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  std::vector<std::string> entries_;
  crypto::Hash prev_{};
};

std::string Code(int j) { return "6101" + std::to_string(100 + j); }

ledger::SignedEvent Correct(const crypto::KeyPair& author,
                            const std::string& jurisdiction, uint64_t target) {
  return MakeEvent(
      author, jurisdiction,
      [&](schema::Event::Builder e) {
        auto c = e.initCorrection();
        c.setTarget(target);
        c.setReason("误录");
        c.setRetraction();
      },
      kAt);
}

class LogCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    const crypto::KeyPair root = TestKey(1);
    log_.Add(piaojue::testing::Genesis(root));
    // More jurisdictions than the checker's first table holds (64 slots,
    // at most half full), each with an office that opens a cycle there.
    for (int j = 0; j < kJurisdictions; ++j) {
      log_.Add(piaojue::testing::RegisterJurisdiction(root, Code(j)));
      log_.Add(piaojue::testing::RegisterKey(
          root, office_.public_key, schema::Role::GOVERNMENT_OFFICE, Code(j)));
    }
    for (int j = 0; j < kJurisdictions; ++j) {
      opened_.push_back(
          log_.Add(piaojue::testing::OpenCycle(office_, 2025, Code(j), kAt)));
    }
  }

  // Checks every entry of the log, then `last`.
  Status CheckWith(LogChecker& checker, const ledger::SignedEvent& last,
                   size_t from = 0) {
    Log log = log_;
    log.Add(last);
    for (size_t i = from; i < log.entries().size(); ++i) {
      if (!checker.Add(i, log.entries()[i])) {
        return PermissionDenied(checker.failure()->check + ": " +
                                checker.failure()->message);
      }
    }
    return Status::Ok();
  }

  static constexpr int kJurisdictions = 70;
  const crypto::KeyPair office_ = TestKey(2);
  Log log_;
  std::vector<uint64_t> opened_;
};

TEST_F(LogCheckerTest, ACorrectionIsAuthorizedInItsTargetsJurisdictionOnly) {
  for (int j : {0, 31, 32, 33, kJurisdictions - 1}) {
    SCOPED_TRACE(j);
    LogChecker same;
    EXPECT_TRUE(CheckWith(same, Correct(office_, Code(j), opened_[j])).ok());
    LogChecker other;
    const int k = (j + 1) % kJurisdictions;
    Status s = CheckWith(other, Correct(office_, Code(k), opened_[j]));
    EXPECT_EQ(s.message(), "authorization: entry " +
                               std::to_string(log_.entries().size()) +
                               ": correction in " + Code(k) +
                               " targets an entry of jurisdiction " + Code(j));
  }
}

TEST_F(LogCheckerTest, ASavedAndRestoredCheckerKnowsEveryEntrysJurisdiction) {
  LogChecker first;
  for (size_t i = 0; i < log_.entries().size(); ++i) {
    ASSERT_TRUE(first.Add(i, log_.entries()[i])) << first.failure()->message;
  }
  ASSERT_TRUE(first.Finish());
  const nlohmann::json saved = first.SaveState();
  merkle::Frontier frontier;
  for (const std::string& e : log_.entries()) {
    frontier.Append(merkle::LeafHash(crypto::AsBytes(e)));
  }
  for (int j : {0, 40, kJurisdictions - 1}) {
    SCOPED_TRACE(j);
    LogChecker same;
    ASSERT_TRUE(same.RestoreState(saved, frontier).ok());
    EXPECT_TRUE(CheckWith(same, Correct(office_, Code(j), opened_[j]),
                          log_.entries().size())
                    .ok());
    LogChecker other;
    ASSERT_TRUE(other.RestoreState(saved, frontier).ok());
    Status s = CheckWith(other, Correct(office_, Code(0), opened_[j]),
                         log_.entries().size());
    EXPECT_EQ(s.ok(), j == 0) << s.message();
    // The restored checker saves what it was given.
    ASSERT_TRUE(same.Finish());
    EXPECT_EQ(same.SaveState()["jurisdictionNames"],
              saved["jurisdictionNames"]);
  }
}

// A restored state may already hold as many distinct kinds and roles as the
// checker numbers (RestoreState accepts up to that many): an entry of yet
// another pair is then refused in words, not recorded under a number that
// does not exist.
TEST_F(LogCheckerTest,
       AnEntryPastTheKindsAndRolesARestoredStateHoldsIsRefused) {
  // Enough entries for 256 distinct pairs in the saved state.
  for (int year = 2026; log_.entries().size() < 256; ++year) {
    log_.Add(piaojue::testing::OpenCycle(office_, year, Code(0), kAt));
  }
  LogChecker first;
  for (size_t i = 0; i < log_.entries().size(); ++i) {
    ASSERT_TRUE(first.Add(i, log_.entries()[i])) << first.failure()->message;
  }
  ASSERT_TRUE(first.Finish());
  nlohmann::json saved = first.SaveState();
  // Entry i made a pair of its own (kind 1000 + i, no roles; the entries
  // past the 256th that of the 256th): six bytes an entry, kind,
  // jurisdiction, roles.
  auto kinds = crypto::Base64Decode(saved["kinds"].get<std::string>());
  ASSERT_TRUE(kinds.ok());
  ASSERT_EQ(kinds->size(), 6 * log_.entries().size());
  for (size_t i = 0; i < log_.entries().size(); ++i) {
    const uint16_t kind =
        static_cast<uint16_t>(1000 + std::min<size_t>(i, 255));
    (*kinds)[6 * i] = static_cast<char>(kind & 0xff);
    (*kinds)[6 * i + 1] = static_cast<char>(kind >> 8);
    (*kinds)[6 * i + 4] = 0;
    (*kinds)[6 * i + 5] = 0;
  }
  saved["kinds"] = crypto::Base64Encode(crypto::AsBytes(*kinds));
  merkle::Frontier frontier;
  for (const std::string& e : log_.entries()) {
    frontier.Append(merkle::LeafHash(crypto::AsBytes(e)));
  }
  LogChecker restored;
  ASSERT_TRUE(restored.RestoreState(saved, frontier).ok());
  Status s = CheckWith(restored,
                       piaojue::testing::OpenCycle(office_, 2400, Code(1), kAt),
                       log_.entries().size());
  EXPECT_EQ(s.message(),
            "authorization: entry " + std::to_string(log_.entries().size()) +
                ": its kind and roles cannot be recorded for later "
                "corrections: more than 256 distinct kinds and roles");
}

}  // namespace
}  // namespace piaojue::verifier
