// Entry grammar (docs/FORMAT.md, "Entries"):
//
//   entry      = canonical(Entry{index, prevHash, recordedAtMs, authored,
//                                signature})
//   authored   = canonical(AuthoredEvent{authorKey, nonce, signedAtMs,
//                                        jurisdiction, event, origin})
//   signature  = Ed25519(author secret, "piaojue/authored-event/v2\n" ||
//                        authored)
//   entry hash = SHA-256(entry)           (the next entry's prevHash)
//   leaf hash  = SHA-256(0x00 || entry)   (RFC 6962)
//
// canonical() is Cap'n Proto's canonical form: one segment, no segment table.
#include "ledger/entry.h"

#include <capnp/dynamic.h>
#include <capnp/schema.h>
#include <kj/debug.h>
#include <kj/exception.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <type_traits>

#include "ledger/internal/canonical_walk.h"
#include "ledger/internal/list_encoding.h"
#include "ledger/internal/quick_check.h"
#include "ledger/text_validation.h"

namespace piaojue::ledger {

template <typename T>
struct Decoded<T>::Storage {
  Storage() = default;
  explicit Storage(std::string&& b) : owned(std::move(b)), bytes(owned) {}
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  // The bytes: `owned`; for the authored event of an entry decoded by
  // EntryView::Parse a part of the entry's (this Storage is then a member
  // of the entry's, and lives as long as it); for an entry decoded by
  // EntryView::ParseInPlace the caller's, kept alive by its bytes owner
  // (shared by this Storage's owner, the block of all the call's entries).
  std::string owned;
  std::string_view bytes;
  // Cap'n Proto reads words in place: the string's own buffer when it is
  // word-aligned (operator new aligns to 16), else this copy.
  kj::Array<capnp::word> copy;
  // 0: not computed, 1: being computed, 2: `digest` holds it. Not a
  // std::call_once: glibc's pthread_once makes a futex system call after
  // every first computation, which on a replay cost as much as the
  // SHA-256 itself.
  mutable std::atomic<int> digest_state{0};
  mutable Hash digest{};
  // Decoded::texts_checked: set by Parse only, before the Storage is shared.
  bool texts_checked = false;
  // An entry's authored event, decoded in place: its bytes are a part of the
  // entry's, and its Storage shares the entry's allocation (two blocks an
  // entry instead of four, and ~600 bytes not copied). Declared last, so
  // destroyed before the bytes it views.
  struct None {};
  [[no_unique_address]] std::conditional_t<
      std::is_same_v<T, schema::Entry>,
      std::optional<typename Decoded<schema::AuthoredEvent>::Storage>, None>
      authored;
};

namespace {

// The words of `st`'s bytes: in place, or a word-aligned copy kept in `st`
// if they are not aligned.
template <typename Storage>
kj::ArrayPtr<const capnp::word> SegmentOf(Storage& st) {
  const size_t word_count = st.bytes.size() / sizeof(capnp::word);
  if (reinterpret_cast<uintptr_t>(st.bytes.data()) % alignof(capnp::word) ==
      0) {
    return kj::arrayPtr(reinterpret_cast<const capnp::word*>(st.bytes.data()),
                        word_count);
  }
  st.copy = kj::heapArray<capnp::word>(word_count);
  std::memcpy(st.copy.begin(), st.bytes.data(), st.bytes.size());
  return st.copy.asPtr();
}

// The reader kept for checked bytes: canonical (every pointer in bounds, no
// far pointer, no capability, nothing shared or looping) and nested no
// deeper than the checks' limit (32), which is all Cap'n Proto asks of a
// message it reads without bounds checks. Such a reader needs no message
// reader or arena of its own (a third of an entry's decoded state, and its
// set-up and tear-down for every entry); it reads the words in place with
// the same accessors, which still refuse a pointer of another kind than the
// schema says, as the checked one did.
template <typename T>
typename T::Reader ReaderOfChecked(kj::ArrayPtr<const capnp::word> segment) {
  return capnp::readMessageUnchecked<T>(segment.begin());
}

// Corruption for a message of `bytes` that cannot be one of at most
// `max_size` bytes.
Status CheckMessageSize(std::string_view bytes, size_t max_size) {
  if (bytes.size() > max_size) {
    return Corruption("message of " + std::to_string(bytes.size()) +
                      " bytes exceeds the limit of " +
                      std::to_string(max_size));
  }
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return Corruption("message length " + std::to_string(bytes.size()) +
                      " is not a positive multiple of 8");
  }
  return Status::Ok();
}

}  // namespace

