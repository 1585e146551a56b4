#include "api/cli/commands.h"

#include <capnp/message.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "api/cli/command_form.h"
#include "api/cli/data_dir.h"
#include "api/cli/render.h"
#include "api/cli/session.h"
#include "ledger/bundle.h"
#include "ledger/envelope.h"
#include "ledger/event_json.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/repair.h"
#include "projections/dates.h"
#include "projections/diff.h"
#include "projections/replay.h"
#include "projections/views.h"
#include "verifier/proof_bundle.h"

namespace piaojue::cli {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

note::SignerKey NewKey(std::string name) {
  return note::SignerKey{std::move(name), crypto::GenerateKeyPair()};
}

Result<ledger::SignedEvent> SignBuilt(
    const crypto::KeyPair& key, std::string_view origin,
    std::string_view jurisdiction,
    const std::function<void(schema::Event::Builder)>& fill) {
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Event>();
  fill(e);
  return ledger::SignEvent(key, origin, jurisdiction, NowMs(), e.asReader());
}

Status AppendAndReport(Session& session, const ledger::SignedEvent& event,
                       std::ostream& out) {
  ASSIGN_OR_RETURN(ledger::AppendResult r, session.ledger().Append(event));
  auto bytes = session.ledger().ReadEntry(r.index);
  std::string kind = "entry";
  if (bytes.ok()) {
    auto view = ledger::EntryView::Parse(*bytes);
    if (view.ok()) kind = ledger::EventKindName(view->event());
  }
  out << "appended entry " << r.index << " (" << kind << ") leaf "
      << crypto::ToHex(crypto::AsBytes(r.leaf_hash)) << "\n";
  return session.SaveSnapshot();
}

// The root key, from the file named by --root-key. It is kept by its holder
// (docs/KEYS.md), never in the data directory.
Result<crypto::KeyPair> RootKey(const std::string& path) {
  if (path.empty()) {
    return InvalidArgument(
        "--root-key FILE is required: registry acts are signed with the root "
        "key, which its holder keeps outside the data directory");
  }
  ASSIGN_OR_RETURN(note::SignerKey k, ReadKeyFile(path));
  return k.key_pair;
}

Result<crypto::PublicKey> ParsePublicKey(std::string_view hex) {
  crypto::PublicKey key;
  if (hex.size() != 2 * key.size() || !crypto::FromHex(hex, key).ok()) {
    return InvalidArgument("--public-key \"" + std::string(hex) +
                           "\": expected the 64 hex digits printed by "
                           "`piaojue key new`");
  }
  return key;
}

// A signed-note key name from a holder's name: no spaces, no '+'.
std::string KeyNameFor(std::string_view holder) {
  std::string name;
  for (char c : holder) {
    name += (c == ' ' || c == '+' || c == '\t' || c == '\n') ? '_' : c;
  }
  return name.empty() ? "piaojue-author" : name;
}

Result<std::string> ReadInput(const std::string& file) {
  std::stringstream ss;
  if (file == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return NotFound("cannot read " + file);
    ss << in.rdbuf();
  }
  return ss.str();
}

}  // namespace

