// Side-index digests kept in the head. See ledger/internal/side_index.h and
// docs/FORMAT.md, "RocksDB layout".
#include "ledger/internal/side_index.h"

#include <rocksdb/iterator.h>

namespace piaojue::ledger::internal {

void IndexDigest::Add(std::string_view key, std::string_view value) {
  const crypto::Hash term =
      crypto::Sha256({crypto::AsBytes(key), crypto::AsBytes(value)});
  // Big-endian addition modulo 2^256: carry from the last byte up.
  unsigned carry = 0;
  for (size_t i = sum.size(); i-- > 0;) {
    const unsigned v = unsigned{sum[i]} + unsigned{term[i]} + carry;
    sum[i] = static_cast<uint8_t>(v & 0xff);
    carry = v >> 8;
  }
  ++count;
}

void AppendIndexDigest(const IndexDigest& d, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((d.count >> shift) & 0xff));
  }
  out->append(reinterpret_cast<const char*>(d.sum.data()), d.sum.size());
}

IndexDigest ReadIndexDigest(const char* p) {
  IndexDigest d;
  for (int i = 0; i < 8; ++i)
    d.count = d.count << 8 | static_cast<uint8_t>(p[i]);
  for (size_t i = 0; i < d.sum.size(); ++i) {
    d.sum[i] = static_cast<uint8_t>(p[8 + i]);
  }
  return d;
}

Result<IndexDigest> DigestIndex(rocksdb::Iterator* it, char prefix,
                                const IndexVisitor& each) {
  IndexDigest digest;
  for (it->Seek(rocksdb::Slice(&prefix, 1));
       it->Valid() && !it->key().empty() && it->key()[0] == prefix;
       it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const std::string_view value = it->value().ToStringView();
    digest.Add(key, value);
    if (each) RETURN_IF_ERROR(each(key, value));
  }
  return digest;
}

}  // namespace piaojue::ledger::internal