template <typename T>
std::string_view Decoded<T>::bytes() const {
  return storage_->bytes;
}

template <typename T>
const Hash& Decoded<T>::Digest() const {
  const Storage& s = *storage_;
  if (s.digest_state.load(std::memory_order_acquire) == 2) return s.digest;
  int none = 0;
  if (s.digest_state.compare_exchange_strong(none, 1,
                                             std::memory_order_acquire)) {
    s.digest = crypto::Sha256(crypto::AsBytes(s.bytes));
    s.digest_state.store(2, std::memory_order_release);
    return s.digest;
  }
  // Another thread is computing it (a microsecond or two).
  while (s.digest_state.load(std::memory_order_acquire) != 2) {
    std::this_thread::yield();
  }
  return s.digest;
}

template <typename T>
bool Decoded<T>::texts_checked() const {
  return storage_ != nullptr && storage_->texts_checked;
}

template <typename T>
Result<Decoded<T>> Decoded<T>::Parse(std::string_view bytes, size_t max_size) {
  return Parse(bytes, max_size, nullptr);
}

template <typename T>
Result<Decoded<T>> Decoded<T>::Parse(std::string_view bytes, size_t max_size,
                                     bool* texts_checked) {
  if (texts_checked != nullptr) *texts_checked = false;
  // Refused before anything is allocated for them.
  RETURN_IF_ERROR(CheckMessageSize(bytes, max_size));
  auto storage = std::make_shared<Storage>(std::string(bytes));
  ASSIGN_OR_RETURN(typename T::Reader root,
                   Fill(*storage, max_size, texts_checked));
  Decoded d;
  d.root_ = root;
  d.storage_ = std::move(storage);
  return d;
}

template <typename T>
Result<typename T::Reader> Decoded<T>::Fill(Storage& st, size_t max_size,
                                            bool* texts_checked) {
  if (texts_checked != nullptr) *texts_checked = false;
  const std::string_view bytes = st.bytes;
  RETURN_IF_ERROR(CheckMessageSize(bytes, max_size));
  const size_t word_count = bytes.size() / sizeof(capnp::word);
  const kj::ArrayPtr<const capnp::word> segment = SegmentOf(st);
  const kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>> segments =
      kj::arrayPtr(&segment, 1);
  static const internal::StructPlan& plan =
      internal::PlanFor(capnp::Schema::from<T>());
  const bool texts =
      std::is_same_v<T, schema::AuthoredEvent> && texts_checked != nullptr;
  try {
    capnp::ReaderOptions options;
    options.nestingLimit = 32;
    // One pass over the words settles what the two checks below settle when
    // it is sure (ledger/internal/canonical_walk.h); they decide, and word
    // every refusal, otherwise.
    if (!internal::ExactDecodingForced() &&
        internal::CanonicalWalk(bytes, plan, texts) ==
            internal::WalkVerdict::kCanonical) {
      if (texts) *texts_checked = st.texts_checked = true;
      return ReaderOfChecked<T>(segment);
    }
    // A canonical message cannot legitimately traverse more than its own
    // size; bound it so hostile bytes cannot amplify work.
    options.traversalLimitInWords = word_count + 8;
    if (!internal::IsCanonicalMessage(segments, options)) {
      return Corruption("bytes are not canonical Cap'n Proto");
    }
    {
      // Canonical form leaves a list's encoding, and what the bits no active
      // field occupies hold, open; piaojue does not (rules 1 and 3). The
      // bytes are canonical (no shared or looping pointers), and the check
      // reads each object a bounded number of times.
      capnp::ReaderOptions walk = options;
      walk.traversalLimitInWords = 4 * options.traversalLimitInWords;
      capnp::SegmentArrayMessageReader lists(segments, walk);
      auto root = lists.template getRoot<T>();
      // The reflective walk only when the fast one is not sure: it alone
      // refuses, and words why.
      if (internal::QuickCheck(
              capnp::toAny(root), plan,
              {.lists = true, .texts = texts, .unoccupied = true})) {
        if (texts) *texts_checked = st.texts_checked = true;
      } else {
        Status checked = internal::CheckEncoding(capnp::toDynamic(root));
        if (!checked.ok()) return checked;
      }
    }
    // The kept reader has no traversal limit: the bytes were just proven
    // canonical (in bounds, no shared or looping pointers), and a limit would
    // make later, repeated field reads throw outside this boundary.
    return ReaderOfChecked<T>(segment);
  } catch (const kj::Exception& e) {
    return Corruption("malformed Cap'n Proto: " + DescribeException(e));
  }
}