Status Init(const InitOptions& o, std::ostream& out) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  RETURN_IF_ERROR(note::ValidateKeyName(o.origin));
  DataDir dir(o.data);
  if (o.root_key_out.empty()) {
    return InvalidArgument(
        "--root-key-out FILE is required: the root key is written there, "
        "outside the data directory, for its holder to keep offline");
  }
  if (IsInside(o.root_key_out, o.data)) {
    return InvalidArgument("--root-key-out " + o.root_key_out +
                           " is inside the data directory " + o.data +
                           "; the root key must be kept apart from the server");
  }
  std::error_code ec;
  if (std::filesystem::exists(dir.ledger_path(), ec)) {
    return AlreadyExists("a ledger already exists in " + o.data);
  }
  std::filesystem::create_directories(dir.keys_path(), ec);
  if (ec) return IOError("cannot create " + dir.keys_path());
  ::chmod(dir.keys_path().c_str(), 0700);

  note::SignerKey root = NewKey("root");
  note::SignerKey log = NewKey(o.origin);
  RETURN_IF_ERROR(WriteKeyFile(o.root_key_out, root));
  // Without a ledger the new root key is worthless; do not leave it behind.
  auto forget_root = [&](Status s) {
    if (!s.ok()) ::unlink(o.root_key_out.c_str());
    return s;
  };
  RETURN_IF_ERROR(forget_root(WriteKeyFile(dir.log_key_path(), log)));

  auto genesis =
      SignBuilt(root.key_pair, o.origin, "", [&](schema::Event::Builder e) {
        auto g = e.initGenesis();
        g.setOrigin(o.origin);
        g.setRootKey(capnp::Data::Reader(root.key_pair.public_key.data(), 32));
        g.setFormatVersion(ledger::kFormatVersion);
        g.setDeploymentName(o.deployment_name);
        g.setCheckpointKey(
            note::FormatVerifierKey(o.origin, log.key_pair.public_key));
      });
  RETURN_IF_ERROR(forget_root(genesis.status()));
  ledger::LedgerOptions options;
  options.checkpoint_key = log;
  auto ledger = ledger::Ledger::Create(dir.ledger_path(), *genesis, options);
  RETURN_IF_ERROR(forget_root(ledger.status()));
  RETURN_IF_ERROR((*ledger)->SignCheckpoint().status());
  out << "created ledger " << o.origin << " in " << o.data << "\n";
  out << "root key: "
      << crypto::ToHex(crypto::AsBytes(root.key_pair.public_key)) << "\n";
  out << "verifier key: "
      << note::FormatVerifierKey(o.origin, log.key_pair.public_key) << "\n";
  out << "root key file: " << o.root_key_out
      << " (keep it offline; docs/KEYS.md)\n";
  return Status::Ok();
}

Status AddJurisdiction(const JurisdictionOptions& o, std::ostream& out) {
  DataDir dir(o.data);
  schema::Level level;
  if (o.level == "county") {
    level = schema::Level::COUNTY;
  } else if (o.level == "township") {
    level = schema::Level::TOWNSHIP;
  } else {
    return InvalidArgument("--level \"" + o.level +
                           "\": accepted values are county, township");
  }
  ASSIGN_OR_RETURN(crypto::KeyPair root, RootKey(o.root_key));
  ASSIGN_OR_RETURN(auto session, Session::Open(dir));
  ASSIGN_OR_RETURN(ledger::SignedEvent event,
                   SignBuilt(root, session->ledger().origin(), "",
                             [&](schema::Event::Builder e) {
                               auto j = e.initJurisdictionRegistered();
                               j.setCode(o.code);
                               j.setName(o.name);
                               j.setLevel(level);
                               j.setParentCode(o.parent);
                             }));
  return AppendAndReport(*session, event, out);
}

Status NewKey(const KeyNewOptions& o, std::ostream& out) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  if (o.out_file.empty()) return InvalidArgument("--out FILE is required");
  if (o.holder.empty()) {
    return InvalidArgument("--holder is required (the office holding the key)");
  }
  note::SignerKey key = NewKey(KeyNameFor(o.holder));
  RETURN_IF_ERROR(WriteKeyFile(o.out_file, key));
  out << crypto::ToHex(crypto::AsBytes(key.key_pair.public_key)) << "\n";
  return Status::Ok();
}

namespace {

Status AppendRegistration(Session& session, const crypto::KeyPair& root,
                          const crypto::PublicKey& key, schema::Role role,
                          const KeyOptions& o, std::ostream& out) {
  ASSIGN_OR_RETURN(
      ledger::SignedEvent event,
      SignBuilt(root, session.ledger().origin(), "",
                [&](schema::Event::Builder e) {
                  auto k = e.initKeyRegistered();
                  k.setKey(capnp::Data::Reader(key.data(), key.size()));
                  k.setRole(role);
                  k.setJurisdiction(o.jurisdiction);
                  k.setHolder(o.holder);
                }));
  return AppendAndReport(session, event, out);
}

}  // namespace

Status RegisterKey(const KeyOptions& o, std::ostream& out) {
  DataDir dir(o.data);
  ASSIGN_OR_RETURN(schema::Role role, ParseRole(o.role));
  ASSIGN_OR_RETURN(crypto::PublicKey key, ParsePublicKey(o.public_key));
  if (o.holder.empty()) {
    return InvalidArgument("--holder is required (the office holding the key)");
  }
  ASSIGN_OR_RETURN(crypto::KeyPair root, RootKey(o.root_key));
  ASSIGN_OR_RETURN(auto session, Session::Open(dir));
  return AppendRegistration(*session, root, key, role, o, out);
}

