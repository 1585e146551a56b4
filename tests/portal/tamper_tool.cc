// Test-only: edits a *copy* of a data directory the way an attacker with
// write access to the server's disk would, so the portal's end-to-end tests
// can check that the browser notices. Never part of the piaojue binary.
//
//   portal_tamper DIR entry INDEX    flip one byte inside entry INDEX's
//                                    authored event (its bytes still parse)
//   portal_tamper DIR checkpoint     store a checkpoint whose signature does
//                                    not match its body (another root), and
//                                    remove the log key so the server cannot
//                                    sign a new one
//   portal_tamper DIR sign ROLE ORIGIN
//                                    sign the command on standard input with
//                                    DIR's key of ROLE for its jurisdiction,
//                                    for the log ORIGIN, and print the body
//                                    of POST /v1/entries (for tests that
//                                    write to a running server: live
//                                    updates, ties, void rounds)
//   portal_tamper - witness-key NAME SEED_BYTE
//                                    print the C2SP cosignature/v1 verifier
//                                    key of the witness NAME whose Ed25519
//                                    seed is 32 bytes of SEED_BYTE
//   portal_tamper DIR cosign NAME SEED_BYTE TIMESTAMP [forged]
//                                    cosign DIR's stored checkpoint as that
//                                    witness at TIMESTAMP (POSIX seconds)
//                                    with ledger/cosignature.cc and append
//                                    the line to it (c/latest, and
//                                    c/cosigned where a server reads the
//                                    witnesses' word); "forged": the line
//                                    names the witness but its signature is
//                                    over another body
//   portal_tamper - cosign-vectors   print, as JSON, cosignature/v1 vectors
//                                    made by ledger/cosignature.cc (valid,
//                                    wrong key, altered body, wrong
//                                    timestamp encodings) with the verdict
//                                    of cosignature::VerifyNote on each, so
//                                    the portal's JavaScript is checked
//                                    against the C++ library
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/cli/data_dir.h"
#include "api/cli/session.h"
#include "api/demo/demo.h"
#include "ledger/cosignature.h"
#include "ledger/crypto.h"
#include "ledger/note.h"

namespace {

std::string EntryKey(uint64_t index) {
  std::string k = "e";
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(index >> (8 * i)));
  return k;
}

int Fail(const std::string& what) {
  std::cerr << "portal_tamper: " << what << "\n";
  return 1;
}

