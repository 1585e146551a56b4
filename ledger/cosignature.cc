// C2SP tlog-cosignature v1 (Ed25519). Grammar in cosignature.h; see
// docs/FORMAT.md, "Cosigned checkpoints", and c2sp.org/tlog-cosignature.
#include "ledger/cosignature.h"

#include <cstring>
#include <set>

namespace piaojue::cosignature {

namespace {

constexpr std::string_view kSignaturePrefix = "\xe2\x80\x94 ";  // "— "
constexpr std::string_view kHeaderLine = "cosignature/v1\n";
// key id || be64(timestamp) || Ed25519 signature.
constexpr size_t kBlobSize = 4 + 8 + crypto::kSignatureSize;
// As in ledger/note.cc: a note holds at most 100 signature lines.
constexpr size_t kMaxSignatures = 100;

}  // namespace

note::KeyId KeyId(std::string_view name, const crypto::PublicKey& key) {
  static constexpr uint8_t kSep[2] = {0x0a, kEd25519CosignatureV1};
  crypto::Hash h = crypto::Sha256(
      {crypto::AsBytes(name), crypto::Bytes(kSep, 2), crypto::AsBytes(key)});
  note::KeyId id;
  std::memcpy(id.data(), h.data(), id.size());
  return id;
}

std::string FormatVerifierKey(std::string_view name,
                              const crypto::PublicKey& key) {
  std::string typed(1, static_cast<char>(kEd25519CosignatureV1));
  typed.append(reinterpret_cast<const char*>(key.data()), key.size());
  return std::string(name) + "+" +
         crypto::ToHex(crypto::AsBytes(KeyId(name, key))) + "+" +
         crypto::Base64Encode(crypto::AsBytes(typed));
}

Result<WitnessKey> ParseVerifierKey(std::string_view text) {
  // The base64 may contain '+': only the first two '+' split.
  const size_t p1 = text.find('+');
  const size_t p2 = p1 == std::string_view::npos ? p1 : text.find('+', p1 + 1);
  if (p2 == std::string_view::npos) {
    return InvalidArgument("witness key \"" + std::string(text) +
                           "\" is not <name>+<key id>+<base64 key>");
  }
  WitnessKey key;
  key.name = std::string(text.substr(0, p1));
  RETURN_IF_ERROR(note::ValidateKeyName(key.name));
  std::string_view hex = text.substr(p1 + 1, p2 - p1 - 1);
  if (hex.size() != 8 ||
      !crypto::FromHex(hex, std::span<uint8_t>(key.id)).ok()) {
    return InvalidArgument("witness key id must be 8 hex digits");
  }
  auto typed = crypto::Base64Decode(text.substr(p2 + 1));
  if (!typed.ok()) return InvalidArgument("witness key: malformed base64");
  if (typed->empty() ||
      static_cast<uint8_t>((*typed)[0]) != kEd25519CosignatureV1) {
    return InvalidArgument("witness key " + key.name +
                           " is not an Ed25519 cosignature/v1 key (type 0x04)");
  }
  if (typed->size() != 1 + crypto::kPublicKeySize) {
    return InvalidArgument("witness key has the wrong length");
  }
  std::memcpy(key.key.data(), typed->data() + 1, key.key.size());
  if (KeyId(key.name, key.key) != key.id) {
    return InvalidArgument("witness key id does not match its name and key");
  }
  return key;
}

std::string SignedMessage(std::string_view checkpoint_body,
                          uint64_t timestamp) {
  std::string m;
  m.reserve(kHeaderLine.size() + 26 + checkpoint_body.size());
  m += kHeaderLine;
  m += "time ";
  m += std::to_string(timestamp);
  m += "\n";
  m += checkpoint_body;
  return m;
}

Result<std::string> Sign(std::string_view checkpoint_body, uint64_t timestamp,
                         const WitnessSigner& signer) {
  if (timestamp > kMaxTimestamp) {
    return InvalidArgument("cosignature timestamp exceeds 2^63 - 1");
  }
  RETURN_IF_ERROR(note::ValidateKeyName(signer.name));
  // Only a checkpoint is ever cosigned: a witness vouches for a tree head.
  RETURN_IF_ERROR(note::ParseCheckpoint(checkpoint_body).status());
  Cosignature c;
  c.name = signer.name;
  c.id = KeyId(signer.name, signer.key_pair.public_key);
  c.timestamp = timestamp;
  const std::string message = SignedMessage(checkpoint_body, timestamp);
  c.signature =
      crypto::Sign(signer.key_pair.secret_key, crypto::AsBytes(message));
  return FormatLine(c);
}

Result<Cosignature> ParseLine(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (!line.starts_with(kSignaturePrefix)) {
    return InvalidArgument("a signature line starts with \"— \"");
  }
  line.remove_prefix(kSignaturePrefix.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) {
    return InvalidArgument("a signature line is \"— <name> <base64>\"");
  }
  Cosignature c;
  c.name = std::string(line.substr(0, space));
  RETURN_IF_ERROR(note::ValidateKeyName(c.name));
  auto blob = crypto::Base64Decode(line.substr(space + 1));
  if (!blob.ok() || blob->size() != kBlobSize) {
    return InvalidArgument(
        "not a cosignature/v1: the signature is not base64 of 76 bytes "
        "(key id, timestamp, Ed25519 signature)");
  }
  const auto* b = reinterpret_cast<const uint8_t*>(blob->data());
  std::memcpy(c.id.data(), b, c.id.size());
  for (size_t i = 0; i < 8; ++i) c.timestamp = c.timestamp << 8 | b[4 + i];
  if (c.timestamp > kMaxTimestamp) {
    return InvalidArgument("cosignature timestamp exceeds 2^63 - 1");
  }
  std::memcpy(c.signature.data(), b + 12, c.signature.size());
  return c;
}

std::string FormatLine(const Cosignature& c) {
  uint8_t blob[kBlobSize];
  std::memcpy(blob, c.id.data(), c.id.size());
  for (size_t i = 0; i < 8; ++i) {
    blob[4 + i] = static_cast<uint8_t>(c.timestamp >> (56 - 8 * i));
  }
  std::memcpy(blob + 12, c.signature.data(), c.signature.size());
  std::string line(kSignaturePrefix);
  line += c.name;
  line += " ";
  line += crypto::Base64Encode(crypto::Bytes(blob, kBlobSize));
  line += "\n";
  return line;
}

bool Verify(std::string_view checkpoint_body, const Cosignature& c,
            const WitnessKey& key) {
  if (c.name != key.name || c.id != key.id) return false;
  const std::string message = SignedMessage(checkpoint_body, c.timestamp);
  return crypto::Verify(key.key, crypto::AsBytes(message), c.signature);
}

Result<std::vector<VerifiedCosignature>> VerifyNote(
    std::string_view note, const std::vector<WitnessKey>& keys) {
  ASSIGN_OR_RETURN(note::ParsedNote parsed, note::ParseNote(note));
  std::vector<VerifiedCosignature> found;
  std::vector<bool> done(keys.size(), false);
  for (const note::NoteSignature& s : parsed.signatures) {
    for (size_t k = 0; k < keys.size(); ++k) {
      if (done[k] || s.name != keys[k].name || s.id != keys[k].id) continue;
      if (s.signature.size() != 8 + crypto::kSignatureSize) continue;
      Cosignature c;
      c.name = s.name;
      c.id = s.id;
      const auto* b = reinterpret_cast<const uint8_t*>(s.signature.data());
      for (size_t i = 0; i < 8; ++i) c.timestamp = c.timestamp << 8 | b[i];
      if (c.timestamp > kMaxTimestamp) continue;
      std::memcpy(c.signature.data(), b + 8, c.signature.size());
      if (!Verify(parsed.text, c, keys[k])) continue;
      done[k] = true;
      found.push_back({k, c.timestamp, FormatLine(c)});
    }
  }
  return found;
}

Result<std::string> AppendLines(std::string_view note, std::string_view lines) {
  ASSIGN_OR_RETURN(note::ParsedNote parsed, note::ParseNote(note));
  if (!lines.empty() && lines.back() != '\n') {
    return InvalidArgument("signature lines must end in a newline");
  }
  // The note's own lines: everything after the text and its blank line.
  std::set<std::string_view> present;
  for (std::string_view block = note.substr(parsed.text.size() + 1);
       !block.empty();) {
    const size_t eol = block.find('\n');
    present.insert(block.substr(0, eol + 1));
    block.remove_prefix(eol + 1);
  }
  std::string out(note);
  size_t count = parsed.signatures.size();
  for (std::string_view rest = lines; !rest.empty();) {
    const size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol + 1);
    rest.remove_prefix(eol + 1);
    // Each line must be a well-formed note signature line on its own.
    RETURN_IF_ERROR(
        note::ParseNote(parsed.text + "\n" + std::string(line)).status());
    if (!present.insert(line).second) continue;
    if (++count > kMaxSignatures) {
      return InvalidArgument("a note holds at most 100 signature lines");
    }
    out += line;
  }
  return out;
}

}  // namespace piaojue::cosignature
