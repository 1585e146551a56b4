// Entry encoding: canonical Cap'n Proto bytes, author signatures, the chain
// hash and the Merkle leaf hash. See docs/FORMAT.md, "Entries".
//
// This file has no RocksDB in it: the verifier links it without the write
// path. Decoding is the one boundary where kj::Exception from malformed bytes
// is caught and turned into Corruption; once Parse* has returned OK, no
// accessor of the returned readers can throw: the whole message was checked
// canonical (every pointer in bounds) and every pointer field of the event was
// read once and every text checked (ledger/text_validation.h).
#pragma once

#include <capnp/message.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/schema/piaojue.capnp.h"
#include "ledger/status.h"

namespace piaojue::ledger {

// The tlog-tiles entry bundle length prefix is 16 bits.
inline constexpr size_t kMaxEntrySize = 65535;
inline constexpr size_t kNonceSize = 16;
// Format 2 binds every authored event to one log (AuthoredEvent.origin).
inline constexpr uint32_t kFormatVersion = 2;
// Ed25519 signs kAuthoredEventContext || authored bytes.
inline constexpr std::string_view kAuthoredEventContext =
    "piaojue/authored-event/v2\n";
// signedAtMs may be at most this far ahead of the entry's recordedAtMs.
inline constexpr int64_t kMaxClockSkewMs = 5 * 60 * 1000;
// ... and at most this far behind it: offline signing of a few days is
// normal, an event signed long ago and submitted now is not (it would let an
// old signature be brought into the record out of its time).
inline constexpr int64_t kMaxSigningAgeMs = 30LL * 24 * 60 * 60 * 1000;

using crypto::Hash;

// Canonical bytes of any Cap'n Proto struct reader (single segment, no
// segment table; Cap'n Proto "canonicalization").
template <typename Reader>
std::string CanonicalBytes(Reader reader) {
  kj::Array<capnp::word> words = capnp::canonicalize(reader);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()),
                     bytes.size());
}

struct SignedEvent;
template <typename T>
class Decoded;
using DecodedEvent = Decoded<schema::AuthoredEvent>;

// A checked, owning view of canonical message bytes of root type T.
template <typename T>
class Decoded {
 public:
  // Corruption unless `bytes` is the canonical encoding of a T (and no
  // larger than max_size).
  static Result<Decoded> Parse(std::string_view bytes, size_t max_size);

  typename T::Reader get() const { return root_; }
  // For an AuthoredEvent decoded by EntryView::Parse, a part of the entry's
  // bytes (valid as long as any copy of this Decoded is).
  std::string_view bytes() const;
  // SHA-256 of bytes(), computed on first use and kept (thread-safe).
  const Hash& Digest() const;
  // True when decoding these bytes found every text in them to be what
  // docs/FORMAT.md, "Text fields", allows (ledger/text_validation.h), in the
  // walk that checked their encoding: an AuthoredEvent decoded by
  // EntryView::Parse or CheckSignedEvent whose fast walk held. A later check
  // of the same texts (the rules' event.text_utf8 and event.text_control)
  // can then only agree; when false, whoever needs the texts checked checks
  // them.
  bool texts_checked() const;

 private:
  template <typename U>
  friend class Decoded;
  friend class EntryView;
  friend Result<DecodedEvent> CheckSignedEvent(const SignedEvent&);
  // Parse, and for an AuthoredEvent its texts checked in the same walk of
  // the bytes as their encoding when that walk's fast path holds:
  // *texts_checked says whether they were (else the caller checks them).
  // EntryView::Parse and CheckSignedEvent, which check the texts anyway,
  // save a second walk of every event.
  static Result<Decoded> Parse(std::string_view bytes, size_t max_size,
                               bool* texts_checked);
  // The bytes (or a word-aligned copy) and the digest: one allocation, shared
  // by every copy.
  struct Storage;
  // Parse's checks of `st.bytes` (a copy of them kept in `st` if they are
  // not word-aligned): the root of a reader over them.
  static Result<typename T::Reader> Fill(Storage& st, size_t max_size,
                                         bool* texts_checked);
  // `bytes` known to be canonical and well formed (the writer has just
  // encoded them): the reader is set up without Parse's checks.
  static Decoded Adopt(std::string bytes);
  Decoded() = default;
  std::shared_ptr<const Storage> storage_;
  typename T::Reader root_;
};

// A parsed entry: the outer Entry and the nested AuthoredEvent, both checked
// for canonical form and field sizes. Cheap to copy (shared ownership).
class EntryView {
 public:
  // Corruption (naming the problem) unless `bytes` is a well-formed entry:
  // at most kMaxEntrySize bytes, canonical Entry, 32-byte prevHash, 64-byte
  // signature, canonical AuthoredEvent with a 32-byte key and 16-byte nonce.
  // Does not check the signature, the chain or authorization.
  static Result<EntryView> Parse(std::string_view bytes);

