// The summary of the store's side indexes that the head carries, so that
// opening a ledger can tell whether the indexes the writer relies on (the
// nonce keys "u…" and the registry markers "g…") are still the ones it
// wrote. See docs/FORMAT.md, "RocksDB layout" and "Side data".
//
// Private to ledger/: included only from ledger/*.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ledger/crypto.h"
#include "ledger/status.h"

namespace rocksdb {
class Iterator;
}

namespace piaojue::ledger::internal {

// A count and an order-independent digest of a set of (key, value) pairs:
// the sum modulo 2^256 of SHA-256(key || value), each read as a big-endian
// 256-bit unsigned integer. Order independence lets the writer add keys
// one by one as it appends, and Open recompute the same value in one pass
// over the keys in RocksDB's order, in constant memory.
//
// It is a checksum against loss, damage and edits that leave the head
// alone, not a cryptographic commitment: whoever can rewrite the head can
// recompute it (and an additive sum admits crafted multi-key collisions).
struct IndexDigest {
  uint64_t count = 0;
  crypto::Hash sum{};

  void Add(std::string_view key, std::string_view value);
  bool operator==(const IndexDigest&) const = default;
};

// The two families the head summarizes.
struct IndexDigests {
  IndexDigest nonces;    // "u" keys: exactly one per entry
  IndexDigest registry;  // "g" keys: one per registry entry
};

// Byte form in the head: be64(count) || sum (40 bytes).
inline constexpr size_t kIndexDigestSize = 8 + crypto::kHashSize;
void AppendIndexDigest(const IndexDigest& d, std::string* out);
IndexDigest ReadIndexDigest(const char* p);  // p holds kIndexDigestSize bytes

// Seeks `it` to the first key that starts with `prefix` (one byte), visits
// every such key in key order and returns the digest of them all. `each`,
// if set, sees every pair and may stop the scan with a non-OK status, which
// is returned. The caller checks it->status() afterwards (ledger.cc turns
// rocksdb::Status into a Status in one place).
using IndexVisitor =
    std::function<Status(std::string_view key, std::string_view value)>;
Result<IndexDigest> DigestIndex(rocksdb::Iterator* it, char prefix,
                                const IndexVisitor& each = nullptr);

}  // namespace piaojue::ledger::internal