Status AddKey(const KeyOptions& o, std::ostream& out) {
  DataDir dir(o.data);
  ASSIGN_OR_RETURN(schema::Role role, ParseRole(o.role));
  if (role != schema::Role::PUBLIC_INTAKE) {
    return InvalidArgument(
        "`key add` keeps a private key in the data directory, which only the "
        "public intake's key may be (the server signs residents' proposals "
        "with it); create a " +
        o.role +
        " key on its holder's machine with `piaojue key new` and register "
        "it with `piaojue key register`");
  }
  ASSIGN_OR_RETURN(crypto::KeyPair root, RootKey(o.root_key));
  ASSIGN_OR_RETURN(auto session, Session::Open(dir));
  const std::string path = dir.author_key_path(o.role, o.jurisdiction);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return AlreadyExists("key file exists: " + path);
  }
  note::SignerKey key = NewKey(o.role + "@" + o.jurisdiction);
  // Register first: a key file without a registration would be useless, and
  // a refused registration must not leave a key behind.
  RETURN_IF_ERROR(AppendRegistration(*session, root, key.key_pair.public_key,
                                     role, o, out));
  RETURN_IF_ERROR(WriteKeyFile(path, key));
  out << "key " << crypto::ToHex(crypto::AsBytes(key.key_pair.public_key))
      << " saved in " << path << "\n";
  return Status::Ok();
}

Status RevokeKey(const KeyOptions& o, std::ostream& out) {
  DataDir dir(o.data);
  crypto::PublicKey key;
  if (!o.public_key.empty()) {
    ASSIGN_OR_RETURN(key, ParsePublicKey(o.public_key));
  } else if (!o.role.empty() && !o.jurisdiction.empty()) {
    ASSIGN_OR_RETURN(note::SignerKey k,
                     ReadKeyFile(dir.author_key_path(o.role, o.jurisdiction)));
    key = k.key_pair.public_key;
  } else {
    return InvalidArgument(
        "--public-key KEY is required (the key to revoke, 64 hex digits)");
  }
  if (o.reason.empty()) return InvalidArgument("--reason is required");
  ASSIGN_OR_RETURN(crypto::KeyPair root, RootKey(o.root_key));
  ASSIGN_OR_RETURN(auto session, Session::Open(dir));
  ASSIGN_OR_RETURN(
      ledger::SignedEvent event,
      SignBuilt(root, session->ledger().origin(), "",
                [&](schema::Event::Builder e) {
                  auto k = e.initKeyRevoked();
                  k.setKey(capnp::Data::Reader(key.data(), key.size()));
                  k.setReason(o.reason);
                }));
  return AppendAndReport(*session, event, out);
}

Status Submit(const SubmitOptions& o, std::ostream& out) {
  DataDir dir(o.data);
  const int signers =
      !o.as_role.empty() + !o.key_file.empty() + !o.signed_file.empty();
  if (signers != 1) {
    return InvalidArgument(
        "give exactly one of --key FILE (sign with this key file), --signed "
        "ENVELOPE (a command signed elsewhere with `piaojue sign`) or --as "
        "publicIntake (the intake key in the data directory)");
  }
  if (!o.signed_file.empty()) {
    if (!o.file.empty()) {
      return InvalidArgument("--signed ENVELOPE takes no command file");
    }
    ASSIGN_OR_RETURN(std::string text, ReadInput(o.signed_file));
    ASSIGN_OR_RETURN(ledger::SignedEvent event,
                     ledger::SignedEventFromEnvelope(text));
    ASSIGN_OR_RETURN(auto session, Session::Open(dir));
    return AppendAndReport(*session, event, out);
  }
  if (o.file.empty()) return InvalidArgument("the command file is required");
  ASSIGN_OR_RETURN(std::string text, ReadInput(o.file));
  crypto::KeyPair key;
  if (!o.key_file.empty()) {
    ASSIGN_OR_RETURN(note::SignerKey k, ReadKeyFile(o.key_file));
    key = k.key_pair;
  } else {
    ASSIGN_OR_RETURN(Command command, ParseCommand(text, o.lang));
    const std::string& jurisdiction = command.jurisdiction;
    RETURN_IF_ERROR(ParseRole(o.as_role).status());
    ASSIGN_OR_RETURN(note::SignerKey k,
                     ReadKeyFile(dir.author_key_path(o.as_role, jurisdiction)));
    key = k.key_pair;
  }
  ASSIGN_OR_RETURN(auto session, Session::Open(dir));
  ASSIGN_OR_RETURN(ledger::SignedEvent event,
                   SignCommand(text, key, session->ledger().origin(), o.lang));
  return AppendAndReport(*session, event, out);
}

