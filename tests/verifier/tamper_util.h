// Test-side tools for forging logs: what an attacker (or a careless
// operator) could do to a ledger's entries, done "consistently" where a case
// calls for it — entries re-signed, the hash chain rebuilt, a fresh
// checkpoint signed — so that only the check under test can catch it.
//
// None of this is product code: it deliberately breaks the invariants the
// ledger keeps.
#pragma once

#include <capnp/message.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ledger/bundle.h"
#include "ledger/entry.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "tests/cycle_builder.h"
#include "tests/sanitizers.h"
#include "tests/test_util.h"
#include "verifier/proof_bundle.h"
#include "verifier/verify.h"

namespace piaojue::verifier::testing {

using piaojue::testing::TempDir;

// Every entry of `ledger`, in order.
inline std::vector<std::string> ReadEntries(const ledger::Ledger& ledger) {
  std::vector<std::string> out;
  Status s = ledger.ForEachEntry(
      0, ledger.size(), [&](uint64_t, std::string_view bytes) -> Status {
        out.emplace_back(bytes);
        return Status::Ok();
      });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

inline ledger::EntryView Parse(const std::string& bytes) {
  auto view = ledger::EntryView::Parse(bytes);
  EXPECT_TRUE(view.ok()) << view.status().ToString();
  return std::move(view).value();
}

// The Merkle root of the first `size` entries, computed from scratch.
inline merkle::Hash RootOf(const std::vector<std::string>& entries,
                           uint64_t size) {
  merkle::Frontier frontier;
  for (uint64_t i = 0; i < size; ++i) {
    frontier.Append(merkle::LeafHash(crypto::AsBytes(entries[i])));
  }
  return frontier.Root();
}

// A signed checkpoint of the first `size` entries (all when nullopt), as the
// holder of `key` would sign it for `origin`.
inline std::string SignCheckpoint(const std::vector<std::string>& entries,
                                  const note::SignerKey& key,
                                  std::optional<uint64_t> size = std::nullopt,
                                  std::string origin = "") {
  note::Checkpoint cp;
  cp.origin = origin.empty() ? key.name : origin;
  cp.size = size.value_or(entries.size());
  cp.root = RootOf(entries, cp.size);
  auto signed_note = note::Sign(note::FormatCheckpoint(cp), key);
  EXPECT_TRUE(signed_note.ok()) << signed_note.status().ToString();
  return signed_note.ok() ? *signed_note : "";
}

// Writes an export bundle holding `entries` (as they are, however broken)
// and `checkpoint` (may be empty: none).
inline void WriteBundleFile(const std::string& path,
                            const std::vector<std::string>& entries,
                            const std::string& checkpoint) {
  Status s = ledger::WriteBundle(
      path, checkpoint, entries.size(),
      [&](uint64_t i) -> Result<std::string> { return entries[i]; });
  ASSERT_TRUE(s.ok()) << s.ToString();
}

// Appends to `entries` (a log the fixture `builder` wrote through its
// cycle's opening) `count` proposals submitted through its public-intake
// portal, encoded and chained here directly, a millisecond apart: an honest
// log of any length without the ledger's append path.
inline Status AppendIntakeProposals(piaojue::testing::CycleBuilder& builder,
                                    std::vector<std::string>& entries,
                                    uint64_t count) {
  int64_t at_ms = builder.now_ms();
  crypto::Hash prev = crypto::Sha256(crypto::AsBytes(entries.back()));
  for (uint64_t i = 0; i < count; ++i) {
    auto signed_event =
        builder.Sign(builder.keys().intake, [&](schema::Event::Builder e) {
          auto s = e.initProposalSubmitted();
          s.setCycle(builder.refs().cycle);
          auto d = s.initDetails();
          d.setTitle("小区加装电梯 第" + std::to_string(i) + "号");
          d.setDescription("老旧小区加装电梯，方便老人出行。群众呼声较高。");
          d.setCategory(schema::Category::PUBLIC_FACILITIES);
          d.setLocation("城东街道");
          d.setEstimatedInvestmentFen(50'000'000);
          d.setFundingSource(schema::FundingSource::OWN_BUDGET);
          piaojue::testing::CycleBuilder::SetDay(d.initExpectedCompletion(),
                                                 2025, 12, 31);
          s.setProposerType(schema::ProposerType::RESIDENT);
          s.setChannel(schema::Channel::WECHAT);
          s.setReceiptRef("WX2025-" + std::to_string(i));
        });
    ASSIGN_OR_RETURN(
        std::string bytes,
        ledger::EncodeEntry(entries.size(), prev, at_ms++, signed_event));
    prev = crypto::Sha256(crypto::AsBytes(bytes));
    entries.push_back(std::move(bytes));
  }
  return Status::Ok();
}

// Re-encodes entries [from, end): each gets its position as index and the
// hash of the entry before it as prevHash; authored bytes, signature and
// recordedAtMs are kept. What someone who edits entries does to hide it from
// the chain check.
inline std::vector<std::string> Rechain(std::vector<std::string> entries,
                                        uint64_t from = 0) {
  crypto::Hash prev{};
  for (uint64_t i = 0; i < entries.size(); ++i) {
    if (i >= from) {
      ledger::EntryView view = Parse(entries[i]);
      ledger::SignedEvent signed_event;
      signed_event.authored = view.authored_event().bytes();
      signed_event.signature = view.signature();
      auto bytes =
          ledger::EncodeEntry(i, prev, view.recorded_at_ms(), signed_event);
      EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
      entries[i] = *bytes;
    }
    prev = crypto::Sha256(crypto::AsBytes(entries[i]));
  }
  return entries;
}

// Entry `bytes` with its event edited by `edit` (may be empty: unchanged),
// re-signed by `author` (same jurisdiction and nonce; same origin and signing
// time unless given) and re-encoded at the same index, prevHash and time. The
// chain after it is NOT rebuilt: call Rechain.
inline std::string Resign(
    const std::string& bytes, const crypto::KeyPair& author,
    const std::function<void(schema::Event::Builder)>& edit = {},
    std::optional<std::string> origin = std::nullopt,
    std::optional<int64_t> signed_at_ms = std::nullopt) {
  ledger::EntryView view = Parse(bytes);
  capnp::MallocMessageBuilder message;
  message.setRoot(view.event());
  auto event = message.getRoot<schema::Event>();
  if (edit) edit(event);
  std::array<uint8_t, ledger::kNonceSize> nonce;
  std::memcpy(nonce.data(), view.authored().getNonce().begin(), nonce.size());
  auto signed_event = ledger::SignEvent(
      author, origin.value_or(view.authored().getOrigin().cStr()),
      view.authored().getJurisdiction().cStr(),
      signed_at_ms.value_or(view.authored().getSignedAtMs()), event.asReader(),
      nonce);
  EXPECT_TRUE(signed_event.ok()) << signed_event.status().ToString();
  auto out = ledger::EncodeEntry(view.index(), view.prev_hash(),
                                 view.recorded_at_ms(), *signed_event);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return *out;
}

// Verifies `path` in-process, quietly.
inline VerifyReport VerifyPath(const std::string& path,
                               const std::string& vkey = "",
                               std::vector<std::string> checkpoints = {},
                               std::optional<uint64_t> as_of = std::nullopt,
                               std::optional<uint64_t> explain = std::nullopt,
                               unsigned threads = 0) {
  VerifyOptions options;
  options.path = path;
  options.vkey = vkey;
  options.extra_checkpoints = std::move(checkpoints);
  options.as_of = as_of;
  options.explain = explain;
  options.threads = threads;
  options.quiet = true;
  return Verify(options);
}

// Verifies the proof bundle `path` in-process.
inline VerifyReport VerifyProofPath(const std::string& path,
                                    const std::string& vkey = "",
                                    std::vector<std::string> checkpoints = {},
                                    const std::string& root_key = "") {
  VerifyOptions options;
  options.path = path;
  options.vkey = vkey;
  options.root_key = root_key;
  options.extra_checkpoints = std::move(checkpoints);
  options.quiet = true;
  return VerifyProofBundle(options);
}

// For assertion messages: the whole report as text.
inline std::string Describe(const VerifyReport& report) {
  return ReportToText(report);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Under AddressSanitizer (the debug preset) RunVerifyBinary sets no data
// limit: ASan reserves terabytes of address space for its shadow memory at
// start, so any RLIMIT_DATA makes the binary fail before main. The verdicts
// and messages are checked there too; the memory bounds in the release run
// (docs/RELIABILITY.md, "Fuzzing and sanitizers").
using piaojue::testing::kUnderAddressSanitizer;

// Runs the piaojue-verify binary with `args`, stdout and stderr to files;
// returns its exit status (-1 if it did not exit normally). A non-zero
// `data_limit` limits its data segment (heap and anonymous memory) to that
// many bytes: a memory bound asserted without timing anything.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
inline RunResult RunVerifyBinary(const std::vector<std::string>& args,
                                 const TempDir& tmp, rlim_t data_limit = 0) {
  const std::string out_path = tmp.Sub("verify.stdout");
  const std::string err_path = tmp.Sub("verify.stderr");
  std::vector<std::string> argv_strings = {PIAOJUE_VERIFY_BIN};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  RunResult result;
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    if (data_limit != 0 && !kUnderAddressSanitizer) {
      const rlimit limit{data_limit, data_limit};
      setrlimit(RLIMIT_DATA, &limit);
    }
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid < 0) {
    ADD_FAILURE() << "cannot start " << argv[0];
    return result;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

// A fixture's cycle built into a real ledger, its entries read back, and the
// forgeries an insider holding the log key could publish from them. Shared by
// the tamper suites.
class ForgeryTest : public ::testing::Test {
 protected:
  using Stage = piaojue::testing::CycleBuilder::Stage;

  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto().ok()); }

  // The run failed (exit code 1) at entry `index`, in one of `checks`.
  static void ExpectInvalidAt(const VerifyReport& report, uint64_t index,
                              std::initializer_list<std::string> checks) {
    EXPECT_EQ(report.exit_code, 1) << Describe(report);
    ASSERT_TRUE(report.failure.has_value()) << Describe(report);
    EXPECT_EQ(report.failure->index, index) << Describe(report);
    EXPECT_NE(std::find(checks.begin(), checks.end(), report.failure->check),
              checks.end())
        << Describe(report);
  }
  static void ExpectInvalidAt(const VerifyReport& report, uint64_t index,
                              const std::string& check) {
    ExpectInvalidAt(report, index, {check});
  }

  // Builds the fixture's cycle through `stage` and reads its entries.
  void Build(Stage stage = Stage::kAll) {
    builder_ =
        std::make_unique<piaojue::testing::CycleBuilder>(tmp_.Sub("data"));
    Status s = builder_->BuildThrough(stage);
    ASSERT_TRUE(s.ok()) << s.ToString();
    entries_ = ReadEntries(builder_->ledger());
    vkey_ = note::FormatVerifierKey(builder_->log_key().name,
                                    builder_->log_key().key_pair.public_key);
  }

  // Writes `entries` as a bundle with a checkpoint of all of them signed by
  // the log's own key (what an operator who forges would do).
  std::string Publish(const std::vector<std::string>& entries,
                      const std::string& name = "forged.bundle") {
    const std::string path = tmp_.Sub(name);
    WriteBundleFile(path, entries,
                    SignCheckpoint(entries, builder_->log_key()));
    return path;
  }

  // The fixture's entry `index`, re-signed by `author` after `edit`, with
  // the chain rebuilt after it and a fresh checkpoint: a consistent forgery
  // by whoever holds `author` and the log key.
  std::string ForgeEntry(
      uint64_t index, const crypto::KeyPair& author,
      const std::function<void(schema::Event::Builder)>& edit) {
    std::vector<std::string> forged = entries_;
    forged[index] = Resign(forged[index], author, edit);
    return Publish(Rechain(forged, index));
  }

  // The whole log rebuilt by someone holding none of the real keys: every
  // key TestKey(n) replaced by TestKey(n + 100) (the root key too), genesis
  // naming `checkpoint_key` (may be empty: none), the chain rebuilt. No
  // checkpoint is signed.
  std::vector<std::string> Rekeyed(const std::string& checkpoint_key) {
    auto forged_key = [](const crypto::PublicKey& real) {
      for (uint8_t n = 1; n < 64; ++n) {
        if (piaojue::testing::TestKey(n).public_key == real) {
          return piaojue::testing::TestKey(n + 100);
        }
      }
      ADD_FAILURE() << "unknown key";
      return piaojue::testing::TestKey(200);
    };
    std::vector<std::string> forged;
    for (const std::string& bytes : entries_) {
      ledger::EntryView view = Parse(bytes);
      const crypto::KeyPair author = forged_key(view.author_key());
      forged.push_back(Resign(bytes, author, [&](schema::Event::Builder e) {
        if (e.isGenesis()) {
          auto g = e.getGenesis();
          auto root = forged_key(builder_->keys().root.public_key).public_key;
          g.setRootKey(capnp::Data::Reader(root.data(), root.size()));
          g.setCheckpointKey(checkpoint_key);
        } else if (e.isKeyRegistered()) {
          auto k = e.getKeyRegistered();
          crypto::PublicKey real;
          std::memcpy(real.data(), k.getKey().begin(), real.size());
          auto key = forged_key(real).public_key;
          k.setKey(capnp::Data::Reader(key.data(), key.size()));
        }
      }));
    }
    return Rechain(forged);
  }

  piaojue::testing::TempDir tmp_;
  std::unique_ptr<piaojue::testing::CycleBuilder> builder_;
  std::vector<std::string> entries_;
  std::string vkey_;
};

}  // namespace piaojue::verifier::testing
