// The witness's state and the add-checkpoint rules of c2sp.org/tlog-witness.
// Request grammar (tlog-witness, "add-checkpoint"):
//   body  = "old " size "\n" *63(base64(32-byte hash) "\n") "\n" checkpoint
//   size  = "0" / %x31-39 *DIGIT          ; decimal, no leading zeros
//   checkpoint = a signed note (ledger/note.h) whose text is a checkpoint
// See witness.h for the directory layout and docs/FORMAT.md, "Cosigned
// checkpoints".
#include "witness/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <vector>

#include "ledger/cosignature.h"
#include "ledger/crypto.h"
#include "ledger/merkle.h"
#include "ledger/note.h"

namespace piaojue::witness {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxProofLines = 63;

std::string KeyPath(const std::string& dir) { return dir + "/witness.key"; }
std::string LockPath(const std::string& dir) { return dir + "/lock"; }
std::string LogDir(const std::string& dir, std::string_view origin) {
  return dir + "/logs/" +
         crypto::ToHex(
             crypto::AsBytes(crypto::Sha256(crypto::AsBytes(origin))));
}

Status SyncDirectory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IOError("cannot open directory " + path);
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::Ok() : IOError("cannot sync directory " + path);
}

// Replaces `path` with `data` so that a crash leaves the old or the new
// file, never a mix: temporary file, fsync, rename, fsync of the directory.
Status WriteFileDurably(const std::string& path, std::string_view data,
                        mode_t mode = 0644) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return IOError("cannot create " + tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == data.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return IOError("cannot write " + path);
  }
  return SyncDirectory(fs::path(path).parent_path().string());
}

// NotFound when the file does not exist.
Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return NotFound("no file " + path);
    return IOError("cannot read " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IOError("cannot read " + path);
  return ss.str();
}

Result<cosignature::WitnessSigner> ReadKey(const std::string& dir) {
  const std::string path = KeyPath(dir);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return NotFound("no witness in " + dir + " (run piaojue witness init)");
  }
  if (st.st_mode & 077) {
    return PermissionDenied("key file " + path +
                            " is readable by others; run chmod 600 on it");
  }
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  if (!text.empty() && text.back() == '\n') text.pop_back();
  auto key = note::ParseSignerKey(text);
  if (!key.ok()) {
    return InvalidArgument("key file " + path +
                           " is not a signer key: " + key.status().message());
  }
  return key;
}

// An exclusive flock on DIR/lock for as long as it lives, so two processes
// (a witness serving and `witness add-log`, or two servers by mistake)
// never interleave a check and an update.
class DirLock {
 public:
  static Result<DirLock> Acquire(const std::string& dir) {
    int fd = ::open(LockPath(dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return IOError("cannot open " + LockPath(dir));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        ::close(fd);
        return IOError("cannot lock " + LockPath(dir));
      }
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DirLock(const DirLock&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

Reply Error(int status, std::string message) {
  Reply r;
  r.status = status;
  r.body = std::move(message) + "\n";
  return r;
}

std::optional<uint64_t> ParseSize(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Request {
  uint64_t old_size = 0;
  std::vector<crypto::Hash> proof;
  std::string note;  // the signed checkpoint
};

Result<Request> ParseRequest(std::string_view body) {
  Request req;
  size_t eol = body.find('\n');
  if (eol == std::string_view::npos || !body.starts_with("old ")) {
    return InvalidArgument("the body starts with an \"old <size>\" line");
  }
  auto old_size = ParseSize(body.substr(4, eol - 4));
  if (!old_size) {
    return InvalidArgument(
        "the old size is a decimal number without leading zeros");
  }
  req.old_size = *old_size;
  body.remove_prefix(eol + 1);
  while (true) {
    eol = body.find('\n');
    if (eol == std::string_view::npos) {
      return InvalidArgument(
          "the consistency proof ends with an empty line before the "
          "checkpoint");
    }
    std::string_view line = body.substr(0, eol);
    body.remove_prefix(eol + 1);
    if (line.empty()) break;
    if (req.proof.size() == kMaxProofLines) {
      return InvalidArgument("more than 63 consistency proof lines");
    }
    auto hash = crypto::Base64Decode(line);
    if (!hash.ok() || hash->size() != crypto::kHashSize) {
      return InvalidArgument(
          "a consistency proof line is not base64 of 32 "
          "bytes");
    }
    crypto::Hash h;
    std::copy(hash->begin(), hash->end(), h.begin());
    req.proof.push_back(h);
  }
  req.note = std::string(body);
  return req;
}

uint64_t SystemSeconds() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Trusted keys of one origin: DIR/logs/<H>/keys. NotFound if none.
Result<std::vector<note::VerifierKey>> TrustedKeys(const std::string& log_dir) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(log_dir + "/keys"));
  std::vector<note::VerifierKey> keys;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto key = note::ParseVerifierKey(line);
    if (!key.ok()) {
      return Corruption(
          log_dir + "/keys holds a malformed key: " + key.status().message());
    }
    keys.push_back(*std::move(key));
  }
  if (keys.empty()) return NotFound("no trusted key in " + log_dir);
  return keys;
}

}  // namespace

Result<std::string> Init(const std::string& dir, const std::string& name) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  RETURN_IF_ERROR(note::ValidateKeyName(name));
  std::error_code ec;
  fs::create_directories(dir + "/logs", ec);
  if (!ec) fs::create_directories(dir + "/evidence", ec);
  if (ec) return IOError("cannot create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  cosignature::WitnessSigner key{name, crypto::GenerateKeyPair()};
  const std::string text =
      note::FormatSignerKey(key.name, key.key_pair.secret_key) + "\n";
  // O_EXCL: a witness key is never replaced (its cosignatures name it).
  const std::string path = KeyPath(dir);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return AlreadyExists(dir + " already holds a witness key");
    }
    return IOError("cannot create " + path);
  }
  const bool ok = ::write(fd, text.data(), text.size()) ==
                      static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return IOError("cannot write " + path);
  RETURN_IF_ERROR(SyncDirectory(dir));
  return cosignature::FormatVerifierKey(name, key.key_pair.public_key);
}