std::string B64(const uint8_t* p, size_t n) {
  static const char* k =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = p[i] << 16;
    if (i + 1 < n) v |= p[i + 1] << 8;
    if (i + 2 < n) v |= p[i + 2];
    out.push_back(k[(v >> 18) & 63]);
    out.push_back(k[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? k[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? k[v & 63] : '=');
  }
  return out;
}

// Format 1 signs a command without naming the log; format 2 binds it to
// the log's origin. Either way the test gets a valid event for the ledger.
template <typename Key>
auto SignFor(const std::string& command, const Key& key,
             const std::string& origin) {
  if constexpr (requires { piaojue::cli::SignCommand(command, key, origin); }) {
    return piaojue::cli::SignCommand(command, key, origin);
  } else {
    return piaojue::cli::SignCommand(command, key);
  }
}

int Sign(const std::string& dir, const std::string& role,
         const std::string& origin) {
  if (!piaojue::crypto::InitCrypto().ok()) return Fail("crypto");
  const std::string command((std::istreambuf_iterator<char>(std::cin)),
                            std::istreambuf_iterator<char>());
  const nlohmann::json j = nlohmann::json::parse(command, nullptr, false);
  if (j.is_discarded() || !j.contains("jurisdiction")) {
    return Fail("the command is not JSON with a jurisdiction");
  }
  // The demo keeps its offices' keys beside the data directory.
  auto key = piaojue::cli::ReadKeyFile(
      piaojue::demo::KeysDir(dir) + "/" +
      piaojue::cli::RoleKeyFileName(role,
                                    j["jurisdiction"].get<std::string>()));
  if (!key.ok()) return Fail(key.status().ToString());
  auto signed_event = SignFor(command, key->key_pair, origin);
  if (!signed_event.ok()) return Fail(signed_event.status().ToString());
  const std::string& a = signed_event->authored;
  std::cout << nlohmann::json{{"authored",
                               B64(reinterpret_cast<const uint8_t*>(a.data()),
                                   a.size())},
                              {"signature",
                               B64(signed_event->signature.data(),
                                   signed_event->signature.size())}}
                   .dump()
            << "\n";
  return 0;
}

namespace cosig = piaojue::cosignature;

cosig::WitnessSigner Witness(const std::string& name, int seed_byte) {
  std::array<uint8_t, piaojue::crypto::kSeedSize> seed;
  seed.fill(static_cast<uint8_t>(seed_byte));
  return cosig::WitnessSigner{name, piaojue::crypto::KeyPairFromSeed(seed)};
}

std::string VerifierKey(const cosig::WitnessSigner& w) {
  return cosig::FormatVerifierKey(w.name, w.key_pair.public_key);
}

// A line naming `named` (its name and key id) and carrying `timestamp` in
// its blob, whose signature is `signer`'s over `message`: each vector breaks
// one rule by choosing these apart from what a witness would.
std::string LineOver(const cosig::WitnessSigner& named,
                     const cosig::WitnessSigner& signer,
                     const std::string& message, uint64_t timestamp) {
  cosig::Cosignature c;
  c.name = named.name;
  c.id = cosig::KeyId(named.name, named.key_pair.public_key);
  c.timestamp = timestamp;
  c.signature = piaojue::crypto::Sign(signer.key_pair.secret_key,
                                      piaojue::crypto::AsBytes(message));
  return cosig::FormatLine(c);
}

std::string OtherBody(const std::string& body) {
  // The same origin and size, another root (its first character changed).
  std::string other = body;
  const size_t root = body.find('\n', body.find('\n') + 1) + 1;
  other[root] = other[root] == 'A' ? 'B' : 'A';
  return other;
}

int CosignVectors() {
  if (!piaojue::crypto::InitCrypto().ok()) return Fail("crypto");
  const cosig::WitnessSigner a = Witness("witness.audit.example", 0x21);
  const cosig::WitnessSigner b = Witness("witness.npc.example", 0x22);
  const cosig::WitnessSigner log = Witness("example.gov.cn/piaojue", 0x23);
  const std::string body =
      "example.gov.cn/piaojue\n1109\n"
      "kZESw3N7AqYtB1Q6JKZEYedsQac8JkM+ERIJUoBF600=\n";
  auto log_note = piaojue::note::Sign(body, log);
  if (!log_note.ok()) return Fail(log_note.status().ToString());
  const uint64_t t = 1764506700;  // 2025-11-30 20:45:00 CST
  std::vector<cosig::WitnessKey> keys;
  for (const auto* w : {&a, &b}) {
    auto k = cosig::ParseVerifierKey(VerifierKey(*w));
    if (!k.ok()) return Fail(k.status().ToString());
    keys.push_back(*k);
  }
  auto sign = [&](const cosig::WitnessSigner& w, const std::string& text,
                  uint64_t when) {
    auto line = cosig::Sign(text, when, w);
    return line.ok() ? *line : std::string();
  };
  const std::string msg = cosig::SignedMessage(body, t);
  uint64_t swapped = 0;  // t's eight bytes in little-endian order
  for (int i = 0; i < 8; ++i) swapped = swapped << 8 | ((t >> (8 * i)) & 0xff);
  const uint64_t too_large = (uint64_t{1} << 63) | t;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"valid", sign(a, body, t)},
      {"valid_second_witness", sign(b, body, t + 1)},
      // Named as witness A (name and key id), signed by B's key.
      {"wrong_key", LineOver(a, b, msg, t)},
      // A's signature of another checkpoint (another root), copied here.
      {"altered_body",
       LineOver(a, a, cosig::SignedMessage(OtherBody(body), t), t)},
      // The blob holds t little-endian: another timestamp than signed.
      {"timestamp_little_endian", LineOver(a, a, msg, swapped)},
      // The signed message writes the time with a leading zero.
      {"timestamp_leading_zero",
       LineOver(a, a,
                "cosignature/v1\ntime 0" + std::to_string(t) + "\n" + body, t)},
      // The signed message writes the time in hex.
      {"timestamp_hex", LineOver(
                            a, a,
                            [&] {
                              char hex[32];
                              std::snprintf(hex, sizeof hex, "%llx",
                                            static_cast<unsigned long long>(t));
                              return "cosignature/v1\ntime " +
                                     std::string(hex) + "\n" + body;
                            }(),
                            t)},
      // Above 2^63 - 1 (the top bit set), though signed over its decimal.
      {"timestamp_too_large",
       LineOver(a, a, cosig::SignedMessage(body, too_large), too_large)},
      // A plain note signature (type 0x01 key id, 64-byte signature) by a
      // key named like witness A: not a cosignature.
      {"note_signature",
       [&] {
         auto n = piaojue::note::Sign(body,
                                      cosig::WitnessSigner{a.name, a.key_pair});
         return n.ok() ? n->substr(body.size() + 1) : std::string();
       }()},
  };
  nlohmann::json out;
  out["generatedBy"] = "tests/portal/tamper_tool.cc (ledger/cosignature.cc)";
  out["body"] = body;
  out["logNote"] = *log_note;
  out["logVerifierKey"] =
      piaojue::note::FormatVerifierKey(log.name, log.key_pair.public_key);
  // A log key whose base64 holds a '+' (about half do): split at the first
  // two '+' only (docs/FORMAT.md, "Splitting a key").
  for (int seed = 0x40; seed < 0x80; ++seed) {
    const cosig::WitnessSigner k = Witness("example.gov.cn/piaojue", seed);
    const std::string vkey =
        piaojue::note::FormatVerifierKey(k.name, k.key_pair.public_key);
    if (vkey.find('+', vkey.find('+', vkey.find('+') + 1) + 1) ==
        std::string::npos) {
      continue;
    }
    auto n = piaojue::note::Sign(body, k);
    if (!n.ok()) return Fail(n.status().ToString());
    out["plusKey"] = {{"vkey", vkey}, {"note", *n}};
    break;
  }
  out["timestamp"] = t;
  out["message"] = msg;
  out["witnesses"] = nlohmann::json::array();
  for (const auto* w : {&a, &b}) {
    out["witnesses"].push_back({{"name", w->name}, {"vkey", VerifierKey(*w)}});
  }
  out["cases"] = nlohmann::json::array();
  for (const auto& [id, line] : cases) {
    if (line.empty()) return Fail("could not make the vector " + id);
    const std::string note = *log_note + line;
    auto verified = cosig::VerifyNote(note, keys);
    if (!verified.ok()) return Fail(id + ": " + verified.status().ToString());
    nlohmann::json by = nlohmann::json::array();
    for (const auto& v : *verified) {
      by.push_back({{"witness", v.key_index}, {"timestamp", v.timestamp}});
    }
    out["cases"].push_back(
        {{"id", id}, {"line", line}, {"note", note}, {"verifiedBy", by}});
  }
  std::cout << out.dump(1) << "\n";
  return 0;
}

