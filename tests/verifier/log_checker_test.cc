// The in-order checks of verifier::LogChecker that read what earlier entries
// left behind: which jurisdiction an entry was authored in, for authorizing
// a correction of it (docs/VERIFY.md, "authorization"), with more
// jurisdictions than the checker's table first has room for, and after the
// state is saved and restored (a live log followed); what the key registry
// said of an author or a jurisdiction, kept by the checker, against what
// the registry learns after.
#include "verifier/log_checker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ledger/entry.h"
#include "ledger/text_validation.h"
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
    const crypto::KeyPair& root = root_;
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

  // Checks every entry of the log, then those of `tail`.
  Status CheckAll(LogChecker& checker,
                  const std::vector<ledger::SignedEvent>& tail) {
    Log log = log_;
    for (const ledger::SignedEvent& e : tail) log.Add(e);
    for (size_t i = 0; i < log.entries().size(); ++i) {
      if (!checker.Add(i, log.entries()[i])) {
        return PermissionDenied(checker.failure()->check + ": " +
                                checker.failure()->message);
      }
    }
    return Status::Ok();
  }
  // A key as the registry's refusals name it: its first 8 bytes in hex.
  static std::string Label(const crypto::KeyPair& key) {
    return crypto::ToHex(crypto::Bytes(key.public_key.data(), 8));
  }

  static constexpr int kJurisdictions = 70;
  const crypto::KeyPair root_ = TestKey(1);
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

// The checker looks each entry's author and jurisdiction up in the key
// registry once and keeps what the registry said (log_checker.h): what the
// registry learns after an author's first entries, a revocation or a new
// grant, still decides that author's next entry, in the registry's words
// and at that entry.
TEST_F(LogCheckerTest, AKeyRevokedAfterItsEntriesIsRefusedAtItsNextEntry) {
  const uint64_t revocation = log_.entries().size();
  LogChecker checker;
  Status s =
      CheckAll(checker, {piaojue::testing::RevokeKey(root_, office_.public_key),
                         piaojue::testing::OpenCycle(office_, 2030, Code(0))});
  EXPECT_EQ(s.message(),
            "authorization: entry " + std::to_string(revocation + 1) +
                ": cycleOpened: key " + Label(office_) +
                " was revoked at entry " + std::to_string(revocation));
}

TEST_F(LogCheckerTest, AGrantAfterAKeysFirstEntriesAuthorizesItsNextOnes) {
  const std::string code = Code(kJurisdictions + 1);
  log_.Add(piaojue::testing::RegisterJurisdiction(root_, code));
  const uint64_t next = log_.entries().size();
  {
    LogChecker checker;
    Status s =
        CheckAll(checker, {piaojue::testing::OpenCycle(office_, 2030, code)});
    EXPECT_EQ(s.message(), "authorization: entry " + std::to_string(next) +
                               ": cycleOpened in " + code +
                               " needs role governmentOffice; key " +
                               Label(office_) + " holds no such grant there");
  }
  LogChecker checker;
  EXPECT_TRUE(
      CheckAll(checker, {piaojue::testing::RegisterKey(
                             root_, office_.public_key,
                             schema::Role::GOVERNMENT_OFFICE, code),
                         piaojue::testing::OpenCycle(office_, 2030, code)})
          .ok());
  EXPECT_EQ(checker.size(), next + 2);
}

// The registry's own entries are of jurisdiction "", which is never
// registered: an entry of another kind there, after many of them, is
// refused as the registry refuses it, and so is one of an unknown code.
TEST_F(LogCheckerTest, AnEntryOfAJurisdictionNotRegisteredIsRefusedAtIt) {
  const uint64_t next = log_.entries().size();
  for (const std::string& code : {std::string(), Code(kJurisdictions + 2)}) {
    SCOPED_TRACE(code);
    LogChecker checker;
    Status s =
        CheckAll(checker, {piaojue::testing::OpenCycle(office_, 2030, code)});
    EXPECT_EQ(s.message(), "authorization: entry " + std::to_string(next) +
                               ": cycleOpened: jurisdiction \"" + code +
                               "\" is not registered");
  }
}

