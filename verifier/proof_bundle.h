// Offline proof bundles: one record's audit trail, provable on an air-gapped
// machine. See docs/FORMAT.md, "Proof bundle", and docs/VERIFY.md.
//
//   {"format": "piaojue-proof/2",
//    "record": R,
//    "checkpoint": "<signed checkpoint note of size N>",
//    "consistency": [{"oldSize": M, "proof": ["<base64 hash>", …]}, …],
//    "last": {"index": N-1, "entry": "<base64>", "proof": [...]},
//    "entries": [{"index": I, "entry": "<base64 entry bytes>",
//                 "proof": ["<base64 hash>", …]}, …]}
//
// The members come in this order, "entries" last, so that a reader can check
// each entry as it reads it. The entries are genesis, the registry entries
// the trail's authorization needs (its authors' registrations and
// revocations, the jurisdictions they and the trail name, with their
// ancestors) up to the checkpoint, and every entry of the record's trail, in
// index order; each proof is the RFC 6962
// inclusion proof of that entry in the checkpoint's tree. "last" is the
// checkpoint's last entry (its recording time dates the checkpoint);
// "consistency" holds RFC 6962 consistency proofs from earlier tree sizes the
// auditor asked for (`piaojue prove --since-checkpoint FILE`).
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "ledger/authority.h"
#include "ledger/status.h"
#include "verifier/verify.h"

namespace piaojue::verifier {

inline constexpr char kProofFormat[] = "piaojue-proof/2";

// Limits a reader enforces before allocating (docs/FORMAT.md).
inline constexpr uint64_t kMaxProofBundleBytes = 512ull << 20;
inline constexpr size_t kMaxProofCheckpointBytes = 64 << 10;
inline constexpr size_t kMaxProofHashes = 64;         // per inclusion proof
inline constexpr size_t kMaxConsistencyHashes = 128;  // per consistency proof
inline constexpr size_t kMaxConsistencyProofs = 64;

struct ProofSource {
  uint64_t size;           // the checkpoint's tree size
  std::string checkpoint;  // signed note of that size
  // Streams entries [0, size).
  std::function<Status(
      const std::function<Status(uint64_t, std::string_view)>&)>
      for_each_entry;
  std::function<Result<std::string>(uint64_t index)> read_entry;
  std::function<Result<std::vector<crypto::Hash>>(uint64_t index)> inclusion;
  // Consistency proofs to include, from each of these sizes (each <= size)
  // to size.
  std::vector<uint64_t> consistency_from;
  std::function<Result<std::vector<crypto::Hash>>(uint64_t old_size)>
      consistency;
};

// Writes the bundle JSON for `record` to `out`, one entry at a time.
// NotFound if no entry below the checkpoint is the record (`out` then holds
// a partial bundle: write to a temporary file).
Status WriteProofBundle(uint64_t record, const ProofSource& src,
                        std::ostream& out);
// The same, from the record's trail already known (ascending: what
// TrailIndex::TrailOf gives; entries at or beyond the checkpoint are left
// out) and the log's registry, reading only those entries and the registry
// entries they need: for writing many bundles after one pass over the log.
Status WriteProofBundleOfTrail(uint64_t record,
                               const std::vector<uint64_t>& trail,
                               const ledger::Authority& registry,
                               const ProofSource& src, std::ostream& out);
// WriteProofBundle, as a string (small bundles, tests).
Result<std::string> BuildProofBundle(uint64_t record, const ProofSource& src);

bool LooksLikeProofBundle(const std::string& path);

// Checks a proof bundle, reading it incrementally: the checkpoint under the
// key (pinned with options.vkey, or the one genesis names), genesis's root
// key against options.root_key, each entry's decoding, signature and
// inclusion proof, the authorization of every trail entry against the
// registry entries included, that each trail entry really concerns the
// record, and that each checkpoint in options.extra_checkpoints is
// consistent with the bundle's (by a consistency proof in the bundle; a
// bundle without the proof needed cannot be verified: exit 2). The trail is
// kept in report.trail, not in memory.
VerifyReport VerifyProofBundle(const VerifyOptions& options);

}  // namespace piaojue::verifier
