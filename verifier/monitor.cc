// See docs/VERIFY.md, "Following a live log".
#include "verifier/monitor.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "ledger/crypto.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "verifier/text.h"
#include "verifier/tile_log.h"

namespace piaojue::verifier {

namespace {

using nlohmann::json;

constexpr size_t kMaxStateBytes = 4 << 20;

std::string Hex(const merkle::Hash& h) {
  return crypto::ToHex(crypto::AsBytes(h));
}

std::string UtcNow(const char* format) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// What the state file remembers.
struct State {
  std::string log;
  std::string origin;
  std::string checkpoint_key;
  bool pinned = false;
  std::string checkpoint;  // the note, as the log served it
  note::Checkpoint parsed;
  // The replay state saved beside it (FILE.replay), as the state file
  // binds it: its SHA-256 (hex) and the size and root it is of. Empty
  // digest: none.
  std::string replay_sha256;
  uint64_t replay_size = 0;
  std::string replay_root;
};

Result<note::Checkpoint> ParseSigned(std::string_view note_text) {
  ASSIGN_OR_RETURN(note::ParsedNote parsed, note::ParseNote(note_text));
  return note::ParseCheckpoint(parsed.text);
}

// NotFound when there is no state file yet; InvalidArgument when it is not
// one this version wrote (it is the auditor's own file: never guess).
Result<State> LoadState(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read the state file " + path);
  std::string text(kMaxStateBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  const std::string bad =
      "the state file " + path + " is not a " + kMonitorStateFormat + " file";
  if (text.size() > kMaxStateBytes) return InvalidArgument(bad + " (too big)");
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("format", "") != kMonitorStateFormat ||
      !j.contains("checkpoint") || !j["checkpoint"].is_string() ||
      !j.contains("size") || !j["size"].is_number_unsigned() ||
      !j.contains("root") || !j["root"].is_string()) {
    return InvalidArgument(bad);
  }
  State s;
  s.log = j.value("log", "");
  s.origin = j.value("origin", "");
  s.checkpoint_key = j.value("checkpointKey", "");
  s.pinned = j.value("pinned", false);
  s.checkpoint = j["checkpoint"].get<std::string>();
  auto cp = ParseSigned(s.checkpoint);
  if (!cp.ok()) {
    return InvalidArgument(bad + ": its checkpoint does not parse (" +
                           cp.status().message() + ")");
  }
  s.parsed = *cp;
  if (j.contains("replay")) {
    const json& r = j["replay"];
    if (!r.is_object() || !r.contains("sha256") || !r["sha256"].is_string() ||
        !r.contains("size") || !r["size"].is_number_unsigned() ||
        !r.contains("root") || !r["root"].is_string()) {
      return InvalidArgument(bad + ": its replay member is malformed");
    }
    s.replay_sha256 = r["sha256"].get<std::string>();
    s.replay_size = r["size"].get<uint64_t>();
    s.replay_root = r["root"].get<std::string>();
  }
  // The summary fields are for people; the note is what counts, and they
  // must agree.
  if (s.parsed.size != j["size"].get<uint64_t>() ||
      Hex(s.parsed.root) != j["root"].get<std::string>() ||
      s.parsed.origin != s.origin) {
    return InvalidArgument(bad +
                           ": its size, root or origin differ from its "
                           "checkpoint's");
  }
  return s;
}

// Writes `data` to `path` so that a reader (or a crash) sees the old file or
// the new one: a temporary file beside it, fsync, rename, fsync the
// directory.
Status WriteDurably(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IOError("cannot create " + tmp);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return IOError("cannot write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return IOError("cannot write " + path);
  }
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    // The rename is durable once the directory is; a failure here leaves
    // the file written, so it is not an error of this call.
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

std::string ReplayPath(const std::string& state_file) {
  return state_file + ".replay";
}

// The saved replay state for `state`, when the file beside it is the one
// the state file binds to its checkpoint; otherwise why not.
Result<std::string> LoadReplay(const std::string& state_file,
                               const State& state) {
  if (state.replay_sha256.empty()) {
    return NotFound("the state file names no saved replay state");
  }
  if (state.replay_size != state.parsed.size ||
      state.replay_root != Hex(state.parsed.root)) {
    return InvalidArgument(
        "the state file binds it to another checkpoint than the one it "
        "remembers");
  }
  const std::string path = ReplayPath(state_file);
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + " cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  const std::string bytes = text.str();
  if (crypto::ToHex(crypto::AsBytes(crypto::Sha256(crypto::AsBytes(bytes)))) !=
      state.replay_sha256) {
    return InvalidArgument(path +
                           " is not the file the state file recorded (its "
                           "SHA-256 differs: damaged or edited)");
  }
  json j = json::parse(bytes, nullptr, false);
  if (!j.is_object() || !j.contains("size") || j["size"] != state.parsed.size ||
      !j.contains("root") || j["root"] != Hex(state.parsed.root)) {
    return InvalidArgument(path + " is not of the remembered checkpoint");
  }
  return bytes;
}

Status SaveState(const std::string& path, const std::string& url,
                 const VerifyReport& report, const std::string& note_text,
                 const note::Checkpoint& cp) {
  json j;
  if (!report.saved_state.empty() && report.entries == cp.size) {
    // The replay state first: a crash between the two writes leaves a state
    // file whose digest does not match, which only costs a full replay.
    RETURN_IF_ERROR(WriteDurably(ReplayPath(path), report.saved_state));
    j["replay"] = {{"sha256", crypto::ToHex(crypto::AsBytes(crypto::Sha256(
                                  crypto::AsBytes(report.saved_state))))},
                   {"size", cp.size},
                   {"root", Hex(cp.root)}};
  }
  j["format"] = kMonitorStateFormat;
  j["log"] = url;
  j["origin"] = cp.origin;
  j["checkpointKey"] = report.checkpoint_key;
  j["pinned"] = report.pinned;
  j["size"] = cp.size;
  j["root"] = Hex(cp.root);
  j["checkpoint"] = note_text;
  j["verifiedAt"] = UtcNow("%Y-%m-%dT%H:%M:%SZ");
  return WriteDurably(path, DumpJson(j, 1) + "\n");
}

// Both checkpoints, kept next to the state file.
std::vector<std::string> WriteEvidence(const std::string& state_file,
                                       const std::string& remembered,
                                       const std::string& served,
                                       std::string* error) {
  const std::string stem =
      state_file + ".inconsistent-" + UtcNow("%Y%m%dT%H%M%SZ");
  std::vector<std::string> files;
  for (const auto& [suffix, text] :
       {std::pair{".remembered", &remembered}, std::pair{".served", &served}}) {
    std::string file = stem + suffix;
    // Never overwrite evidence: a second finding in the same second gets a
    // numbered name.
    for (int n = 2; std::filesystem::exists(file); ++n) {
      file = stem + "-" + std::to_string(n) + suffix;
    }
    Status s = WriteDurably(file, *text);
    if (!s.ok()) {
      *error = s.message();
      continue;
    }
    files.push_back(file);
  }
  return files;
}

// The report of a finding made before any entry was read.
VerifyReport EarlyReport(const MonitorOptions& o, const State* state) {
  VerifyReport r;
  r.input = o.verify.path;
  r.state_file = o.state_file;
  r.pinned = !o.verify.vkey.empty();
  if (state) {
    r.origin = state->origin;
    r.checkpoint_key = state->checkpoint_key;
    r.remembered_size = state->parsed.size;
    r.remembered_root = Hex(state->parsed.root);
  }
  return r;
}

}  // namespace

VerifyReport MonitorOnce(const MonitorOptions& o, bool skip_if_unchanged) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  std::optional<State> state;
  if (!o.state_file.empty()) {
    auto loaded = LoadState(o.state_file);
    if (loaded.ok()) {
      state = std::move(*loaded);
    } else if (loaded.status().code() != StatusCode::kNotFound) {
      VerifyReport r = EarlyReport(o, nullptr);
      r.read_error = loaded.status().message();
      return r;
    }
  }
  VerifyReport early = EarlyReport(o, state ? &*state : nullptr);