Result<ledger::SignedEvent> SignCommand(std::string_view command_json,
                                        const crypto::KeyPair& key,
                                        std::string_view origin, Lang lang) {
  ASSIGN_OR_RETURN(Command command, ParseCommand(command_json, lang));
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Event>();
  RETURN_IF_ERROR(ledger::EventFromJson(command.event_json, e));
  return ledger::SignEvent(key, origin, command.jurisdiction, NowMs(),
                           e.asReader());
}

namespace {

// "2025-06-15 10:00:00" in China Standard Time.
std::string CstTime(int64_t ms) {
  const projections::Date d = projections::DateFromMs(ms);
  const int64_t in_day =
      ((ms + projections::kCstOffsetMs) % projections::kMsPerDay +
       projections::kMsPerDay) %
      projections::kMsPerDay / 1000;
  char buf[16];
  std::snprintf(
      buf, sizeof buf, " %02d:%02d:%02d", static_cast<int>(in_day / 3600),
      static_cast<int>(in_day / 60 % 60), static_cast<int>(in_day % 60));
  return projections::FormatDate(d) + buf;
}

// "¥1,200,000.00" for 120000000 fen.
std::string YuanText(int64_t fen) {
  const bool negative = fen < 0;
  const uint64_t abs = negative ? 0 - static_cast<uint64_t>(fen) : fen;
  const std::string digits = std::to_string(abs / 100);
  std::string out = negative ? "-¥" : "¥";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  out.push_back('.');
  out.push_back(static_cast<char>('0' + abs % 100 / 10));
  out.push_back(static_cast<char>('0' + abs % 10));
  return out;
}

// What a signer is shown before signing: every signed field, read back from
// the bytes that would be signed (not from the command file).
Status DescribeSigned(const ledger::SignedEvent& e, std::string_view holder,
                      Lang lang, std::ostream& out) {
  ASSIGN_OR_RETURN(auto decoded, ledger::DecodedEvent::Parse(
                                     e.authored, ledger::kMaxEntrySize));
  auto a = decoded.get();
  const std::string kind = ledger::EventKindName(a.getEvent());
  auto key = a.getAuthorKey();
  const std::string key_hex =
      crypto::ToHex(crypto::Bytes(key.begin(), key.size()));
  const bool zh = lang == Lang::kChinese;
  out << Say(lang, "About to sign (--dry-run: nothing is signed or written):\n",
             "即将签署（--dry-run：不签署，也不写文件）：\n");
  out << Say(lang, "  log (origin):  ", "  账本（origin）：")
      << a.getOrigin().cStr() << "\n";
  out << Say(lang, "  jurisdiction:  ", "  行政区划：")
      << a.getJurisdiction().cStr() << "\n";
  out << Say(lang, "  act:           ", "  事项：");
  if (zh) {
    out << EventKindLabel(kind, lang) << "（" << kind << "）\n";
  } else {
    out << kind << "\n";
  }
  out << Say(lang, "  signing key:   ", "  签名密钥：") << key_hex;
  if (!holder.empty()) {
    out << Say(lang, " (holder ", "（持有人：") << holder
        << Say(lang, ")", "）");
  }
  out << "\n";
  out << Say(lang, "  signed at:     ", "  签署时间：")
      << CstTime(a.getSignedAtMs())
      << Say(lang, " China Standard Time", "（北京时间）") << "\n";
  out << Say(lang, "  content (exactly these fields are signed):\n",
             "  签署的内容（签署的正是以下各项）：\n");
  const nlohmann::json event =
      nlohmann::json::parse(ledger::EventToJson(a.getEvent()));
  out << event.dump(2) << "\n";
  // Money is signed in fen; say it in yuan too, so nobody signs 100 times
  // the amount they meant.
  std::vector<std::pair<std::string, int64_t>> amounts;
  std::function<void(const nlohmann::json&, const std::string&)> walk =
      [&](const nlohmann::json& v, const std::string& path) {
        if (v.is_object()) {
          for (const auto& [k, item] : v.items()) {
            const std::string at = path.empty() ? k : path + "." + k;
            const bool fen = k.size() > 3 && k.ends_with("Fen");
            if (fen && (item.is_number_integer() || item.is_string())) {
              try {
                amounts.emplace_back(
                    at, item.is_string() ? std::stoll(item.get<std::string>())
                                         : item.get<int64_t>());
              } catch (const std::exception&) {
                // Not a number: the JSON above shows it as it is.
              }
            } else {
              walk(item, at);
            }
          }
        } else if (v.is_array()) {
          for (size_t i = 0; i < v.size(); ++i) {
            walk(v[i], path + "[" + std::to_string(i) + "]");
          }
        }
      };
  walk(event, "");
  if (!amounts.empty()) {
    out << Say(lang, "  amounts (fen above, in yuan here):\n",
               "  金额（上面以分为单位，这里折合为元）：\n");
    for (const auto& [path, fen] : amounts) {
      out << "    " << path << ": " << YuanText(fen) << "\n";
    }
  }
  return Status::Ok();
}

// Creates `path` with `text` (mode 0644); AlreadyExists rather than replace.
Status WriteNewFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return AlreadyExists("file exists: " + path);
    return IOError("cannot create " + path);
  }
  bool ok = ::write(fd, text.data(), text.size()) ==
                static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return IOError("cannot write " + path);
  }
  return Status::Ok();
}

}  // namespace

