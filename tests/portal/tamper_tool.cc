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
#include <rocksdb/db.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3)
    return Fail("usage: portal_tamper DIR entry INDEX | DIR checkpoint");
  const std::string dir = argv[1];
  const std::string what = argv[2];
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