template <typename T>
Decoded<T> Decoded<T>::Adopt(std::string bytes) {
  auto storage = std::make_shared<Storage>(std::move(bytes));
  Decoded d;
  // As for Parse's kept reader: the writer has just encoded these bytes
  // canonical.
  d.root_ = ReaderOfChecked<T>(SegmentOf(*storage));
  d.storage_ = std::move(storage);
  return d;
}

template class Decoded<schema::Entry>;
template class Decoded<schema::AuthoredEvent>;

namespace {

// `texts_checked`: parsing `a` already checked every text (and read every
// pointer) of it.
Status CheckAuthoredFields(schema::AuthoredEvent::Reader a,
                           bool texts_checked) {
  // First, since it reads every pointer (authorKey and nonce too) inside its
  // own catch: once it holds, no accessor of the event can throw, and every
  // text is shown exactly as signed. The walk that checked the texts already
  // (QuickCheck, which reads every pointer and never throws) proves the same.
  if (!texts_checked) {
    if (Status content = CheckAuthoredContent(a); !content.ok()) {
      return Corruption("authored event: " + content.message());
    }
  }
  if (a.getAuthorKey().size() != crypto::kPublicKeySize) {
    return Corruption("authorKey must be 32 bytes, got " +
                      std::to_string(a.getAuthorKey().size()));
  }
  if (a.getNonce().size() != kNonceSize) {
    return Corruption("nonce must be 16 bytes, got " +
                      std::to_string(a.getNonce().size()));
  }
  return Status::Ok();
}

template <size_t N>
std::array<uint8_t, N> ToArray(capnp::Data::Reader data) {
  std::array<uint8_t, N> out;
  std::memcpy(out.data(), data.begin(), N);
  return out;
}

std::string_view AsView(capnp::Data::Reader data) {
  return std::string_view(reinterpret_cast<const char*>(data.begin()),
                          data.size());
}

Status VerifyAuthored(const DecodedEvent& authored,
                      const crypto::Signature& signature) {
  auto key = ToArray<crypto::kPublicKeySize>(authored.get().getAuthorKey());
  // The signed message is the context, then the authored bytes: put
  // together in this thread's buffer, which keeps its capacity, rather than
  // in a string allocated and freed for every signature.
  thread_local std::string message;
  message.assign(kAuthoredEventContext);
  message += authored.bytes();
  if (!crypto::Verify(key, crypto::AsBytes(message), signature)) {
    return Unauthenticated("author signature does not verify under key " +
                           crypto::ToHex(crypto::AsBytes(key)));
  }
  return Status::Ok();
}

}  // namespace

Result<EntryView> EntryView::Parse(std::string_view bytes) {
  // Refused before anything is allocated for them.
  if (Status size = CheckMessageSize(bytes, kMaxEntrySize); !size.ok()) {
    return Corruption("entry: " + size.message());
  }
  return ParseStored(
      std::make_shared<Decoded<schema::Entry>::Storage>(std::string(bytes)));
}