Result<std::string> AddLog(const std::string& dir, std::string_view log_vkey) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  RETURN_IF_ERROR(ReadKey(dir).status());
  auto key = note::ParseVerifierKey(log_vkey);
  if (!key.ok()) {
    return InvalidArgument("--vkey is not a log's verifier key: " +
                           key.status().message());
  }
  ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir));
  const std::string log_dir = LogDir(dir, key->name);
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  if (ec) return IOError("cannot create " + log_dir);
  std::string keys;
  auto old = ReadFile(log_dir + "/keys");
  if (old.ok()) {
    keys = *old;
  } else if (old.status().code() != StatusCode::kNotFound) {
    return old.status();
  }
  std::istringstream lines(keys);
  for (std::string line; std::getline(lines, line);) {
    if (line == log_vkey) return key->name;  // already trusted
  }
  RETURN_IF_ERROR(
      WriteFileDurably(log_dir + "/keys", keys + std::string(log_vkey) + "\n"));
  // Record the origin in clear beside its hash, for people reading DIR.
  RETURN_IF_ERROR(WriteFileDurably(log_dir + "/origin", key->name + "\n"));
  return key->name;
}

class Witness::Impl {
 public:
  std::string dir;
  cosignature::WitnessSigner signer;
  std::string vkey;
  std::function<uint64_t()> clock;
  // Serializes requests within this process; DirLock does across processes.
  std::mutex mu;

  Reply Handle(std::string_view body);
  void KeepEvidence(std::string_view kind, std::string_view origin,
                    std::string_view reason, std::string_view cosigned,
                    std::string_view request);
};

Result<std::unique_ptr<Witness>> Witness::Open(
    const std::string& dir, std::function<uint64_t()> clock) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  ASSIGN_OR_RETURN(impl->signer, ReadKey(dir));
  impl->vkey = cosignature::FormatVerifierKey(impl->signer.name,
                                              impl->signer.key_pair.public_key);
  impl->clock = clock ? std::move(clock) : SystemSeconds;
  std::error_code ec;
  fs::create_directories(dir + "/evidence", ec);
  if (ec) return IOError("cannot create " + dir + "/evidence");
  return std::unique_ptr<Witness>(new Witness(std::move(impl)));
}

