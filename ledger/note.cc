// C2SP signed-note and tlog-checkpoint. Grammar in note.h; see
// docs/FORMAT.md, "Checkpoints", c2sp.org/signed-note and
// c2sp.org/tlog-checkpoint.
#include "ledger/note.h"

#include <charconv>
#include <cstring>

namespace piaojue::note {

namespace {

constexpr std::string_view kSignaturePrefix = "\xe2\x80\x94 ";  // "— "
constexpr std::string_view kSignerKeyPrefix = "PRIVATE+KEY+";
// The Go implementation refuses notes with more than 100 signatures; so do
// we, so that a hostile note cannot make us verify without bound.
constexpr size_t kMaxSignatures = 100;

// Decodes one UTF-8 code point at s[i]; returns its length, or 0 if the
// sequence is invalid (overlong, surrogate, out of range, truncated).
size_t Utf8Length(std::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t c = b(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n;
  uint32_t v, min;
  if ((c & 0xe0) == 0xc0) {
    n = 2, v = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, v = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    v = v << 6 | (b(k) & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return n;
}

bool IsUnicodeSpace(uint32_t cp) {
  // unicode.IsSpace: '\t', '\n', '\v', '\f', '\r', ' ', U+0085, U+00A0 and
  // the Zs category.
  switch (cp) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
      return true;
  }
  return cp >= 0x2000 && cp <= 0x200a;
}

// Note text: valid UTF-8 and no ASCII control character but newline.
Status ValidateText(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    size_t n = Utf8Length(text, i, &cp);
    if (n == 0) return InvalidArgument("note is not valid UTF-8");
    if (cp < 0x20 && cp != '\n') {
      return InvalidArgument("note contains a control character");
    }
    i += n;
  }
  return Status::Ok();
}

std::string_view AsView(const std::string& s) { return s; }

}  // namespace

Status ValidateKeyName(std::string_view name) {
  if (name.empty()) return InvalidArgument("key name is empty");
  for (size_t i = 0; i < name.size();) {
    uint32_t cp;
    size_t n = Utf8Length(name, i, &cp);
    if (n == 0) return InvalidArgument("key name is not valid UTF-8");
    if (IsUnicodeSpace(cp) || cp == '+') {
      return InvalidArgument("key name \"" + std::string(name) +
                             "\" contains a space or '+'");
    }
    if (cp < 0x20 || cp == 0x7f) {
      return InvalidArgument("key name contains a control character");
    }
    i += n;
  }
  return Status::Ok();
}

KeyId Ed25519KeyId(std::string_view name, const crypto::PublicKey& key) {
  static constexpr uint8_t kSep[2] = {0x0a, kEd25519KeyType};
  crypto::Hash h = crypto::Sha256(
      {crypto::AsBytes(name), crypto::Bytes(kSep, 2), crypto::AsBytes(key)});
  KeyId id;
  std::memcpy(id.data(), h.data(), id.size());
  return id;
}

std::string FormatVerifierKey(std::string_view name,
                              const crypto::PublicKey& key) {
  std::string typed(1, static_cast<char>(kEd25519KeyType));
  typed.append(reinterpret_cast<const char*>(key.data()), key.size());
  return std::string(name) + "+" +
         crypto::ToHex(crypto::AsBytes(Ed25519KeyId(name, key))) + "+" +
         crypto::Base64Encode(crypto::AsBytes(typed));
}

namespace {

// Parses "<name>+<hex id>+<base64(type || key bytes)>" (the tail after
// "PRIVATE+KEY+" for signer keys). The base64 may itself contain '+', so
// only the first two '+' split.
struct KeyParts {
  std::string name;
  KeyId id;
  std::string key_bytes;  // without the type byte
};

Result<KeyParts> ParseKeyParts(std::string_view text, size_t key_len) {
  size_t p1 = text.find('+');
  if (p1 == std::string_view::npos) return InvalidArgument("malformed key");
  size_t p2 = text.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return InvalidArgument("malformed key");
  KeyParts parts;
  parts.name = std::string(text.substr(0, p1));
  RETURN_IF_ERROR(ValidateKeyName(parts.name));
  std::string_view hex = text.substr(p1 + 1, p2 - p1 - 1);
  if (hex.size() != 8 ||
      !crypto::FromHex(hex, std::span<uint8_t>(parts.id)).ok()) {
    return InvalidArgument("key id must be 8 hex digits");
  }
  auto typed = crypto::Base64Decode(text.substr(p2 + 1));
  if (!typed.ok()) return InvalidArgument("key: malformed base64");
  if (typed->empty() || static_cast<uint8_t>((*typed)[0]) != kEd25519KeyType) {
    return InvalidArgument("key is not an Ed25519 (type 0x01) key");
  }
  if (typed->size() != 1 + key_len) {
    return InvalidArgument("key has the wrong length");
  }
  parts.key_bytes = typed->substr(1);
  return parts;
}

}  // namespace

Result<VerifierKey> ParseVerifierKey(std::string_view text) {
  ASSIGN_OR_RETURN(KeyParts parts, ParseKeyParts(text, crypto::kPublicKeySize));
  VerifierKey key;
  key.name = std::move(parts.name);
  key.id = parts.id;
  std::memcpy(key.key.data(), parts.key_bytes.data(), key.key.size());
  if (Ed25519KeyId(key.name, key.key) != key.id) {
    return InvalidArgument("verifier key id does not match its name and key");
  }
  return key;
}

std::string FormatSignerKey(std::string_view name,
                            const crypto::SecretKey& secret_key) {
  // libsodium's secret key is seed || public key.
  crypto::PublicKey pub;
  std::memcpy(pub.data(), secret_key.data() + crypto::kSeedSize, pub.size());
  std::string typed(1, static_cast<char>(kEd25519KeyType));
  typed.append(reinterpret_cast<const char*>(secret_key.data()),
               crypto::kSeedSize);
  return std::string(kSignerKeyPrefix) + std::string(name) + "+" +
         crypto::ToHex(crypto::AsBytes(Ed25519KeyId(name, pub))) + "+" +
         crypto::Base64Encode(crypto::AsBytes(typed));
}

Result<SignerKey> ParseSignerKey(std::string_view text) {
  if (!text.starts_with(kSignerKeyPrefix)) {
    return InvalidArgument("signer key must start with PRIVATE+KEY+");
  }
  ASSIGN_OR_RETURN(
      KeyParts parts,
      ParseKeyParts(text.substr(kSignerKeyPrefix.size()), crypto::kSeedSize));
  std::array<uint8_t, crypto::kSeedSize> seed;
  std::memcpy(seed.data(), parts.key_bytes.data(), seed.size());
  SignerKey key{std::move(parts.name), crypto::KeyPairFromSeed(seed)};
  if (Ed25519KeyId(key.name, key.key_pair.public_key) != parts.id) {
    return InvalidArgument("signer key id does not match its name and key");
  }
  return key;
}

Result<std::string> Sign(std::string_view text, const SignerKey& signer) {
  if (text.empty() || text.back() != '\n') {
    return InvalidArgument("note text must end in a newline");
  }
  RETURN_IF_ERROR(ValidateText(text));
  RETURN_IF_ERROR(ValidateKeyName(signer.name));
  crypto::Signature sig =
      crypto::Sign(signer.key_pair.secret_key, crypto::AsBytes(text));
  KeyId id = Ed25519KeyId(signer.name, signer.key_pair.public_key);
  std::string blob(reinterpret_cast<const char*>(id.data()), id.size());
  blob.append(reinterpret_cast<const char*>(sig.data()), sig.size());
  std::string note(text);
  note += "\n";
  note += kSignaturePrefix;
  note += signer.name;
  note += " ";
  note += crypto::Base64Encode(crypto::AsBytes(blob));
  note += "\n";
  return note;
}

Result<ParsedNote> ParseNote(std::string_view note) {
  RETURN_IF_ERROR(ValidateText(note));
  // The signature block is after the last blank line.
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return InvalidArgument("note has no blank line before its signatures");
  }
  ParsedNote parsed;
  parsed.text = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return InvalidArgument("note has no signature lines");
  }
  while (!sigs.empty()) {
    size_t eol = sigs.find('\n');
    std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    if (!line.starts_with(kSignaturePrefix)) {
      return InvalidArgument("note signature line does not start with \"— \"");
    }
    line.remove_prefix(kSignaturePrefix.size());
    size_t space = line.find(' ');
    if (space == std::string_view::npos) {
      return InvalidArgument("note signature line has no signature");
    }
    NoteSignature s;
    s.name = std::string(line.substr(0, space));
    RETURN_IF_ERROR(ValidateKeyName(s.name));
    auto blob = crypto::Base64Decode(line.substr(space + 1));
    if (!blob.ok() || blob->size() < 5) {
      return InvalidArgument(
          "note signature is not valid base64 of a key id "
          "and signature");
    }
    std::memcpy(s.id.data(), blob->data(), s.id.size());
    s.signature = blob->substr(s.id.size());
    parsed.signatures.push_back(std::move(s));
    if (parsed.signatures.size() > kMaxSignatures) {
      return InvalidArgument("note has more than 100 signatures");
    }
  }
  return parsed;
}