class EntryView::InPlaceSpares {
 public:
  using Storage = Decoded<schema::Entry>::Storage;

  // The decoded state of one ParseInPlace call's entries, shared by their
  // views (one count of references for them all), with the owner of their
  // bytes.
  struct Block {
    std::shared_ptr<const void> bytes_owner;
    std::unique_ptr<Storage[]> entries;
    size_t capacity = 0;  // elements of `entries`
    size_t used = 0;      // the first `used` may hold an entry's state
    // Where the block goes back to when its views are gone; null while it
    // is kept there (a kept block holding its keeper would keep it forever).
    std::shared_ptr<InPlaceSpares> home;

    // Every element as new: nothing of an earlier entry stays readable.
    void Clear() {
      for (size_t i = 0; i < used; ++i) {
        entries[i].~Storage();
        new (&entries[i]) Storage();
      }
      used = 0;
    }
  };

  // The deleter of a block's shared ownership: the last view gone, the
  // block is cleared and given back to its InPlaceSpares (or freed without
  // one).
  struct GiveBack {
    void operator()(Block* raw) const {
      std::unique_ptr<Block> block(raw);
      // The readers first, then the bytes they read.
      block->Clear();
      block->bytes_owner.reset();
      // Moved out first: giving the block back may free the last owner of
      // its keeper, and with it the block.
      std::shared_ptr<InPlaceSpares> home = std::move(block->home);
      if (home) home->Give(std::move(block));
    }
  };

  // A new block of `n` elements.
  static std::unique_ptr<Block> New(size_t n) {
    auto block = std::make_unique<Block>();
    block->entries = std::make_unique<Storage[]>(n);
    block->capacity = n;
    return block;
  }
  // A cleared block of at least `n` elements, kept or new.
  std::unique_ptr<Block> Take(size_t n) {
    std::unique_ptr<Block> block;
    {
      std::lock_guard lock(mu_);
      if (!kept_.empty()) {
        block = std::move(kept_.back());
        kept_.pop_back();
      }
    }
    if (!block) return New(n);
    if (block->capacity < n) {
      block->entries = std::make_unique<Storage[]>(n);
      block->capacity = n;
    }
    return block;
  }
  // Keeps a cleared block for Take, up to a bound (more than a verifier's
  // batches in flight use at once); frees it past that.
  void Give(std::unique_ptr<Block> block) {
    std::lock_guard lock(mu_);
    if (kept_.size() < kMaxKept) kept_.push_back(std::move(block));
  }

 private:
  static constexpr size_t kMaxKept = 1024;
  std::mutex mu_;
  std::vector<std::unique_ptr<Block>> kept_;
};

std::shared_ptr<EntryView::InPlaceSpares> EntryView::MakeInPlaceSpares() {
  return std::make_shared<InPlaceSpares>();
}

std::vector<Result<EntryView>> EntryView::ParseInPlace(
    std::span<const std::string_view> entries,
    std::shared_ptr<const void> bytes_owner) {
  std::vector<Result<EntryView>> out;
  ParseInPlace(entries, std::move(bytes_owner), nullptr, out);
  return out;
}

void EntryView::ParseInPlace(std::span<const std::string_view> entries,
                             std::shared_ptr<const void> bytes_owner,
                             const std::shared_ptr<InPlaceSpares>& spares,
                             std::vector<Result<EntryView>>& out) {
  out.clear();
  out.reserve(entries.size());
  std::unique_ptr<InPlaceSpares::Block> taken =
      spares ? spares->Take(entries.size())
             : InPlaceSpares::New(entries.size());
  taken->home = spares;
  taken->bytes_owner = std::move(bytes_owner);
  taken->used = entries.size();
  // What every view of these entries shares: their Storage, one block of
  // them, and the owner of their bytes.
  std::shared_ptr<InPlaceSpares::Block> block(taken.release(),
                                              InPlaceSpares::GiveBack{});
  for (size_t i = 0; i < entries.size(); ++i) {
    if (Status size = CheckMessageSize(entries[i], kMaxEntrySize); !size.ok()) {
      out.emplace_back(Corruption("entry: " + size.message()));
      continue;
    }
    Decoded<schema::Entry>::Storage& st = block->entries[i];
    st.bytes = entries[i];
    out.push_back(ParseStored(
        std::shared_ptr<Decoded<schema::Entry>::Storage>(block, &st)));
  }
}