Witness::Witness(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Witness::~Witness() = default;
const std::string& Witness::name() const { return impl_->signer.name; }
const std::string& Witness::verifier_key() const { return impl_->vkey; }

Reply Witness::AddCheckpoint(std::string_view request_body) {
  std::lock_guard<std::mutex> guard(impl_->mu);
  return impl_->Handle(request_body);
}

void Witness::Impl::KeepEvidence(std::string_view kind, std::string_view origin,
                                 std::string_view reason,
                                 std::string_view cosigned,
                                 std::string_view request) {
  std::string text =
      "piaojue witness evidence\nwitness: " + vkey +
      "\norigin: " + std::string(origin) + "\nkind: " + std::string(kind) +
      "\nreason: " + std::string(reason) +
      "\nreceived at: " + std::to_string(clock()) +
      "\n\n--- the checkpoint this witness had cosigned ---\n" +
      std::string(cosigned) + "\n--- the add-checkpoint request body ---\n" +
      std::string(request);
  const std::string base =
      dir + "/evidence/" + std::to_string(clock()) + "-" + std::string(kind);
  for (int n = 0; n < 1000; ++n) {
    const std::string path = base + "-" + std::to_string(n) + ".txt";
    std::error_code ec;
    if (fs::exists(path, ec)) continue;
    // The answer to the client does not depend on it; the operator is told
    // either way, since evidence is what a witness is for.
    Status s = WriteFileDurably(path, text);
    if (s.ok()) {
      std::cerr << "piaojue witness: " << origin << ": " << reason
                << "; evidence kept in " << path << std::endl;
    } else {
      std::cerr << "piaojue witness: " << origin << ": " << reason
                << "; could not keep the evidence: " << s.ToString()
                << std::endl;
    }
    return;
  }
}

Reply Witness::Impl::Handle(std::string_view body) {
  auto req = ParseRequest(body);
  if (!req.ok()) return Error(400, req.status().message());
  auto parsed = note::ParseNote(req->note);
  if (!parsed.ok()) {
    return Error(400, "the checkpoint is not a signed note: " +
                          parsed.status().message());
  }
  auto cp = note::ParseCheckpoint(parsed->text);
  if (!cp.ok()) {
    return Error(400, "the note is not a checkpoint: " + cp.status().message());
  }

  auto lock = DirLock::Acquire(dir);
  if (!lock.ok()) return Error(500, lock.status().message());
  const std::string log_dir = LogDir(dir, cp->origin);
  auto keys = TrustedKeys(log_dir);
  if (!keys.ok()) {
    if (keys.status().code() == StatusCode::kNotFound) {
      return Error(404, "unknown log origin \"" + cp->origin + "\"");
    }
    return Error(500, keys.status().message());
  }
  bool trusted = false;
  for (const note::VerifierKey& key : *keys) {
    if (note::Open(req->note, key).ok()) {
      trusted = true;
      break;
    }
  }
  if (!trusted) {
    return Error(403, "no signature by a trusted key of \"" + cp->origin +
                          "\" verifies");
  }
  if (req->old_size > cp->size) {
    return Error(400, "old size " + std::to_string(req->old_size) +
                          " is larger than the checkpoint size " +
                          std::to_string(cp->size));
  }

  // What this witness cosigned last for the origin.
  uint64_t cosigned_size = 0;
  crypto::Hash cosigned_root = merkle::EmptyRoot();
  std::string cosigned_note;
  auto stored = ReadFile(log_dir + "/checkpoint");
  if (stored.ok()) {
    auto stored_note = note::ParseNote(*stored);
    Result<note::Checkpoint> stored_cp =
        stored_note.ok() ? note::ParseCheckpoint(stored_note->text)
                         : Result<note::Checkpoint>(stored_note.status());
    if (!stored_cp.ok()) {
      return Error(500, log_dir + "/checkpoint is damaged: " +
                            stored_cp.status().message());
    }
    cosigned_size = stored_cp->size;
    cosigned_root = stored_cp->root;
    cosigned_note = *stored;
  } else if (stored.status().code() != StatusCode::kNotFound) {
    return Error(500, stored.status().message());
  }

  if (req->old_size != cosigned_size) {
    Reply r;
    r.status = 409;
    r.content_type = "text/x.tlog.size";
    r.body = std::to_string(cosigned_size) + "\n";
    return r;
  }
  if (req->old_size == cp->size && cp->root != cosigned_root &&
      !cosigned_note.empty()) {
    // Two signed checkpoints of one size with different roots: a split view.
    KeepEvidence("split-view", cp->origin,
                 "a checkpoint of size " + std::to_string(cp->size) +
                     " with another root than the one cosigned",
                 cosigned_note, body);
    return Error(409, "a checkpoint of size " + std::to_string(cp->size) +
                          " with another root was cosigned; this one is "
                          "inconsistent with it");
  }
  Status consistent = merkle::VerifyConsistency(
      req->old_size, cp->size, req->proof, cosigned_root, cp->root);
  if (!consistent.ok()) {
    // Signed by the log yet not provably an extension of what was cosigned:
    // a fork, or a client's mistake. Either way worth keeping.
    KeepEvidence("bad-proof", cp->origin, consistent.message(), cosigned_note,
                 body);
    return Error(422, consistent.message());
  }

  // Persist first: a cosignature is only ever handed out for the state on
  // disk, so a crash cannot make the witness forget what it signed.
  Status saved = WriteFileDurably(log_dir + "/checkpoint", req->note);
  if (!saved.ok()) return Error(500, saved.message());
  auto line = cosignature::Sign(parsed->text, clock(), signer);
  if (!line.ok()) return Error(500, line.status().message());
  Reply r;
  r.body = *line;
  return r;
}

}  // namespace piaojue::witness
