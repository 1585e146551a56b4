// C2SP signed-note (Ed25519, key type 0x01) and C2SP tlog-checkpoint.
// See docs/FORMAT.md, "Checkpoints", and c2sp.org/signed-note,
// c2sp.org/tlog-checkpoint.
//
// A checkpoint body:
//   <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n]*
// A signed note: <body>\n— <key name> <base64(key id[4] || signature[64])>\n
// (one signature line per signer; "—" is U+2014 followed by a space).
//
// All parsers here are safe on hostile bytes: they never read past the input
// and return InvalidArgument / Corruption / Unauthenticated instead.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/status.h"

namespace piaojue::note {

inline constexpr uint8_t kEd25519KeyType = 0x01;
using KeyId = std::array<uint8_t, 4>;

// key id = first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
KeyId Ed25519KeyId(std::string_view name, const crypto::PublicKey& key);

// A note verifier key: "<name>+<key id, 8 lowercase hex>+<base64(0x01 ||
// public key)>".
struct VerifierKey {
  std::string name;
  KeyId id;
  crypto::PublicKey key;
};
std::string FormatVerifierKey(std::string_view name,
                              const crypto::PublicKey& key);
// InvalidArgument for a malformed string, an unknown key type, or an id that
// does not match the name and key.
Result<VerifierKey> ParseVerifierKey(std::string_view text);

// The matching signer key as the Go ecosystem writes it:
// "PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || 32-byte seed)>".
std::string FormatSignerKey(std::string_view name,
                            const crypto::SecretKey& secret_key);
struct SignerKey {
  std::string name;
  crypto::KeyPair key_pair;
};
Result<SignerKey> ParseSignerKey(std::string_view text);

// A key name must be non-empty and contain no Unicode space, no '+' and no
// newline (signed-note). InvalidArgument otherwise.
Status ValidateKeyName(std::string_view name);

// Signs `text` (which must end in '\n' and contain no "\n\n"... see
// signed-note) and returns the full note: text, blank line, signature line.
Result<std::string> Sign(std::string_view text, const SignerKey& signer);

struct NoteSignature {
  std::string name;
  KeyId id;
  std::string signature;  // the bytes after the key id (64 for Ed25519)
};
struct ParsedNote {
  std::string text;  // the signed text, ending in '\n'
  std::vector<NoteSignature> signatures;
};
// Splits a note into text and signature lines without checking signatures.
// InvalidArgument when the note is malformed (no blank line separator, bad
// signature line, non-UTF-8... per signed-note).
Result<ParsedNote> ParseNote(std::string_view note);

// Parses `note` and verifies the signature by `key`. Returns the signed text.
// Unauthenticated if no signature line names this key (by name and id) or the
// signature does not verify; InvalidArgument if the note is malformed.
Result<std::string> Open(std::string_view note, const VerifierKey& key);

// A tlog-checkpoint body.
struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  crypto::Hash root{};
  std::vector<std::string> extensions;  // lines without their '\n'
};
std::string FormatCheckpoint(const Checkpoint& checkpoint);
// InvalidArgument for anything but a well-formed body: three or more lines,
// non-empty origin, decimal size without leading zeros ("0" allowed),
// base64 of exactly 32 bytes, no empty extension line.
Result<Checkpoint> ParseCheckpoint(std::string_view text);

}  // namespace piaojue::note