Status Sign(const SignOptions& o, std::ostream& out) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  if (o.origin.empty()) {
    return InvalidArgument(
        "--origin ORIGIN is required: the log the act is meant for, as "
        "published with its verifier key (e.g. rd.qinghe.gov.cn/piaojue); a "
        "signature is valid in that log only");
  }
  if (o.out_file.empty() && !o.dry_run) {
    return InvalidArgument("--out ENVELOPE is required (or --dry-run)");
  }
  ASSIGN_OR_RETURN(note::SignerKey key, ReadKeyFile(o.key_file));
  ASSIGN_OR_RETURN(std::string text, ReadInput(o.file));
  ASSIGN_OR_RETURN(ledger::SignedEvent event,
                   SignCommand(text, key.key_pair, o.origin, o.lang));
  if (o.dry_run) return DescribeSigned(event, key.name, o.lang, out);
  ASSIGN_OR_RETURN(std::string envelope, ledger::EnvelopeToJson(event));
  RETURN_IF_ERROR(WriteNewFile(o.out_file, envelope));
  out << Say(o.lang, "signed envelope written to ", "已签署，签名文件：")
      << o.out_file << "\n";
  return Status::Ok();
}

Status Checkpoint(const std::string& data, std::ostream& out) {
  DataDir dir(data);
  ASSIGN_OR_RETURN(auto session, Session::Open(dir));
  ASSIGN_OR_RETURN(std::string note, session->ledger().SignCheckpoint());
  out << note;
  return Status::Ok();
}

Status Reindex(const std::string& data, std::ostream& out,
               uint64_t snapshot_every) {
  DataDir dir(data);
  bool indexes_agree = false;
  {
    auto before = ledger::Ledger::Open(dir.ledger_path(), {}, false);
    indexes_agree = before.ok() && (*before)->writable().ok();
  }
  if (indexes_agree) {
    out << "the indexes agree with the head; nothing to do\n";
  } else {
    RETURN_IF_ERROR(ledger::RebuildSideIndexes(dir.ledger_path()));
  }
  ASSIGN_OR_RETURN(auto after,
                   ledger::Ledger::Open(dir.ledger_path(), {}, false));
  RETURN_IF_ERROR(after->writable());
  if (!indexes_agree) {
    out << "rebuilt the nonce and registry indexes of " << after->size()
        << " entries; writes are accepted again\n";
  }
  if (snapshot_every > 0) {
    // The projection snapshots are checked against a fold of the whole log
    // (docs/FORMAT.md, "Projection snapshots"), not only their seals.
    ASSIGN_OR_RETURN(
        projections::RecheckInfo checked,
        projections::RecheckProjectionSnapshots(*after, snapshot_every));
    out << "projection snapshots: " << checked.checked
        << " equal a fold of the log, " << checked.rewritten
        << " written again from it\n";
  }
  return Status::Ok();
}

