// Export bundles: one file holding every entry of a log and a signed
// checkpoint of it, for auditors and archives. See docs/FORMAT.md, "Export
// bundle".
//
//   bundle     = magic checkpoint count entry*
//   magic      = "piaojue-bundle/1\n"            (17 bytes)
//   checkpoint = be32(length) signed-note-bytes  (may be length 0: none)
//   count      = be64(number of entries)
//   entry      = be16(length) entry-bytes        (length >= 1)
//
// Entries are in index order starting at 0. Readers are safe on hostile
// bytes: every length is checked against what remains.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace piaojue::ledger {

inline constexpr std::string_view kBundleMagic = "piaojue-bundle/1\n";

// Writes a bundle to `path` atomically (temporary file, fsync, rename).
// `next_entry` is called `count` times and must return entries 0..count-1.
Status WriteBundle(const std::string& path, std::string_view checkpoint,
                   uint64_t count,
                   const std::function<Result<std::string>(uint64_t)>& entry);

// Streams a bundle: reads the header, calls `on_checkpoint` once, then
// `on_entry` for each entry in order (stopping at its first error). The
// checkpoint and entry views are valid only during the call (the entry's
// bytes lie in the reader's buffer): a caller that keeps them copies them.
// Corruption for a malformed or truncated file, with the byte offset.
Status ReadBundle(
    const std::string& path,
    const std::function<Status(std::string_view checkpoint, uint64_t count)>&
        on_checkpoint,
    const std::function<Status(uint64_t index, std::string_view entry)>&
        on_entry);

bool LooksLikeBundle(const std::string& path);

}  // namespace piaojue::ledger