Result<EntryView> EntryView::ParseStored(
    std::shared_ptr<Decoded<schema::Entry>::Storage> storage) {
  // A canonical message can still hold a pointer of another type than the
  // schema says (a struct where prevHash's bytes should be), and its
  // accessor throws: the reads below are the boundary where that becomes
  // Corruption. After them every pointer of the entry has been read once.
  auto parse = [&]() -> Result<EntryView> {
    auto root = Decoded<schema::Entry>::Fill(*storage, kMaxEntrySize, nullptr);
    if (!root.ok()) return Corruption("entry: " + root.status().message());
    schema::Entry::Reader e = *root;
    if (e.getPrevHash().size() != crypto::kHashSize) {
      return Corruption("entry: prevHash must be 32 bytes, got " +
                        std::to_string(e.getPrevHash().size()));
    }
    if (e.getSignature().size() != crypto::kSignatureSize) {
      return Corruption("entry: signature must be 64 bytes, got " +
                        std::to_string(e.getSignature().size()));
    }
    // The authored event is decoded in place: its bytes are the entry's,
    // its Storage a part of the entry's (not shared with anyone yet).
    DecodedEvent::Storage& st = storage->authored.emplace();
    st.bytes = AsView(e.getAuthored());
    bool texts_checked = false;
    auto authored_root = DecodedEvent::Fill(st, kMaxEntrySize, &texts_checked);
    if (!authored_root.ok()) {
      return Corruption("authored event: " + authored_root.status().message());
    }
    RETURN_IF_ERROR(CheckAuthoredFields(*authored_root, texts_checked));
    DecodedEvent authored;
    authored.root_ = *authored_root;
    authored.storage_ =
        std::shared_ptr<const DecodedEvent::Storage>(storage, &st);
    Decoded<schema::Entry> entry;
    entry.root_ = e;
    entry.storage_ = std::move(storage);
    return EntryView(std::move(entry), std::move(authored));
  };
  try {
    return parse();
  } catch (const kj::Exception& e) {
    return Corruption("entry: cannot be read (" + DescribeException(e) + ")");
  }
}

std::string_view EntryView::bytes() const { return entry_.storage_->bytes; }

Hash EntryView::prev_hash() const {
  return ToArray<crypto::kHashSize>(entry().getPrevHash());
}

crypto::PublicKey EntryView::author_key() const {
  return ToArray<crypto::kPublicKeySize>(authored().getAuthorKey());
}

crypto::Signature EntryView::signature() const {
  return ToArray<crypto::kSignatureSize>(entry().getSignature());
}

Hash EntryView::EntryHash() const { return entry_.Digest(); }

Hash EntryView::LeafHash() const {
  static constexpr uint8_t kLeafPrefix[1] = {0x00};
  return crypto::Sha256(
      {crypto::Bytes(kLeafPrefix, 1), crypto::AsBytes(bytes())});
}

Status EntryView::VerifySignature() const {
  return VerifyAuthored(authored_, signature());
}

Result<DecodedEvent> CheckSignedEvent(const SignedEvent& signed_event) {
  bool texts_checked = false;
  auto authored =
      DecodedEvent::Parse(signed_event.authored, kMaxEntrySize, &texts_checked);
  if (!authored.ok()) {
    return Corruption("authored event: " + authored.status().message());
  }
  RETURN_IF_ERROR(CheckAuthoredFields(authored->get(), texts_checked));
  RETURN_IF_ERROR(VerifyAuthored(*authored, signed_event.signature));
  return authored;
}

