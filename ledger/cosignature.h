// C2SP tlog-cosignature, version 1 (`cosignature/v1`), for Ed25519 witness
// keys: what a witness signs and how a log or a verifier checks it. See
// docs/FORMAT.md, "Cosigned checkpoints", and c2sp.org/tlog-cosignature.
//
// A cosignature is a signed-note signature line on a checkpoint:
//   — <witness name> base64(key id[4] || be64(timestamp) || signature[64])\n
// key id    = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4]
// signature = Ed25519(witness key, "cosignature/v1\n" ||
//                     "time " <timestamp, decimal> "\n" ||
//                     the whole checkpoint body, extension lines included)
// timestamp = POSIX seconds when the witness cosigned, at most 2^63 - 1.
// The witness's verifier key: "<name>+<key id hex>+<base64(0x04 || key)>".
//
// All parsers are safe on hostile bytes and return errors as values.
// Thread-safe: these are pure functions (after crypto::InitCrypto()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/note.h"
#include "ledger/status.h"

namespace piaojue::cosignature {

// The signature type byte of Ed25519 cosignature/v1 keys.
inline constexpr uint8_t kEd25519CosignatureV1 = 0x04;
// The largest timestamp the spec allows.
inline constexpr uint64_t kMaxTimestamp = (uint64_t{1} << 63) - 1;

// key id = SHA-256(name || 0x0A || 0x04 || public key)[:4]. Differs from the
// note key id of the same key (type 0x01), so a witness's cosignature can
// never be mistaken for a plain note signature.
note::KeyId KeyId(std::string_view name, const crypto::PublicKey& key);

// A witness's public key, as a log or a verifier is configured with it.
struct WitnessKey {
  std::string name;
  note::KeyId id;  // KeyId(name, key)
  crypto::PublicKey key;
};
// "<name>+<key id, 8 lowercase hex>+<base64(0x04 || public key)>".
std::string FormatVerifierKey(std::string_view name,
                              const crypto::PublicKey& key);
// Parses a vkey as FormatVerifierKey writes it (split at the first two '+',
// as docs/FORMAT.md, "Verifier key", says). InvalidArgument when malformed,
// when its type byte is not 0x04 (a log's 0x01 key is refused: its owner
// signs checkpoints, not cosignatures) or its key id does not match.
Result<WitnessKey> ParseVerifierKey(std::string_view text);

// A witness's signing key. Stored on disk as a Go-style note signer key
// ("PRIVATE+KEY+<name>+<note key id>+<base64(0x01 || seed)>", see
// note::FormatSignerKey), the form Go's cosignature signers read; the
// cosignature key id is derived from it with KeyId().
using WitnessSigner = note::SignerKey;

// The exact bytes an Ed25519 cosignature/v1 signs:
// "cosignature/v1\ntime <timestamp>\n" followed by `checkpoint_body`.
std::string SignedMessage(std::string_view checkpoint_body, uint64_t timestamp);

// Cosigns `checkpoint_body` (the note text: a checkpoint ending in '\n', no
// signature lines) at `timestamp` and returns the signature line, ending in
// '\n'. InvalidArgument if the body is not a well-formed checkpoint, the
// timestamp exceeds kMaxTimestamp or the signer's name is not a key name.
Result<std::string> Sign(std::string_view checkpoint_body, uint64_t timestamp,
                         const WitnessSigner& signer);

// One cosignature/v1 signature line, parsed but not verified.
struct Cosignature {
  std::string name;
  note::KeyId id;
  uint64_t timestamp = 0;
  crypto::Signature signature;
};
// Parses one line "— <name> <base64>" (with or without its final '\n').
// InvalidArgument if the line is not a note signature line, or its blob is
// not exactly 4 + 8 + 64 bytes, or the timestamp exceeds kMaxTimestamp.
Result<Cosignature> ParseLine(std::string_view line);
// Formats a parsed cosignature back to its line (ending in '\n').
std::string FormatLine(const Cosignature& cosignature);

// True when `cosignature` is by `key` (name and key id match) and its
// signature over SignedMessage(checkpoint_body, timestamp) verifies.
bool Verify(std::string_view checkpoint_body, const Cosignature& cosignature,
            const WitnessKey& key);

// A cosignature found on a note and checked against a configured key.
struct VerifiedCosignature {
  size_t key_index = 0;    // which of the `keys` passed in signed it
  uint64_t timestamp = 0;  // when the witness says it cosigned
  std::string line;        // the signature line, ending in '\n'
};
// Parses `note` (a signed checkpoint with any signature lines) and returns,
// for each key in `keys` (in order), the first of its lines that verifies.
// Lines of other keys, and lines of a configured key that do not parse as a
// cosignature or do not verify, are skipped (signed-note: unknown lines are
// ignored; a bad line by a known key is not a cosignature). InvalidArgument
// only if the note itself is malformed.
Result<std::vector<VerifiedCosignature>> VerifyNote(
    std::string_view note, const std::vector<WitnessKey>& keys);

// Appends signature `lines` (each "— …\n", e.g. a witness's add-checkpoint
// response) to the signed `note`, skipping any line the note already holds
// exactly. InvalidArgument if `note` is not a signed note, or `lines` is not
// a sequence of signature lines, or the result would exceed the 100
// signature lines a note may hold. Nothing is verified here: callers attach
// only lines VerifyNote accepted.
Result<std::string> AppendLines(std::string_view note, std::string_view lines);

}  // namespace piaojue::cosignature
