// The writes the `append` and `http` verbs time: proposals (民生实事项目
// 建议, ~300–600 bytes each) submitted by the public intake of several
// counties to cycles open today. They are signed before any clock starts
// (authors sign on their own machines) and are independent of one another,
// so any number of clients may append them in any order and every one of
// them passes the ledger's checks and the cycle's rules.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/cli/session.h"
#include "ledger/entry.h"
#include "ledger/status.h"

namespace piaojue::bench {

// The counties registered for a run and the cycles they opened.
struct Intake {
  std::string origin;
  std::vector<std::string> jurisdictions;
  std::vector<crypto::KeyPair> intake_keys;  // per jurisdiction
  std::vector<uint64_t> cycles;              // per jurisdiction
};

// Where the root key of the ledger in `dir` is kept: the demo's keys folder
// beside the data directory (demo::KeysDir), as `generate` and the demo
// write it.
std::string RootKeyPath(const std::string& dir);

// Creates a ledger in the data directory `dir` if it holds none (genesis
// under a root key written to RootKeyPath(dir), and DIR/keys/log.key), so
// `piaojue serve --data DIR` can serve it. No-op if DIR/ledger exists.
Status EnsureLedger(const std::string& dir);

// Registers `counties` new counties (codes not used yet in the ledger), with
// their governmentOffice and publicIntake keys, and opens a cycle for next
// year whose collection window holds today (CST), all signed with the root
// key at RootKeyPath. Appends through `session` (rules checked).
Result<Intake> OpenIntake(cli::Session& session, int counties);

// Signs `count` proposals spread over the intake's cycles, on all cores.
Result<std::vector<ledger::SignedEvent>> SignProposals(const Intake& intake,
                                                       size_t count);

// The signing key of the bench's own roles, from a fixed seed.
crypto::KeyPair BenchKey(const std::string& name);

}  // namespace piaojue::bench
