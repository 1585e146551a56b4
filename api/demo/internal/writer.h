// The demo's writer: turns the story's events, one after another, into
// appends on the demo ledger, or checks them against the entries a previous
// run already appended. Private to api/demo/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/cli/data_dir.h"
#include "api/cli/session.h"
#include "api/demo/demo.h"
#include "ledger/crypto.h"
#include "ledger/entry.h"
#include "ledger/note.h"
#include "ledger/schema/piaojue.capnp.h"
#include "ledger/status.h"

namespace piaojue::demo::internal {

// The story's keys, each derived from a fixed seed: the same on every run.
crypto::KeyPair DemoKey(std::string_view name);
// "root", the log's key (named after the origin) and "<role>@<code>".
note::SignerKey RootKey();
note::SignerKey LogKey();
note::SignerKey AuthorKey(schema::Role role, std::string_view jurisdiction);

// Milliseconds since the epoch of a CST wall-clock time.
int64_t CstMs(int year, int month, int day, int hour = 9, int minute = 0);

// Signs the story's event `fill` writes as its entry `index`, with a nonce
// derived from `nonce_context` and the index rather than drawn at random, so
// the story's bytes are the same on every run.
Result<ledger::SignedEvent> SignStoryEvent(
    std::string_view nonce_context, uint64_t index, const crypto::KeyPair& key,
    std::string_view jurisdiction, int64_t at_ms,
    const std::function<void(schema::Event::Builder)>& fill);

// Where the story's events go, one after another in log order.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // The next event of the story, at story time `at_ms` (never earlier than
  // the previous one), in `stage` (never earlier than the previous one),
  // signed by `key` for `jurisdiction`. Returns its log index, which later
  // events use as a reference.
  virtual uint64_t Emit(
      Stage stage, int64_t at_ms, const crypto::KeyPair& key,
      std::string_view jurisdiction,
      const std::function<void(schema::Event::Builder)>& fill) = 0;
};

class Writer : public EventSink {
 public:
  // `until` is the last stage to append.
  Writer(const cli::DataDir& dir, Stage until, bool sync);
  ~Writer();

  // The story's events take consecutive indices from 0, whether they are
  // appended now, were appended by an earlier run, or lie beyond `until`.
  // After the first error every further call only counts.
  uint64_t Emit(
      Stage stage, int64_t at_ms, const crypto::KeyPair& key,
      std::string_view jurisdiction,
      const std::function<void(schema::Event::Builder)>& fill) override;

  // After the story: writes the key files still missing, saves the
  // projections' snapshot and signs a checkpoint when anything was appended.
  // Returns the first error met.
  Status Finish();

  uint64_t story_size() const { return next_; }
  uint64_t existing() const { return existing_; }
  uint64_t appended() const { return appended_; }
  // The stage of the last event in the ledger (after this run).
  std::optional<Stage> last_stage() const { return last_stage_; }

 private:
  Status Open();
  // Writes the key files missing from DIR/keys (never replaces one).
  Status WriteMissingKeys();
  Status Append(uint64_t index, const ledger::SignedEvent& event);

  cli::DataDir dir_;
  Stage until_;
  bool sync_;
  std::unique_ptr<cli::Session> session_;
  Status status_;
  bool opened_ = false;
  uint64_t next_ = 0;
  uint64_t existing_ = 0;  // entries present before this run
  uint64_t appended_ = 0;
  int64_t last_at_ms_ = 0;
  Stage last_event_stage_ = Stage::kCollection;
  std::optional<Stage> last_stage_;
  int64_t now_ms_ = 0;  // the log's clock: the story time of the append
};

}  // namespace piaojue::demo::internal
