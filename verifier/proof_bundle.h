// Offline proof bundles: one record's audit trail, provable on an air-gapped
// machine. See docs/FORMAT.md, "Proof bundle", and docs/VERIFY.md.
//
//   {"format": "piaojue-proof/1",
//    "record": R,
//    "checkpoint": "<signed checkpoint note>",
//    "entries": [{"index": I, "entry": "<base64 entry bytes>",
//                 "proof": ["<base64 hash>", …]}, …]}
//
// The entries are genesis, every registry entry (jurisdictions, keys,
// revocations) up to the checkpoint, and every entry of the record's trail,
// in index order; each proof is the RFC 6962 inclusion proof of that entry
// in the checkpoint's tree.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ledger/status.h"
#include "verifier/verify.h"

namespace piaojue::verifier {

inline constexpr char kProofFormat[] = "piaojue-proof/1";

struct ProofSource {
  uint64_t size;           // the checkpoint's tree size
  std::string checkpoint;  // signed note of that size
  // Streams entries [0, size).
  std::function<Status(
      const std::function<Status(uint64_t, std::string_view)>&)>
      for_each_entry;
  std::function<Result<std::vector<crypto::Hash>>(uint64_t index)> inclusion;
};

// Builds the bundle JSON for `record`. NotFound if no entry is the record.
Result<std::string> BuildProofBundle(uint64_t record, const ProofSource& src);

bool LooksLikeProofBundle(const std::string& path);

// Checks a proof bundle: the checkpoint under the key (pinned, or the one
// genesis names), each entry's decoding, signature and inclusion proof, the
// authorization of every trail entry against the registry entries included,
// and that each trail entry really concerns the record.
VerifyReport VerifyProofBundle(const std::string& path,
                               const std::string& vkey);

}  // namespace piaojue::verifier