namespace {

// A checkpoint of the head signed just now, and the size it commits to: what
// a bundle or a proof is checked against.
struct FreshCheckpoint {
  std::string note;
  uint64_t size = 0;
};

Result<FreshCheckpoint> SignFreshCheckpoint(ledger::Ledger& ledger) {
  FreshCheckpoint out;
  ASSIGN_OR_RETURN(out.note, ledger.SignCheckpoint());
  ASSIGN_OR_RETURN(auto parsed, note::ParseNote(out.note));
  ASSIGN_OR_RETURN(note::Checkpoint cp, note::ParseCheckpoint(parsed.text));
  out.size = cp.size;
  return out;
}

// The checkpoint an export or a proof is made against, unless `head` was
// asked for: of the stored cosigned checkpoints that cover at least
// `min_size` entries — the latest one that gained cosignatures
// ("c/cosigned") and the latest one cosigned by every witness the server is
// configured with ("c/witnessed") — the one with the most cosignatures, the
// newer on a tie. Right after a new checkpoint, while the slowest witness
// has not answered yet, that is the older, fully cosigned one, which meets a
// quorum of all the witnesses. Otherwise (none, or `head`) a checkpoint of
// the head signed now (or, when nothing can be signed, the server's latest).
// `cosignatures` counts the signature lines besides the log's (as stored;
// piaojue-verify checks them).
struct ChosenCheckpoint {
  FreshCheckpoint checkpoint;
  size_t cosignatures = 0;
  std::vector<std::string> witness_names;
};

Result<ChosenCheckpoint> ChooseCheckpoint(ledger::Ledger& ledger, bool head,
                                          uint64_t min_size,
                                          bool can_sign = true) {
  ChosenCheckpoint out;
  if (!head) {
    std::optional<ChosenCheckpoint> best;
    for (auto stored : {ledger.LatestWitnessedCheckpoint(),
                        ledger.LatestCosignedCheckpoint()}) {
      if (!stored.ok()) {
        if (stored.status().code() != StatusCode::kNotFound) {
          return stored.status();
        }
        continue;
      }
      auto parsed = note::ParseNote(*stored);
      auto cp = parsed.ok() ? note::ParseCheckpoint(parsed->text)
                            : Result<note::Checkpoint>(parsed.status());
      if (!cp.ok() || cp->size < min_size) continue;
      ChosenCheckpoint c;
      c.checkpoint = {*stored, cp->size};
      for (const note::NoteSignature& s : parsed->signatures) {
        if (s.name == ledger.origin()) continue;
        ++c.cosignatures;
        c.witness_names.push_back(s.name);
      }
      if (!best || c.cosignatures > best->cosignatures ||
          (c.cosignatures == best->cosignatures &&
           c.checkpoint.size > best->checkpoint.size)) {
        best = std::move(c);
      }
    }
    if (best) return *best;
  }
  if (can_sign) {
    ASSIGN_OR_RETURN(out.checkpoint, SignFreshCheckpoint(ledger));
    return out;
  }
  // A store opened beside a running server: its latest checkpoint.
  ASSIGN_OR_RETURN(out.checkpoint.note, ledger.LatestCheckpoint());
  ASSIGN_OR_RETURN(note::ParsedNote parsed,
                   note::ParseNote(out.checkpoint.note));
  ASSIGN_OR_RETURN(note::Checkpoint cp, note::ParseCheckpoint(parsed.text));
  out.checkpoint.size = cp.size;
  return out;
}

std::string DescribeCosignatures(const ChosenCheckpoint& c) {
  if (c.cosignatures == 0) return "";
  std::string names;
  for (const std::string& n : c.witness_names) {
    names += (names.empty() ? "" : ", ") + n;
  }
  return " cosigned by " + std::to_string(c.cosignatures) + " witness" +
         (c.cosignatures == 1 ? "" : "es") + " (" + names + ")";
}

// Writes what `write` puts in a stream to `path` so that a reader sees the
// old file or the whole new one: a temporary file in the same directory,
// fsync, rename. The stream is written as it is produced (a proof bundle
// can be larger than memory should hold).
Status WriteFileAtomically(const std::string& path,
                           const std::function<Status(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp";
  Status written;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return IOError("cannot create " + tmp);
    written = write(out);
    out.flush();
    if (written.ok() && !out) written = IOError("cannot write " + tmp);
  }
  if (written.ok()) {
    int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    const bool synced = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
      written = IOError("cannot write " + path);
    }
  }
  if (!written.ok()) ::unlink(tmp.c_str());
  return written;
}

