#include "verifier/nonce_set.h"

#include <kj/debug.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace piaojue::verifier {

namespace {
// Filled to at most 9/10: an insert then looks at about six slots on
// average over the filling (1/2 (1 + 1/(1 - 9/10))), next to each other
// in memory after the first, whose line is fetched ahead (Prefetch); the
// last inserts at ~50, a few cache lines read in order. 3/4 cost a fifth
// more memory, where the table is the verifier's largest single block
// (a million entries: 22 MB at 9/10, 27 at 3/4).
constexpr size_t kInitialSlots = 1024;
constexpr size_t kInitialAuthorSlots = 64;  // a power of two
bool Full(size_t size, size_t slots) { return 10 * (size + 1) > 9 * slots; }
// The fewest slots that hold `pairs` pairs without being Full.
size_t SlotsFor(size_t pairs) { return (10 * (pairs + 1)) / 9 + 1; }

// The hash key, drawn once per process (see nonce_set.h).
const std::array<uint8_t, crypto_shorthash_KEYBYTES>& HashKey() {
  static const auto key = [] {
    std::array<uint8_t, crypto_shorthash_KEYBYTES> k;
    crypto::RandomBytes(k);
    return k;
  }();
  return key;
}

}  // namespace

NonceSet::NonceSet()
    : author_slots_(kInitialAuthorSlots), slots_(kInitialSlots) {}

void NonceSet::Reserve(size_t pairs) {
  if (!Full(pairs, slots_.size())) return;
  Rehash(std::max(SlotsFor(pairs), kInitialSlots));
}

uint32_t NonceSet::AuthorNumber(const crypto::PublicKey& author) {
  uint64_t h;
  std::memcpy(&h, author.data(), sizeof(h));
  size_t mask = author_slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint32_t id = author_slots_[i];
    if (id == 0) break;
    if (authors_[id - 1] == author) return id - 1;
  }
  authors_.push_back(author);
  const uint32_t id = static_cast<uint32_t>(authors_.size());
  if (2 * authors_.size() > author_slots_.size()) {
    // Re-placed in a table twice as large (the new author with them).
    author_slots_.assign(author_slots_.size() * 2, 0);
    mask = author_slots_.size() - 1;
    for (uint32_t k = 1; k <= id; ++k) {
      std::memcpy(&h, authors_[k - 1].data(), sizeof(h));
      size_t i = h & mask;
      while (author_slots_[i] != 0) i = (i + 1) & mask;
      author_slots_[i] = k;
    }
    return id - 1;
  }
  size_t i = h & mask;
  while (author_slots_[i] != 0) i = (i + 1) & mask;
  author_slots_[i] = id;
  return id - 1;
}

uint64_t NonceSet::Hash(const crypto::PublicKey& author, const Nonce& nonce) {
  uint8_t in[sizeof(author) + sizeof(nonce)];
  std::memcpy(in, author.data(), author.size());
  std::memcpy(in + author.size(), nonce.data(), nonce.size());
  uint8_t out[crypto_shorthash_BYTES];
  crypto_shorthash(out, in, sizeof(in), HashKey().data());
  uint64_t h;
  std::memcpy(&h, out, sizeof(h));
  return h;
}

bool NonceSet::Insert(uint32_t author, const Nonce& nonce, uint64_t hash) {
  KJ_DASSERT(author < authors_.size());
  // Slots hold 1 + the number (0 is an empty slot).
  const uint32_t id = author + 1;
  if (Full(size_, slots_.size())) Rehash(slots_.size() * 2);
  const size_t n = slots_.size();
  for (size_t i = Home(hash, n);; i = i + 1 == n ? 0 : i + 1) {
    Slot& s = slots_[i];
    if (s.author == 0) {
      s.author = id;
      s.nonce = nonce;
      ++size_;
      return true;
    }
    if (s.author == id && s.nonce == nonce) return false;
  }
}

void NonceSet::Rehash(size_t slots) {
  std::vector<Slot, HugePageAllocator<Slot>> old(slots);
  old.swap(slots_);
  const size_t n = slots_.size();
  for (const Slot& s : old) {
    if (s.author == 0) continue;
    size_t i = Home(Hash(authors_[s.author - 1], s.nonce), n);
    while (slots_[i].author != 0) i = i + 1 == n ? 0 : i + 1;
    slots_[i] = s;
  }
}

void NonceSet::ForEach(const std::function<void(const crypto::PublicKey&,
                                                const Nonce&)>& fn) const {
  for (const Slot& s : slots_) {
    if (s.author != 0) fn(authors_[s.author - 1], s.nonce);
  }
}

}  // namespace piaojue::verifier