// Appends a cosignature of DIR's stored checkpoint by the witness.
int Cosign(rocksdb::DB* db, const std::string& name, int seed_byte,
           uint64_t timestamp, bool forged) {
  if (!piaojue::crypto::InitCrypto().ok()) return Fail("crypto");
  std::string note;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), "c/latest", &note);
  if (!s.ok()) return Fail(s.ToString());
  auto parsed = piaojue::note::ParseNote(note);
  if (!parsed.ok()) return Fail(parsed.status().ToString());
  const cosig::WitnessSigner w = Witness(name, seed_byte);
  std::string line;
  if (forged) {
    line =
        LineOver(w, w, cosig::SignedMessage(OtherBody(parsed->text), timestamp),
                 timestamp);
  } else {
    auto signed_line = cosig::Sign(parsed->text, timestamp, w);
    if (!signed_line.ok()) return Fail(signed_line.status().ToString());
    line = *signed_line;
  }
  auto cosigned = cosig::AppendLines(note, line);
  if (!cosigned.ok()) return Fail(cosigned.status().ToString());
  rocksdb::WriteBatch batch;
  batch.Put("c/latest", *cosigned);
  batch.Put("c/cosigned", *cosigned);
  s = db->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return Fail(s.ToString());
  std::cout << VerifierKey(w) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3)
    return Fail("usage: portal_tamper DIR entry INDEX | DIR checkpoint");
  const std::string dir = argv[1];
  const std::string what = argv[2];
  if (what == "sign" && argc == 5) return Sign(dir, argv[3], argv[4]);
  if (what == "cosign-vectors") return CosignVectors();
  if (what == "witness-key" && argc == 5) {
    if (!piaojue::crypto::InitCrypto().ok()) return Fail("crypto");
    std::cout << VerifierKey(Witness(argv[3], std::stoi(argv[4], nullptr, 0)))
              << "\n";
    return 0;
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options;
  rocksdb::Status s = rocksdb::DB::Open(options, dir + "/ledger", &raw);
  if (!s.ok()) return Fail(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  if (what == "entry" && argc == 4) {
    const std::string key = EntryKey(std::stoull(argv[3]));
    std::string value;
    s = db->Get(rocksdb::ReadOptions(), key, &value);
    if (!s.ok()) return Fail(s.ToString());
    // An entry ends with the author's 64-byte signature, right after the
    // authored event, whose last object is a text or data blob followed by
    // zero padding. Flipping the low bit of that blob's last non-zero byte
    // keeps the bytes canonical Cap'n Proto but changes their meaning (and
    // so the leaf hash and the author's signature check).
    size_t at = value.size() - 65;
    while (at > 0 && value[at] == 0) --at;
    value[at] = static_cast<char>(value[at] ^ 1);
    s = db->Put(rocksdb::WriteOptions(), key, value);
  } else if (what == "cosign" && (argc == 6 || argc == 7)) {
    return Cosign(db.get(), argv[3], std::stoi(argv[4], nullptr, 0),
                  std::stoull(argv[5]),
                  argc == 7 && std::string(argv[6]) == "forged");
  } else if (what == "checkpoint") {
    std::string note;
    s = db->Get(rocksdb::ReadOptions(), "c/latest", &note);
    if (!s.ok()) return Fail(s.ToString());
    // Change the root hash: the body changes, the signature does not.
    size_t first = note.find('\n');
    size_t root = note.find('\n', first + 1) + 1;
    note[root] = note[root] == 'A' ? 'B' : 'A';
    s = db->Put(rocksdb::WriteOptions(), "c/latest", note);
    std::filesystem::remove(dir + "/keys/log.key");
  } else {
    return Fail("unknown action " + what);
  }
  if (!s.ok()) return Fail(s.ToString());
  return 0;
}
