// An open data directory: the ledger with the cycle's rules installed and
// the projections kept up to date as entries are appended.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/cli/data_dir.h"
#include "api/cli/messages.h"
#include "ledger/ledger.h"

namespace piaojue::projections {
class State;
class RulesValidator;
class PastStates;
}  // namespace piaojue::projections

namespace piaojue::cli {

// The store's environment (storage faults injected by tests), an observer
// of the writer's groups (measurements) and of the outcome of the side
// index check a writable open runs after it returns (the server reports a
// refusal): ledger::LedgerOptions::env, on_group, on_side_indexes_checked.
struct StoreHooks {
  rocksdb::Env* env = nullptr;
  std::function<void(const ledger::GroupStats&)> on_group;
  std::function<void(const Status&)> on_side_indexes_checked;
};

class Session {
 public:
  // Opens DIR/ledger for writing, with the checkpoint key if DIR/keys/log.key
  // exists and the rules validator over the projections (loaded from the
  // snapshot when the seal in the ledger proves it is the one this writer
  // saved, else rebuilt from the entries; projections/replay.h). If the
  // ledger's side indexes disagree with its head, the session opens but
  // appends are refused (ledger().writable() says why).
  // "in use" is reported clearly when another process holds the ledger.
  // `clock` (ms since the epoch) is the log's clock for recordedAtMs; empty
  // means the system clock (the demo passes its story's clock). `sync`
  // false skips the fsync per group (tests only). With `past` (not owned;
  // fresh: nothing folded yet), the state is instead
  // rebuilt from entry 0 by past->CatchUpTo, which keeps the past states on
  // the way, and is a copy of that fold: the state and every past state
  // kept share their records (piaojue serve; docs/VIEWS.md "Past states").
  static Result<std::unique_ptr<Session>> Open(
      const DataDir& dir, bool read_only = false,
      std::function<int64_t()> clock = {}, bool sync = true,
      const StoreHooks& hooks = {}, projections::PastStates* past = nullptr);
  ~Session();

  ledger::Ledger& ledger() { return *ledger_; }
  projections::State& state() { return *state_; }
  // The rules' validator over state() (installed in the ledger).
  projections::RulesValidator& validator() { return *validator_; }
  const DataDir& dir() const { return dir_; }
  // Why DIR/state.snapshot was present but not used at open (empty if it
  // was used or absent): e.g. its digest differs from the ledger's seal,
  // which means the file was edited or replaced. Worth reporting.
  const std::string& snapshot_ignored_because() const {
    return snapshot_ignored_because_;
  }
  // What Open spent its time on (the server reports it at start).
  struct OpenTimes {
    double store_seconds = 0;  // ledger::Ledger::Open
    double state_seconds = 0;  // projections::LoadOrRebuild
    bool from_snapshot = false;
    uint64_t snapshot_size = 0;  // the entries the snapshot held
  };
  const OpenTimes& open_times() const { return open_times_; }

  // Saves and seals the projections' snapshot (after appends; best effort
  // is not enough: a failure is reported, but the ledger itself is already
  // durable). Unavailable on a read-only session.
  Status SaveSnapshot();

 private:
  explicit Session(DataDir dir);
  DataDir dir_;
  std::string snapshot_ignored_because_;
  OpenTimes open_times_;
  std::unique_ptr<projections::State> state_;
  std::unique_ptr<projections::RulesValidator> validator_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

// Signs a command ({"jurisdiction": …, "event": {…}}, as a clerk writes it:
// api/cli/command_form.h) with `key` for the log named `origin`. Input
// errors are InvalidArgument in `lang`, naming the field.
Result<ledger::SignedEvent> SignCommand(std::string_view command_json,
                                        const crypto::KeyPair& key,
                                        std::string_view origin,
                                        Lang lang = Lang::kEnglish);

}  // namespace piaojue::cli
