#include "api/cli/session.h"

#include <capnp/message.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ledger/event_json.h"
#include "projections/replay.h"
#include "projections/state.h"

namespace piaojue::cli {

Session::Session(DataDir dir) : dir_(std::move(dir)) {}
Session::~Session() {
  // The ledger holds a pointer to the validator: close it first.
  ledger_.reset();
}

Result<std::unique_ptr<Session>> Session::Open(
    const DataDir& dir, bool read_only, std::function<int64_t()> clock,
    bool sync, const StoreHooks& hooks, projections::PastStates* past) {
  std::unique_ptr<Session> s(new Session(dir));
  std::error_code ec;
  if (!std::filesystem::exists(dir.ledger_path(), ec)) {
    return NotFound("no ledger in " + dir.root() +
                    " (create one with `piaojue init`)");
  }
  s->state_ = std::make_unique<projections::State>();
  s->validator_ = std::make_unique<projections::RulesValidator>(*s->state_);
  ledger::LedgerOptions options;
  options.clock = std::move(clock);
  options.sync = sync;
  options.env = hooks.env;
  options.on_group = hooks.on_group;
  options.on_side_indexes_checked = hooks.on_side_indexes_checked;
  if (!read_only && std::filesystem::exists(dir.log_key_path(), ec)) {
    ASSIGN_OR_RETURN(note::SignerKey key, ReadKeyFile(dir.log_key_path()));
    options.checkpoint_key = std::move(key);
  }
  // Appends are checked against the state; the state is loaded below,
  // before any append can happen.
  options.validator = s->validator_.get();
  const auto began = std::chrono::steady_clock::now();
  auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
        .count();
  };
  auto ledger = ledger::Ledger::Open(dir.ledger_path(), options, read_only);
  s->open_times_.store_seconds = seconds_since(began);
  if (!ledger.ok()) {
    const std::string& m = ledger.status().message();
    if (m.find("lock") != std::string::npos) {
      return Unavailable("the ledger in " + dir.root() +
                         " is in use by another process (" + m + ")");
    }
    return ledger.status();
  }
  s->ledger_ = std::move(*ledger);
  if (past != nullptr) {
    RETURN_IF_ERROR(past->CatchUpTo(*s->ledger_, s->ledger_->size()));
    *s->state_ = past->fold();
    return s;
  }
  projections::LoadInfo info;
  const auto loading = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(*s->state_, projections::LoadOrRebuild(
                                   *s->ledger_, dir.snapshot_path(), &info));
  s->open_times_.state_seconds = seconds_since(loading);
  s->open_times_.from_snapshot = info.from_snapshot;
  s->open_times_.snapshot_size = info.snapshot_size;
  s->snapshot_ignored_because_ = info.ignored_because;
  return s;
}

Status Session::SaveSnapshot() {
  return projections::SaveSnapshot(*ledger_, *state_, dir_.snapshot_path());
}

}  // namespace piaojue::cli
