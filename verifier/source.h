// Where the verifier reads entries from: a ledger data directory (opened
// read-only; nothing but the entries and the stored signed checkpoint is
// read, and the checkpoint is checked, not believed) or an export bundle.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace rocksdb {
class Env;
}

namespace piaojue::verifier {

struct SourceCallbacks {
  // Called before any entry with every signed checkpoint the source holds.
  std::function<Status(std::string_view signed_note)> on_checkpoint;
  // Called for each entry in key order; `index` is the position the store
  // claims for it (the checker compares it with the entry's own index).
  std::function<Status(uint64_t index, std::string_view bytes)> on_entry;
  // Optional: called once, before the entries, with the number of entries
  // the source says it holds (a bundle's count, a store's head). Not
  // trusted: for progress display only.
  std::function<void(uint64_t entries)> on_size_hint;
};

struct SourceOptions {
  // The RocksDB environment a ledger directory is read through; nullptr for
  // the default. Tests pass one whose reads fail, as a damaged disk's do.
  rocksdb::Env* env = nullptr;
};

// PATH may be an export bundle, a data directory (containing ledger/), or the
// RocksDB directory itself. NotFound / IOError when it cannot be read at all
// (exit code 2 territory); Corruption when PATH is not a ledger, or when a
// bundle is damaged after its magic; otherwise the
// first non-OK status of a callback.
Status ReadSource(const std::string& path, const SourceCallbacks& callbacks,
                  const SourceOptions& options = {});

}  // namespace piaojue::verifier
