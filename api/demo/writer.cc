#include "api/demo/internal/writer.h"

#include <capnp/message.h>
#include <sys/stat.h>

#include <array>
#include <filesystem>

#include "ledger/entry.h"
#include "ledger/ledger.h"
#include "projections/dates.h"

namespace piaojue::demo::internal {

namespace {

constexpr std::string_view kSeedContext = "piaojue-demo/key/v1/";
constexpr std::string_view kNonceContext = "piaojue-demo/nonce/v1/";

std::string RoleKeyName(schema::Role role, std::string_view jurisdiction) {
  return ledger::RoleName(role) + "@" + std::string(jurisdiction);
}

}  // namespace

crypto::KeyPair DemoKey(std::string_view name) {
  // Demo keys are public knowledge by design: anyone can rebuild the demo.
  const std::string material = std::string(kSeedContext) + std::string(name);
  const crypto::Hash seed = crypto::Sha256(crypto::AsBytes(material));
  return crypto::KeyPairFromSeed(seed);
}

note::SignerKey RootKey() { return note::SignerKey{"root", DemoKey("root")}; }

note::SignerKey LogKey() {
  return note::SignerKey{kOrigin, DemoKey(std::string("log/") + kOrigin)};
}

note::SignerKey AuthorKey(schema::Role role, std::string_view jurisdiction) {
  const std::string name = RoleKeyName(role, jurisdiction);
  return note::SignerKey{name, DemoKey(name)};
}

int64_t CstMs(int year, int month, int day, int hour, int minute) {
  return projections::MsAtStartOfDay(projections::Date{year, month, day}) +
         (int64_t{hour} * 60 + minute) * 60 * 1000;
}

Result<ledger::SignedEvent> SignStoryEvent(
    std::string_view nonce_context, uint64_t index, const crypto::KeyPair& key,
    std::string_view jurisdiction, int64_t at_ms,
    const std::function<void(schema::Event::Builder)>& fill) {
  capnp::MallocMessageBuilder message;
  auto event = message.initRoot<schema::Event>();
  fill(event);
  const std::string material =
      std::string(nonce_context) + std::to_string(index);
  const crypto::Hash digest = crypto::Sha256(crypto::AsBytes(material));
  std::array<uint8_t, ledger::kNonceSize> nonce;
  std::copy_n(digest.begin(), nonce.size(), nonce.begin());
  return ledger::SignEvent(key, kOrigin, jurisdiction, at_ms, event.asReader(),
                           nonce);
}

Writer::Writer(const cli::DataDir& dir, Stage until, bool sync)
    : dir_(dir), until_(until), sync_(sync) {}

Writer::~Writer() = default;

Status Writer::WriteMissingKeys() {
  // The data directory gets only what a server holds: the log key and the
  // public intake's keys. The root's and the offices' keys go to the demo's
  // keys folder beside it, as if each office kept its own (docs/KEYS.md).
  const std::string office_keys = KeysDir(dir_.root());
  std::error_code ec;
  for (const std::string& d : {dir_.keys_path(), office_keys}) {
    std::filesystem::create_directories(d, ec);
    if (ec) return IOError("cannot create " + d);
    ::chmod(d.c_str(), 0700);
  }
  std::vector<std::pair<std::string, note::SignerKey>> keys = {
      {office_keys + "/root.key", RootKey()}, {dir_.log_key_path(), LogKey()}};
  for (const char* code : {kCountyCode, kLiulinCode, kShimenCode}) {
    for (int r = static_cast<int>(schema::Role::GOVERNMENT_OFFICE);
         r <= static_cast<int>(schema::Role::PRESIDIUM); ++r) {
      const auto role = static_cast<schema::Role>(r);
      const std::string name = ledger::RoleName(role);
      keys.emplace_back(
          role == schema::Role::PUBLIC_INTAKE
              ? dir_.author_key_path(name, code)
              : office_keys + "/" + cli::RoleKeyFileName(name, code),
          AuthorKey(role, code));
    }
  }
  for (const auto& [path, key] : keys) {
    if (std::filesystem::exists(path, ec)) continue;
    RETURN_IF_ERROR(cli::WriteKeyFile(path, key));
  }
  return Status::Ok();
}

Status Writer::Open() {
  opened_ = true;
  std::error_code ec;
  if (!std::filesystem::exists(dir_.ledger_path(), ec)) return Status::Ok();
  ASSIGN_OR_RETURN(session_,
                   cli::Session::Open(
                       dir_, false, [this] { return now_ms_; }, sync_));
  existing_ = session_->ledger().size();
  return Status::Ok();
}

uint64_t Writer::Emit(Stage stage, int64_t at_ms, const crypto::KeyPair& key,
                      std::string_view jurisdiction,
                      const std::function<void(schema::Event::Builder)>& fill) {
  const uint64_t index = next_++;
  if (!status_.ok()) return index;
  if (!opened_) {
    status_ = Open();
    if (!status_.ok()) return index;
  }
  // The story is written in time order and stage order; a slip is a bug in
  // the story, reported rather than written.
  if (at_ms < last_at_ms_ || stage < last_event_stage_) {
    status_ = FailedPrecondition("demo story out of order at entry " +
                                 std::to_string(index));
    return index;
  }
  last_at_ms_ = at_ms;
  last_event_stage_ = stage;
  if (index >= existing_ && stage > until_) return index;

  auto signed_event =
      SignStoryEvent(kNonceContext, index, key, jurisdiction, at_ms, fill);
  if (!signed_event.ok()) {
    status_ = signed_event.status();
    return index;
  }
  if (index < existing_) {
    // Resuming: the entry already there must be this very event.
    auto bytes = session_->ledger().ReadEntry(index);
    if (!bytes.ok()) {
      status_ = bytes.status();
      return index;
    }
    auto view = ledger::EntryView::Parse(*bytes);
    if (!view.ok() ||
        view->authored_event().bytes() != signed_event->authored) {
      status_ = FailedPrecondition(
          dir_.root() + " holds a ledger that is not the demo's: entry " +
          std::to_string(index) + " differs from the story");
      return index;
    }
    last_stage_ = stage;
    return index;
  }
  status_ = Append(index, *signed_event);
  if (status_.ok()) {
    ++appended_;
    last_stage_ = stage;
  }
  return index;
}

Status Writer::Append(uint64_t index, const ledger::SignedEvent& event) {
  if (index == 0) {
    RETURN_IF_ERROR(WriteMissingKeys());
    ledger::LedgerOptions options;
    options.clock = [this] { return now_ms_; };
    options.sync = sync_;
    options.checkpoint_key = LogKey();
    now_ms_ = last_at_ms_;
    RETURN_IF_ERROR(
        ledger::Ledger::Create(dir_.ledger_path(), event, options).status());
    ASSIGN_OR_RETURN(session_,
                     cli::Session::Open(
                         dir_, false, [this] { return now_ms_; }, sync_));
    return Status::Ok();
  }
  if (session_ == nullptr) {
    return FailedPrecondition("no demo ledger in " + dir_.root());
  }
  now_ms_ = last_at_ms_;
  auto r = session_->ledger().Append(event);
  if (!r.ok()) {
    return Status(r.status().code(), "entry " + std::to_string(index) + ": " +
                                         r.status().message());
  }
  if (r->index != index) {
    return FailedPrecondition("the demo expected entry " +
                              std::to_string(index) + " but the log placed " +
                              std::to_string(r->index));
  }
  return Status::Ok();
}

Status Writer::Finish() {
  if (!opened_) status_ = Open();
  if (!status_.ok()) return status_;
  // Only now is the ledger known to be the demo's (or empty): a foreign data
  // directory never gets the demo's keys.
  if (session_ != nullptr) RETURN_IF_ERROR(WriteMissingKeys());
  if (appended_ > 0 && session_ != nullptr) {
    RETURN_IF_ERROR(session_->SaveSnapshot());
    RETURN_IF_ERROR(session_->ledger().SignCheckpoint().status());
  }
  return Status::Ok();
}

}  // namespace piaojue::demo::internal