  // Parse of each of `entries`, in place: their bytes are not copied, and
  // what decoding them keeps (readers, digests) is one allocation for them
  // all, shared by their views together with `bytes_owner`, which must keep
  // every entry's bytes alive and unchanged. A view that outlives the others
  // keeps all of them (and `bytes_owner`) in memory. Element i is what
  // Parse(entries[i]) returns. For a caller that decodes many entries at a
  // time on several threads (the verifier): two allocations and a copy an
  // entry become one allocation a call, made and freed in bulk.
  static std::vector<Result<EntryView>> ParseInPlace(
      std::span<const std::string_view> entries,
      std::shared_ptr<const void> bytes_owner);

  // Blocks of decoded state that ParseInPlace calls reuse: when the last
  // view of a call's entries goes, its block is cleared (its views' bytes
  // owner let go) and kept here, up to a bound, for a later call, instead of
  // freed. A block of 16 entries' state is ~10 KB: allocated and freed for
  // every 16 entries, it made malloc give pages back to the system and
  // fault them in again (the verifier's largest avoidable cost). Any
  // thread; a block lent out keeps its InPlaceSpares alive.
  class InPlaceSpares;
  static std::shared_ptr<InPlaceSpares> MakeInPlaceSpares();

  // ParseInPlace with the block of decoded state taken from `spares` (and
  // given back to it once every view of these entries is gone), the results
  // in `out` (cleared first, its capacity kept): once warm, a call allocates
  // only the block's count of references.
  static void ParseInPlace(std::span<const std::string_view> entries,
                           std::shared_ptr<const void> bytes_owner,
                           const std::shared_ptr<InPlaceSpares>& spares,
                           std::vector<Result<EntryView>>& out);

  // The entry placing `signed_event` at `index` (bytes as EncodeEntry
  // builds them), viewed without parsing them again: `authored` must be
  // CheckSignedEvent(signed_event)'s result, and is shared, not copied.
  // The writer uses it for every append; Parse of the same bytes would
  // check again what encoding them has just guaranteed. InvalidArgument
  // as EncodeEntry.
  static Result<EntryView> Build(uint64_t index, const Hash& prev_hash,
                                 int64_t recorded_at_ms,
                                 const SignedEvent& signed_event,
                                 const DecodedEvent& authored);

  std::string_view bytes() const;
  schema::Entry::Reader entry() const { return entry_.get(); }
  schema::AuthoredEvent::Reader authored() const { return authored_.get(); }
  schema::Event::Reader event() const { return authored_.get().getEvent(); }
  const DecodedEvent& authored_event() const { return authored_; }
  // The authored event's texts were checked while decoding it
  // (Decoded::texts_checked).
  bool texts_checked() const { return authored_.texts_checked(); }

  uint64_t index() const { return entry().getIndex(); }
  int64_t recorded_at_ms() const { return entry().getRecordedAtMs(); }
  Hash prev_hash() const;
  crypto::PublicKey author_key() const;
  crypto::Signature signature() const;

  // SHA-256(entry bytes): what the next entry's prevHash must be.
  Hash EntryHash() const;
  // RFC 6962 leaf hash: SHA-256(0x00 || entry bytes).
  Hash LeafHash() const;
  // Unauthenticated unless the signature verifies under the author key.
  Status VerifySignature() const;

 private:
  Decoded<schema::Entry> entry_;
  DecodedEvent authored_;
  EntryView(Decoded<schema::Entry> e, DecodedEvent a)
      : entry_(std::move(e)), authored_(std::move(a)) {}
  // Parse's checks of the entry whose bytes `storage` views (and shares
  // ownership of).
  static Result<EntryView> ParseStored(
      std::shared_ptr<Decoded<schema::Entry>::Storage> storage);
};

// An event signed by its author, ready to be submitted to a log.
struct SignedEvent {
  std::string authored;  // canonical AuthoredEvent bytes
  crypto::Signature signature;
};

// Parses canonical AuthoredEvent bytes and checks the signature over them.
// Corruption for malformed bytes, Unauthenticated for a bad signature.
Result<DecodedEvent> CheckSignedEvent(const SignedEvent& signed_event);

// Builds the AuthoredEvent around `event` for the log named `origin` (the
// genesis origin; a signature is valid in that log only) and signs it. A
// random nonce is drawn unless one is given. InvalidArgument if the result
// would not fit in an entry.
Result<SignedEvent> SignEvent(
    const crypto::KeyPair& author, std::string_view origin,
    std::string_view jurisdiction, int64_t signed_at_ms,
    schema::Event::Reader event,
    std::optional<std::array<uint8_t, kNonceSize>> nonce = std::nullopt);

// Builds entry bytes for placing `signed_event` at `index`. InvalidArgument if
// the entry would exceed kMaxEntrySize.
Result<std::string> EncodeEntry(uint64_t index, const Hash& prev_hash,
                                int64_t recorded_at_ms,
                                const SignedEvent& signed_event);

// The name of the event's union member as written in the schema, e.g.
// "ballotsRecorded"; "unknown(N)" for a member this build does not know.
std::string EventKindName(schema::Event::Which kind);
std::string EventKindName(schema::Event::Reader event);

}  // namespace piaojue::ledger
