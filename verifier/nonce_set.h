// NonceSet: every (author key, nonce) pair the verifier has accepted, to
// refuse a replayed event (docs/VERIFY.md, "What each failure means":
// "nonce"). Exact, not probabilistic: a pair is kept whole, the author's
// 32-byte key as a small number (a log has few authors, and the same ones
// sign again and again) and the 16-byte nonce as it is, in one flat
// open-addressing table of 20-byte slots filled to at most 9/10: about
// 22–45 bytes a pair instead of ~140 for a set of strings (a million
// entries: 40 MB instead of 140), and ~22 bytes a pair when the number of
// pairs is known ahead (Reserve: the table is then made to that size, not
// to a power of two).
//
// The slot is chosen by SipHash-2-4 (libsodium's crypto_shorthash) of the
// author's key and the nonce under a key drawn at random once per process:
// authors choose their nonces, and must not be able to choose ones that all
// land in the same place. The hash depends on the pair alone, so it can be
// computed ahead, on any thread (the verifier's decode threads do: Hash),
// and the slot's memory fetched before it is needed (Prefetch).
//
// Not thread-safe, except the static Hash.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/entry.h"
#include "verifier/huge_pages.h"

namespace piaojue::verifier {

class NonceSet {
 public:
  using Nonce = std::array<uint8_t, ledger::kNonceSize>;

  NonceSet();

  // Makes room for `pairs` pairs in all, so that the table need not grow
  // (and double) while they are inserted: the verifier knows how many
  // entries a bundle holds before it reads them. A hint only: more pairs
  // still fit (the table then grows), and the caller bounds it by what the
  // input can hold (each pair costs ~22 bytes here).
  void Reserve(size_t pairs);

  // The pair's hash, as Insert places it. Thread-safe.
  static uint64_t Hash(const crypto::PublicKey& author, const Nonce& nonce);

  // The number of `author` in this set: 0 for the first author it meets,
  // 1 for the next, and so on (added if new). The same key always gets the
  // same number from the same set, so a caller may keep what it knows of
  // an author by this number (the verifier's checks do).
  uint32_t AuthorNumber(const crypto::PublicKey& author);

  // Adds the pair of the author numbered `author` (AuthorNumber) and
  // `nonce`; false if it was already there (a replay). `hash` must be
  // Hash(the author's key, nonce).
  bool Insert(uint32_t author, const Nonce& nonce, uint64_t hash);
  bool Insert(const crypto::PublicKey& author, const Nonce& nonce) {
    return Insert(AuthorNumber(author), nonce, Hash(author, nonce));
  }
  // Asks the CPU to fetch the slot where a pair of this hash goes, ahead
  // of its Insert (the table is too large for the caches).
  void Prefetch(uint64_t hash) const {
    __builtin_prefetch(&slots_[Home(hash, slots_.size())]);
  }
  size_t size() const { return size_; }
  // Every pair, in no particular order.
  void ForEach(const std::function<void(const crypto::PublicKey&,
                                        const Nonce&)>& fn) const;

 private:
  struct Slot {
    uint32_t author = 0;  // 1 + index into authors_; 0 = empty
    Nonce nonce{};
  };
  static_assert(sizeof(Slot) == 20);

  // The slot a pair of this hash is tried at first, in a table of `slots`
  // slots (any size, not only powers of two): the hash scaled to the
  // table, so that probing goes up from there.
  static size_t Home(uint64_t hash, size_t slots) {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * slots) >>
                               64);
  }
  // Re-places every pair in a table of `slots` slots.
  void Rehash(size_t slots);

  std::vector<crypto::PublicKey> authors_;  // by AuthorNumber
  // 1 + authors_'s numbers by the key's first 8 bytes (a key is a random
  // point), in a flat open-addressing table of a power of two slots (0 =
  // empty), at most half full. A log has a few thousand authors: the table
  // stays in the caches, where a node-based map cost two cache misses and a
  // division for every entry (at 1,000,000 entries two thirds of Insert's
  // time). An author not in the registry fails authorization at its first
  // entry, so no one fills this with chosen keys.
  std::vector<uint32_t> author_slots_;
  // Filled whole when made (each a table of tens of MB in a province's
  // run): on huge pages where the kernel offers them.
  std::vector<Slot, HugePageAllocator<Slot>> slots_;
  size_t size_ = 0;
};

}  // namespace piaojue::verifier