  std::unique_ptr<HttpFetcher> http;
  Fetch fetch = o.verify.fetch;
  if (!fetch) {
    auto created = HttpFetcher::Create(o.verify.path);
    if (!created.ok()) {
      early.read_error = created.status().message();
      return early;
    }
    http = std::move(*created);
    fetch = http->AsFetch();
  }
  TileLog log(fetch);
  auto fetched = log.FetchCheckpoint();
  if (!fetched.ok()) {
    early.read_error = fetched.status().message();
    return early;
  }
  std::string served = std::move(*fetched);
  auto cp = ParseSigned(served);
  if (!cp.ok()) {
    early.read_error = "the log's checkpoint is not a signed checkpoint: " +
                       cp.status().message();
    return early;
  }
  // A new checkpoint is cosigned within seconds of being signed: when it
  // lacks the quorum asked for, ask again for a bounded time rather than
  // call INVALID a log that is only ahead of its witnesses.
  std::optional<double> waited;
  bool wait_met = false;
  if (auto policy =
          ParseWitnessPolicy(o.verify.witnesses, o.verify.witness_quorum);
      policy.ok() && o.witness_wait.count() > 0) {
    WitnessReport w;
    if (!CheckCosignatures(served, *policy, &w)) {
      const auto until = std::chrono::steady_clock::now() + o.witness_wait;
      const auto wait_start = std::chrono::steady_clock::now();
      while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(
            o.witness_poll, until - std::chrono::steady_clock::now()));
        auto again = log.FetchCheckpoint();
        if (!again.ok()) continue;
        auto again_cp = ParseSigned(*again);
        if (!again_cp.ok() || again_cp->origin != cp->origin) continue;
        served = std::move(*again);
        cp = std::move(again_cp);
        WitnessReport now;
        if (CheckCosignatures(served, *policy, &now)) {
          wait_met = true;
          break;
        }
      }
      waited = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             wait_start)
                   .count();
    }
  }
  early.witness_wait_seconds = waited;
  early.witness_wait_met = wait_met;

  if (state) {
    if (skip_if_unchanged && served == state->checkpoint) {
      early.exit_code = state->pinned ? kExitValid : kExitValidUnpinned;
      early.unchanged = true;
      early.entries = state->parsed.size;
      early.root = Hex(state->parsed.root);
      early.seconds = elapsed();
      return early;
    }
    if (cp->origin != state->origin) {
      early.read_error = "the state file " + o.state_file +
                         " remembers the log " + state->origin +
                         ", but this log is " + cp->origin;
      return early;
    }
    if (!o.verify.vkey.empty() && state->pinned &&
        o.verify.vkey != state->checkpoint_key) {
      early.read_error = "the state file " + o.state_file +
                         " was verified under the key " +
                         state->checkpoint_key + ", not the --vkey given";
      return early;
    }
    // Only a checkpoint signed by the log's key is evidence against the
    // log: anything else is a forgery on the way, not the log's word.
    const std::string key_text =
        o.verify.vkey.empty() ? state->checkpoint_key : o.verify.vkey;
    auto key = note::ParseVerifierKey(key_text);
    if (!key.ok()) {
      early.read_error =
          "the state file's checkpoint key: " + key.status().message();
      return early;
    }
    if (!note::Open(served, *key).ok()) {
      early.exit_code = kExitInvalid;
      early.failure = Failure{
          cp->size, "checkpoint", "a checkpoint signed by " + key_text,
          "a checkpoint without that signature",
          "the log serves a checkpoint of size " + std::to_string(cp->size) +
              " that is not signed by its key; the state is left unchanged"};
      early.seconds = elapsed();
      return early;
    }
    // Consistency with what was seen before, before reading any entry.
    const uint64_t m = state->parsed.size;
    const uint64_t n = cp->size;
    std::string inconsistency;
    if (n < m) {
      inconsistency = "the log's checkpoint has " + std::to_string(n) +
                      " entries, but it signed a checkpoint of " +
                      std::to_string(m) +
                      " before (remembered in the state file): the log was "
                      "truncated";
    } else if (n == m && cp->root != state->parsed.root) {
      inconsistency = "the log signed two different checkpoints of size " +
                      std::to_string(n) + " (roots " + Hex(state->parsed.root) +
                      " remembered, " + Hex(cp->root) +
                      " now): a split view, or the log was rewritten";
    } else if (n > m) {
      auto proof = merkle::ConsistencyProof(log.Nodes(n), m, n);
      if (!proof.ok()) {
        if (proof.status().code() == StatusCode::kCorruption) {
          inconsistency = "the log's tiles for size " + std::to_string(n) +
                          " are malformed: " + proof.status().message();
        } else {
          early.read_error =
              "cannot compute the consistency proof from the "
              "log's tiles: " +
              proof.status().message();
          return early;
        }
      } else if (Status s = merkle::VerifyConsistency(
                     m, n, *proof, state->parsed.root, cp->root);
                 !s.ok()) {
        inconsistency = "the log's checkpoint of size " + std::to_string(n) +
                        " is not consistent with the checkpoint of size " +
                        std::to_string(m) +
                        " remembered in the state file (the consistency "
                        "proof computed from its tiles fails: " +
                        s.message() + "): entries before " + std::to_string(m) +
                        " were rewritten, or the log shows a split view";
      }
    }
    if (!inconsistency.empty()) {
      std::string error;
      early.evidence =
          WriteEvidence(o.state_file, state->checkpoint, served, &error);
      early.exit_code = kExitInconsistent;
      early.failure = Failure{
          std::min(m, n), "consistency",
          "size " + std::to_string(m) + ", root " + Hex(state->parsed.root) +
              " or an extension",
          "size " + std::to_string(n) + ", root " + Hex(cp->root),
          inconsistency +
              (error.empty() ? "" : "; writing the evidence failed: " + error)};
      early.seconds = elapsed();
      return early;
    }
  }

  // The whole log at the served checkpoint, through the same checks as a
  // bundle; the remembered checkpoint is checked against the entries too.
  VerifyOptions v = o.verify;
  v.fetch = fetch;
  v.live_checkpoint = served;
  // Full entry bundles never change: keep them beside the state, so that
  // the next run fetches only new ones (each still checked against the
  // log's hash tiles, every entry still re-verified).
  if (!o.state_file.empty()) v.entry_cache = o.state_file + ".tiles";
  if (state) v.checkpoint_notes.emplace_back("state", state->checkpoint);
  // Continue the checks from the replay state saved at the remembered
  // checkpoint (the log was just proved to extend it), unless it is gone,
  // damaged, or another checkpoint's: then every entry is checked again.
  std::string replay_ignored;
  if (!o.state_file.empty()) v.save_state = true;
  if (state) {
    bool older_checkpoint = false;
    for (const std::string& file : o.verify.extra_checkpoints) {
      std::ifstream in(file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      auto kept = ParseSigned(text.str());
      if (kept.ok() && kept->size < state->parsed.size) older_checkpoint = true;
    }
    auto replay = LoadReplay(o.state_file, *state);
    if (older_checkpoint) {
      // Its root needs the entries before the remembered size.
      replay_ignored = "a --checkpoint is older than the remembered checkpoint";
    } else if (replay.ok()) {
      v.resume_state = std::move(*replay);
    } else {
      replay_ignored = replay.status().message();
    }
  }
  VerifyReport report = Verify(v);
  report.witness_wait_seconds = waited;
  report.witness_wait_met = wait_met;
  if (waited && report.failure && report.failure->check == "witness") {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << *waited;
    report.failure->message +=
        "; waited " + s.str() + " s for more cosignatures (--witness-wait)";
  }
  if (!replay_ignored.empty()) {
    report.saved_state_ignored_because = replay_ignored;
  }
  report.state_file = o.state_file;
  if (state) {
    report.remembered_size = state->parsed.size;
    report.remembered_root = Hex(state->parsed.root);
  }
  if (!o.state_file.empty() && (report.exit_code == kExitValid ||
                                report.exit_code == kExitValidUnpinned)) {
    Status s = SaveState(o.state_file, o.verify.path, report, served, *cp);
    if (!s.ok()) {
      report.read_error =
          "verified, but the state file was not written: " + s.message();
      report.exit_code = kExitUnusable;
    } else {
      report.state_updated = true;
    }
  }
  report.seconds = elapsed();
  return report;
}

int Follow(const MonitorOptions& o,
           const std::function<void(const VerifyReport&)>& on_report) {
  int last = kExitUnusable;
  for (uint64_t round = 1;; ++round) {
    VerifyReport r = MonitorOnce(o, /*skip_if_unchanged=*/round > 1);
    last = r.exit_code;
    on_report(r);
    if (last == kExitInvalid || last == kExitInconsistent) return last;
    if (o.max_rounds != 0 && round >= o.max_rounds) return last;
    std::this_thread::sleep_for(o.interval);
  }
}

}  // namespace piaojue::verifier