// The checkpoints an auditor kept (`prove --since-checkpoint FILE`): their
// tree sizes, after checking that each is a checkpoint of this log (its
// root is this log's root at its size) no larger than `size`.
Result<std::vector<uint64_t>> KeptCheckpointSizes(
    const ledger::Ledger& ledger, const std::vector<std::string>& files,
    uint64_t size) {
  std::vector<uint64_t> sizes;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return NotFound("cannot read checkpoint file " + file);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = note::ParseNote(text.str());
    if (!parsed.ok()) {
      return InvalidArgument(
          file + " is not a signed checkpoint: " + parsed.status().message());
    }
    ASSIGN_OR_RETURN(note::Checkpoint cp, note::ParseCheckpoint(parsed->text));
    if (cp.origin != ledger.origin()) {
      return InvalidArgument(file + " is a checkpoint of another log (" +
                             cp.origin + ")");
    }
    if (cp.size > size) {
      return InvalidArgument(file + " covers " + std::to_string(cp.size) +
                             " entries, more than this log's " +
                             std::to_string(size));
    }
    ASSIGN_OR_RETURN(crypto::Hash root, ledger.RootAt(cp.size));
    if (root != cp.root) {
      return FailedPrecondition(
          file +
          " is not consistent with this log: its root differs from "
          "this log's root at " +
          std::to_string(cp.size) + " entries");
    }
    sizes.push_back(cp.size);
  }
  return sizes;
}

}  // namespace

namespace {

// `piaojue export` beside a running `piaojue serve`, which holds the store's
// lock: the store is opened read-only (a RocksDB read-only instance sees the
// store as it was when opened, and keeps every table file it reads open, so
// the server's compactions do not pull them away), and the bundle holds the
// latest checkpoint the server signed and exactly the entries it covers. No
// key is used: the server signs checkpoints within checkpoint_delay.
Status ExportFromRunningServer(const DataDir& dir, const ExportOptions& o,
                               std::ostream& out) {
  ASSIGN_OR_RETURN(auto ledger, ledger::Ledger::Open(dir.ledger_path(), {},
                                                     /*read_only=*/true));
  // The latest cosigned checkpoint (unless --head), else the server's
  // latest: nothing can be signed here.
  auto chosen = ChooseCheckpoint(*ledger, o.head, 0, /*can_sign=*/false);
  if (!chosen.ok()) {
    if (chosen.status().code() != StatusCode::kNotFound) return chosen.status();
    return FailedPrecondition(
        "the ledger in " + dir.root() +
        " is in use by a running server that has not signed a checkpoint "
        "yet; try again in a moment");
  }
  const FreshCheckpoint& cp = chosen->checkpoint;
  if (cp.size > ledger->size()) {
    return Corruption("the stored checkpoint covers " +
                      std::to_string(cp.size) + " entries, the store holds " +
                      std::to_string(ledger->size()));
  }
  RETURN_IF_ERROR(
      ledger::WriteBundle(o.out_file, cp.note, cp.size,
                          [&](uint64_t i) { return ledger->ReadEntry(i); }));
  // The same choice and the same words as an export of a stopped server.
  out << "exported " << cp.size << " entries and "
      << (chosen->cosignatures > 0 ? "the latest cosigned checkpoint"
                                   : "the running server's latest checkpoint")
      << DescribeCosignatures(*chosen) << " to " << o.out_file << "\n";
  if (chosen->cosignatures > 0 && cp.size < ledger->size()) {
    out << "the log holds " << ledger->size() - cp.size
        << " newer entries the witnesses have not cosigned yet; --head "
           "exports them too, with the log's signature only\n";
  }
  return Status::Ok();
}

}  // namespace

Status Export(const ExportOptions& o, std::ostream& out) {
  DataDir dir(o.data);
  auto opened = Session::Open(dir);
  if (!opened.ok() && opened.status().code() == StatusCode::kUnavailable) {
    return ExportFromRunningServer(dir, o, out);
  }
  ASSIGN_OR_RETURN(auto session, std::move(opened));
  ledger::Ledger& ledger = session->ledger();
  ASSIGN_OR_RETURN(ChosenCheckpoint chosen,
                   ChooseCheckpoint(ledger, o.head, 0));
  const FreshCheckpoint& cp = chosen.checkpoint;
  const std::string& note = cp.note;
  RETURN_IF_ERROR(
      ledger::WriteBundle(o.out_file, note, cp.size,
                          [&](uint64_t i) { return ledger.ReadEntry(i); }));
  out << "exported " << cp.size << " entries and a signed checkpoint"
      << DescribeCosignatures(chosen) << " to " << o.out_file << "\n";
  if (chosen.cosignatures > 0 && cp.size < ledger.size()) {
    out << "the log holds " << ledger.size() - cp.size
        << " newer entries the witnesses have not cosigned yet; --head "
           "exports them too, with the log's signature only\n";
  }
  return Status::Ok();
}