Result<SignedEvent> SignEvent(
    const crypto::KeyPair& author, std::string_view origin,
    std::string_view jurisdiction, int64_t signed_at_ms,
    schema::Event::Reader event,
    std::optional<std::array<uint8_t, kNonceSize>> nonce) {
  std::array<uint8_t, kNonceSize> n;
  if (nonce) {
    n = *nonce;
  } else {
    crypto::RandomBytes(n);
  }
  capnp::MallocMessageBuilder message;
  auto a = message.initRoot<schema::AuthoredEvent>();
  a.setAuthorKey(
      capnp::Data::Reader(author.public_key.data(), author.public_key.size()));
  a.setNonce(capnp::Data::Reader(n.data(), n.size()));
  a.setSignedAtMs(signed_at_ms);
  a.setJurisdiction(
      capnp::Text::Reader(jurisdiction.data(), jurisdiction.size()));
  a.setOrigin(capnp::Text::Reader(origin.data(), origin.size()));
  try {
    a.setEvent(event);
  } catch (const kj::Exception& e) {
    return InvalidArgument("event cannot be encoded: " + DescribeException(e));
  }
  SignedEvent out;
  out.authored = CanonicalBytes(a.asReader());
  // Never sign what every reader would refuse.
  if (Status content = CheckAuthoredContent(a.asReader()); !content.ok()) {
    return InvalidArgument("event cannot be signed: " + content.message());
  }
  // Leave room for the envelope: index, times, hashes and pointers.
  if (out.authored.size() + 256 > kMaxEntrySize) {
    return InvalidArgument("event of " + std::to_string(out.authored.size()) +
                           " bytes does not fit in one entry (limit " +
                           std::to_string(kMaxEntrySize) +
                           " bytes); split it into parts");
  }
  // Nor bytes a reader refuses for their encoding (a builder keeps an
  // inactive union member's pointer or bits: docs/FORMAT.md, "Canonical
  // Cap'n Proto", rule 3).
  if (auto parsed = DecodedEvent::Parse(out.authored, kMaxEntrySize);
      !parsed.ok()) {
    return InvalidArgument("event cannot be signed: " +
                           parsed.status().message());
  }
  std::string to_sign(kAuthoredEventContext);
  to_sign += out.authored;
  out.signature = crypto::Sign(author.secret_key, crypto::AsBytes(to_sign));
  return out;
}