TEST_F(LogCheckerTest, AnUnregisteredAuthorIsRefusedAtItsFirstEntry) {
  const crypto::KeyPair stranger = TestKey(9);
  const uint64_t next = log_.entries().size();
  LogChecker checker;
  Status s =
      CheckAll(checker, {piaojue::testing::OpenCycle(stranger, 2030, Code(0))});
  EXPECT_EQ(s.message(), "authorization: entry " + std::to_string(next) +
                             ": cycleOpened: key " + Label(stranger) +
                             " is not registered");
}

// Genesis is not asked for a registered jurisdiction: one that names a code
// registered only later leaves the checker knowing that code as not
// registered yet, which must not outlive its registration.
TEST(LogCheckerOrderTest,
     AJurisdictionNamedBeforeItIsRegisteredCountsOnceItIs) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  const crypto::KeyPair root = TestKey(1), office = TestKey(2);
  const std::string code = Code(5);
  auto genesis =
      piaojue::testing::MakeEvent(root, code, [&](schema::Event::Builder e) {
        auto g = e.initGenesis();
        g.setOrigin(piaojue::testing::kOrigin);
        g.setRootKey(capnp::Data::Reader(root.public_key.data(), 32));
        g.setFormatVersion(ledger::kFormatVersion);
        g.setDeploymentName("测试账本");
      });
  for (bool registered : {false, true}) {
    SCOPED_TRACE(registered);
    Log log;
    log.Add(genesis);
    if (registered) {
      log.Add(piaojue::testing::RegisterJurisdiction(root, code));
      log.Add(piaojue::testing::RegisterKey(
          root, office.public_key, schema::Role::GOVERNMENT_OFFICE, code));
    }
    log.Add(piaojue::testing::OpenCycle(office, 2025, code));
    LogChecker checker;
    bool ok = true;
    for (size_t i = 0; ok && i < log.entries().size(); ++i) {
      ok = checker.Add(i, log.entries()[i]);
    }
    EXPECT_EQ(ok, registered);
    if (!registered) {
      EXPECT_EQ(checker.failure()->index, 1u);
      EXPECT_EQ(checker.failure()->message,
                "entry 1: cycleOpened: jurisdiction \"" + code +
                    "\" is not registered");
    }
  }
}

// The rules' hook is told each accepted entry's author and jurisdiction by
// number: one number for each key and text, and another for another.
TEST_F(LogCheckerTest, TheRulesHookGetsOneNumberForEachAuthorAndJurisdiction) {
  const crypto::KeyPair other = TestKey(3);
  log_.Add(piaojue::testing::RegisterKey(
      root_, other.public_key, schema::Role::GOVERNMENT_OFFICE, Code(3)));
  log_.Add(piaojue::testing::OpenCycle(other, 2031, Code(3)));
  log_.Add(piaojue::testing::OpenCycle(office_, 2031, Code(4)));
  std::map<std::string, std::set<uint32_t>> author_numbers, code_numbers;
  std::map<uint32_t, std::set<std::string>> authors_of, codes_of;
  RulesHook hook{[](const ledger::EntryView&) { return Status::Ok(); },
                 [&](const ledger::EntryView& e, EntrySubject s) {
                   const std::string key =
                       crypto::ToHex(crypto::AsBytes(e.author_key()));
                   const std::string code =
                       ledger::TextString(e.authored().getJurisdiction());
                   author_numbers[key].insert(s.author);
                   authors_of[s.author].insert(key);
                   code_numbers[code].insert(s.jurisdiction);
                   codes_of[s.jurisdiction].insert(code);
                 }};
  LogChecker checker(hook);
  for (size_t i = 0; i < log_.entries().size(); ++i) {
    ASSERT_TRUE(checker.Add(i, log_.entries()[i]))
        << checker.failure()->message;
  }
  EXPECT_EQ(author_numbers.size(), 3u);  // the root, the two offices
  EXPECT_EQ(code_numbers.size(), kJurisdictions + 1u);  // and ""
  for (const auto& [key, numbers] : author_numbers) {
    EXPECT_EQ(numbers.size(), 1u) << key;
  }
  for (const auto& [code, numbers] : code_numbers) {
    EXPECT_EQ(numbers.size(), 1u) << code;
  }
  for (const auto& [n, keys] : authors_of) EXPECT_EQ(keys.size(), 1u) << n;
  for (const auto& [n, codes] : codes_of) EXPECT_EQ(codes.size(), 1u) << n;
}

}  // namespace
}  // namespace piaojue::verifier
