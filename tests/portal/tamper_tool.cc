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
#include <rocksdb/db.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "api/cli/data_dir.h"
#include "api/cli/session.h"
#include "ledger/crypto.h"

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
  piaojue::cli::DataDir data(dir);
  auto key = piaojue::cli::ReadKeyFile(
      data.author_key_path(role, j["jurisdiction"].get<std::string>()));
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3)
    return Fail("usage: portal_tamper DIR entry INDEX | DIR checkpoint");
  const std::string dir = argv[1];
  const std::string what = argv[2];
  if (what == "sign" && argc == 5) return Sign(dir, argv[3], argv[4]);
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