Result<std::string> Open(std::string_view note, const VerifierKey& key) {
  ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  bool named = false;
  for (const NoteSignature& s : parsed.signatures) {
    // Signatures by other keys (witness cosignatures, say) are ignored.
    if (s.name != key.name || s.id != key.id) continue;
    named = true;
    if (s.signature.size() != crypto::kSignatureSize) continue;
    crypto::Signature sig;
    std::memcpy(sig.data(), s.signature.data(), sig.size());
    if (crypto::Verify(key.key, crypto::AsBytes(AsView(parsed.text)), sig)) {
      return parsed.text;
    }
  }
  return Unauthenticated(named ? "note signature by " + key.name +
                                     " does not verify"
                               : "note is not signed by " + key.name + "+" +
                                     crypto::ToHex(crypto::AsBytes(key.id)));
}

std::string FormatCheckpoint(const Checkpoint& c) {
  std::string out = c.origin + "\n" + std::to_string(c.size) + "\n" +
                    crypto::Base64Encode(crypto::AsBytes(c.root)) + "\n";
  for (const std::string& e : c.extensions) out += e + "\n";
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return InvalidArgument("checkpoint must end in a newline");
  }
  std::vector<std::string_view> lines;
  for (std::string_view rest = text; !rest.empty();) {
    size_t eol = rest.find('\n');
    lines.push_back(rest.substr(0, eol));
    rest.remove_prefix(eol + 1);
  }
  if (lines.size() < 3) {
    return InvalidArgument("checkpoint needs origin, size and root lines");
  }
  Checkpoint c;
  if (lines[0].empty()) return InvalidArgument("checkpoint origin is empty");
  c.origin = std::string(lines[0]);
  std::string_view size = lines[1];
  if (size.empty() || (size.size() > 1 && size[0] == '0') ||
      size.find_first_not_of("0123456789") != std::string_view::npos) {
    return InvalidArgument("checkpoint size must be a decimal number");
  }
  auto [end, ec] =
      std::from_chars(size.data(), size.data() + size.size(), c.size);
  if (ec != std::errc() || end != size.data() + size.size()) {
    return InvalidArgument("checkpoint size is out of range");
  }
  auto root = crypto::Base64Decode(lines[2]);
  if (!root.ok() || root->size() != crypto::kHashSize) {
    return InvalidArgument("checkpoint root must be base64 of 32 bytes");
  }
  std::memcpy(c.root.data(), root->data(), c.root.size());
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return InvalidArgument("checkpoint has an empty extension line");
    }
    c.extensions.emplace_back(lines[i]);
  }
  RETURN_IF_ERROR(ValidateText(text));
  return c;
}

}  // namespace piaojue::note
