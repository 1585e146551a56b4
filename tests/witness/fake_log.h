// An in-memory transparency log for witness tests: leaves, RFC 6962 roots
// and consistency proofs at any past size, and checkpoints signed by its
// key. Two FakeLogs with the same key and origin but different leaves are
// the operator's split view.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/merkle.h"
#include "ledger/note.h"

namespace piaojue::testing {

class FakeLog {
 public:
  FakeLog(std::string origin, const crypto::KeyPair& key)
      : signer_{std::move(origin), key} {}

  // Appends leaves "<tag>-<i>" until the log has `size` leaves.
  void GrowTo(uint64_t size, const std::string& tag = "entry") {
    while (frontier_.size() < size) {
      const std::string leaf = tag + "-" + std::to_string(frontier_.size());
      for (const merkle::StoredNode& n :
           frontier_.Append(merkle::LeafHash(crypto::AsBytes(leaf)))) {
        nodes_[{n.level, n.index}] = n.hash;
      }
    }
  }
  uint64_t size() const { return frontier_.size(); }

  crypto::Hash RootAt(uint64_t size) const {
    return merkle::RootAt(Reader(), size).value();
  }
  std::vector<crypto::Hash> Proof(uint64_t old_size, uint64_t new_size) const {
    return merkle::ConsistencyProof(Reader(), old_size, new_size).value();
  }
  std::string Body(uint64_t size) const {
    return note::FormatCheckpoint({signer_.name, size, RootAt(size), {}});
  }
  // The checkpoint of `size` leaves as the log signs it.
  std::string Checkpoint(uint64_t size) const {
    return note::Sign(Body(size), signer_).value();
  }
  std::string vkey() const {
    return note::FormatVerifierKey(signer_.name, signer_.key_pair.public_key);
  }
  const std::string& origin() const { return signer_.name; }

  merkle::NodeReader Reader() const {
    return [this](uint8_t level, uint64_t index) -> Result<crypto::Hash> {
      auto it = nodes_.find({level, index});
      if (it == nodes_.end()) return NotFound("no node");
      return it->second;
    };
  }

 private:
  note::SignerKey signer_;
  merkle::Frontier frontier_;
  std::map<std::pair<uint8_t, uint64_t>, crypto::Hash> nodes_;
};

}  // namespace piaojue::testing