namespace {

void PutWord(char* at, uint64_t v) {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// A pointer to a list of `count` bytes starting `offset` words after the
// pointer's own word (Cap'n Proto's list pointer: tag 1, element size 2).
uint64_t ByteListPointer(uint64_t offset, uint64_t count) {
  return 1 | (offset << 2) | (uint64_t{2} << 32) | (count << 35);
}

// The canonical bytes of an entry written word by word, as Cap'n Proto's
// canonicalization lays them out when every field is set (the writer
// encodes one entry per append in its serial section, and building a
// message to canonicalize it cost an 8 KB zeroed segment and two more
// copies of the entry):
//
//   word 0   root pointer: struct, offset 0, 2 data words, 3 pointers
//   words 1-2  index, recordedAtMs (little-endian)
//   words 3-5  byte-list pointers to prevHash, authored, signature
//   then prevHash (4 words), authored (zero-padded to a word), signature
//   (8 words), each right after the one before (pre-order, pointer order)
//
// nullopt when canonical form lays the entry out otherwise — a zero time
// (the data section ends at its last non-zero word) or empty authored
// bytes — or it would be too large: EncodeEntry then builds the message.
// EntryTest.TheWriterEncodesAnEntryAsCapnProtoCanonicalizesIt compares the
// two.
std::optional<std::string> EncodeFullEntry(uint64_t index,
                                           const Hash& prev_hash,
                                           int64_t recorded_at_ms,
                                           const SignedEvent& signed_event) {
  const std::string& authored = signed_event.authored;
  if (recorded_at_ms == 0 || authored.empty() ||
      authored.size() > kMaxEntrySize) {
    return std::nullopt;
  }
  constexpr size_t kWord = sizeof(capnp::word);
  constexpr size_t kPrevWords = crypto::kHashSize / kWord;
  constexpr size_t kSignatureWords = crypto::kSignatureSize / kWord;
  const size_t authored_words = (authored.size() + kWord - 1) / kWord;
  const size_t prev_at = 6;
  const size_t authored_at = prev_at + kPrevWords;
  const size_t signature_at = authored_at + authored_words;
  std::string out((signature_at + kSignatureWords) * kWord, '\0');
  char* w = out.data();
  PutWord(w, (uint64_t{2} << 32) | (uint64_t{3} << 48));
  PutWord(w + 1 * kWord, index);
  PutWord(w + 2 * kWord, static_cast<uint64_t>(recorded_at_ms));
  PutWord(w + 3 * kWord, ByteListPointer(prev_at - 4, crypto::kHashSize));
  PutWord(w + 4 * kWord, ByteListPointer(authored_at - 5, authored.size()));
  PutWord(w + 5 * kWord,
          ByteListPointer(signature_at - 6, crypto::kSignatureSize));
  std::memcpy(w + prev_at * kWord, prev_hash.data(), crypto::kHashSize);
  std::memcpy(w + authored_at * kWord, authored.data(), authored.size());
  std::memcpy(w + signature_at * kWord, signed_event.signature.data(),
              crypto::kSignatureSize);
  return out;
}

}  // namespace

Result<std::string> EncodeEntry(uint64_t index, const Hash& prev_hash,
                                int64_t recorded_at_ms,
                                const SignedEvent& signed_event) {
  if (std::optional<std::string> full =
          EncodeFullEntry(index, prev_hash, recorded_at_ms, signed_event)) {
    if (full->size() > kMaxEntrySize) {
      return InvalidArgument("entry of " + std::to_string(full->size()) +
                             " bytes exceeds the limit of " +
                             std::to_string(kMaxEntrySize));
    }
    return std::move(*full);
  }
  capnp::MallocMessageBuilder message;
  auto e = message.initRoot<schema::Entry>();
  e.setIndex(index);
  e.setPrevHash(capnp::Data::Reader(prev_hash.data(), prev_hash.size()));
  e.setRecordedAtMs(recorded_at_ms);
  e.setAuthored(capnp::Data::Reader(
      reinterpret_cast<const uint8_t*>(signed_event.authored.data()),
      signed_event.authored.size()));
  e.setSignature(capnp::Data::Reader(signed_event.signature.data(),
                                     signed_event.signature.size()));
  std::string bytes = CanonicalBytes(e.asReader());
  if (bytes.size() > kMaxEntrySize) {
    return InvalidArgument("entry of " + std::to_string(bytes.size()) +
                           " bytes exceeds the limit of " +
                           std::to_string(kMaxEntrySize));
  }
  return bytes;
}

Result<EntryView> EntryView::Build(uint64_t index, const Hash& prev_hash,
                                   int64_t recorded_at_ms,
                                   const SignedEvent& signed_event,
                                   const DecodedEvent& authored) {
  ASSIGN_OR_RETURN(std::string bytes,
                   EncodeEntry(index, prev_hash, recorded_at_ms, signed_event));
#ifndef NDEBUG
  // What Build skips must hold: the bytes parse, and hold `authored`.
  {
    Result<EntryView> parsed = Parse(bytes);
    KJ_ASSERT(parsed.ok(), parsed.status().ToString());
    KJ_ASSERT(parsed->authored_event().bytes() == authored.bytes());
  }
#endif
  return EntryView(Decoded<schema::Entry>::Adopt(std::move(bytes)), authored);
}

std::string EventKindName(schema::Event::Which kind) {
  auto schema = capnp::Schema::from<schema::Event>();
  KJ_IF_MAYBE (field,
               schema.getFieldByDiscriminant(static_cast<uint16_t>(kind))) {
    return field->getProto().getName().cStr();
  }
  return "unknown(" + std::to_string(static_cast<unsigned>(kind)) + ")";
}

std::string EventKindName(schema::Event::Reader event) {
  return EventKindName(event.which());
}

}  // namespace piaojue::ledger