Status Prove(const ProveOptions& o, std::ostream& out) {
  DataDir dir(o.data);
  ASSIGN_OR_RETURN(auto session, Session::Open(dir));
  ledger::Ledger& ledger = session->ledger();
  ASSIGN_OR_RETURN(ChosenCheckpoint chosen,
                   ChooseCheckpoint(ledger, o.head, o.record + 1));
  const FreshCheckpoint& cp = chosen.checkpoint;
  const std::string& note = cp.note;
  verifier::ProofSource src;
  src.size = cp.size;
  src.checkpoint = note;
  src.for_each_entry = [&](const auto& fn) {
    return ledger.ForEachEntry(0, cp.size, fn);
  };
  src.read_entry = [&](uint64_t index) { return ledger.ReadEntry(index); };
  src.inclusion = [&](uint64_t index) {
    return ledger.InclusionProof(index, cp.size);
  };
  ASSIGN_OR_RETURN(src.consistency_from,
                   KeptCheckpointSizes(ledger, o.since_checkpoints, cp.size));
  src.consistency = [&](uint64_t old_size) {
    return ledger.ConsistencyProof(old_size, cp.size);
  };
  RETURN_IF_ERROR(WriteFileAtomically(o.out_file, [&](std::ostream& file) {
    return verifier::WriteProofBundle(o.record, src, file);
  }));
  out << "wrote the proof of record " << o.record << " against checkpoint "
      << cp.size << DescribeCosignatures(chosen);
  for (uint64_t m : src.consistency_from) {
    out << ", consistent with the checkpoint of size " << m;
  }
  out << ", to " << o.out_file << "\n";
  return Status::Ok();
}

Status PrintEntry(const std::string& data, uint64_t index, std::ostream& out) {
  DataDir dir(data);
  ASSIGN_OR_RETURN(auto session, Session::Open(dir, /*read_only=*/true));
  ASSIGN_OR_RETURN(std::string bytes, session->ledger().ReadEntry(index));
  ASSIGN_OR_RETURN(ledger::EntryView view, ledger::EntryView::Parse(bytes));
  out << nlohmann::json::parse(ledger::EntryToJson(view)).dump(2) << "\n";
  return Status::Ok();
}

Result<projections::State> StateAsOf(const ledger::Ledger& ledger,
                                     const projections::State& current,
                                     std::string_view as_of) {
  if (as_of.empty()) return current;
  if (std::all_of(as_of.begin(), as_of.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    if (as_of.size() > 19) return InvalidArgument("--as-of: too large");
    const uint64_t size = std::stoull(std::string(as_of));
    if (size > ledger.size()) {
      return OutOfRange("--as-of " + std::string(as_of) +
                        ": the log has only " + std::to_string(ledger.size()) +
                        " entries");
    }
    if (size == current.size()) return current;
    // From the nearest projection snapshot the server has written.
    return projections::StateAtSize(ledger, size);
  }
  std::optional<int64_t> ms = projections::ParseInstantMs(as_of);
  if (!ms) {
    return InvalidArgument("--as-of \"" + std::string(as_of) +
                           "\": expected an entry count (e.g. 120), a date "
                           "(2025-07-01, end of that day in China time) or an "
                           "RFC 3339 time (2025-07-01T09:00:00+08:00)");
  }
  return projections::ReplayAsOf(ledger, *ms);
}

Status Show(const ShowOptions& o, std::ostream& out) {
  DataDir dir(o.data);
  ASSIGN_OR_RETURN(auto session, Session::Open(dir, /*read_only=*/true));
  projections::ViewQuery q;
  q.cycle = o.cycle;
  q.record = o.record;
  q.round = o.round;
  ASSIGN_OR_RETURN(projections::State state,
                   StateAsOf(session->ledger(), session->state(), o.as_of));
  ASSIGN_OR_RETURN(nlohmann::json view, projections::View(state, o.view, q));
  if (!o.diff_from.empty()) {
    ASSIGN_OR_RETURN(
        projections::State before,
        StateAsOf(session->ledger(), session->state(), o.diff_from));
    ASSIGN_OR_RETURN(nlohmann::json old_view,
                     projections::View(before, o.view, q));
    view = projections::Diff(old_view, view);
  }
  if (o.json) {
    out << view.dump(2) << "\n";
  } else {
    RenderView(view, out);
  }
  return Status::Ok();
}

}  // namespace piaojue::cli
