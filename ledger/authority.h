// Authorization lives in the log itself: the key registry (genesis root key,
// jurisdictions, role grants and revocations) replayed from the entries, and
// the table of which roles may author which event kind. See docs/FORMAT.md,
// "Authorization".
//
// An Authority is a pure in-memory fold: the ledger and the verifier both feed
// it every entry in log order. Not thread-safe; callers serialize access.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/schema/piaojue.capnp.h"
#include "ledger/status.h"

namespace piaojue::ledger {

// The roles allowed to author `event` (for screeningDecided this depends on
// the stage). Empty for the deployment-level kinds only the root key may
// author (genesis, jurisdictionRegistered, keyRegistered, keyRevoked) and
// for correction, whose roles are those of its target.
std::vector<schema::Role> RolesAllowedFor(schema::Event::Reader event);
// The same roles as a set: bit r is set for each role r RolesAllowedFor
// names (no allocation; roles are numbered below 16).
uint16_t RoleMaskFor(schema::Event::Reader event);

bool IsRegistryEvent(schema::Event::Which kind);

std::string RoleName(schema::Role role);

struct Jurisdiction {
  std::string code;
  std::string name;
  schema::Level level;
  std::string parent_code;
  uint64_t registered_at;  // entry index
};

struct KeyGrant {
  schema::Role role;
  std::string jurisdiction;
  std::string holder;
  uint64_t registered_at;
};

struct KeyRecord {
  crypto::PublicKey key;
  std::vector<KeyGrant> grants;
  std::optional<uint64_t> revoked_at;
};

// What a correction's authorization needs to know about its target.
struct CorrectionTarget {
  schema::Event::Which kind;
  std::string jurisdiction;
  // The target's roles (RolesAllowedFor its event).
  std::vector<schema::Role> roles;
};
// Looks up the entry at `index` (< the correcting entry's index). NotFound if
// there is no such entry.
using TargetLookup = std::function<Result<CorrectionTarget>(uint64_t index)>;

class Authority {
 public:
  Authority() = default;
  Authority(const Authority& other);
  Authority& operator=(const Authority& other);
  Authority(Authority&&) = default;
  Authority& operator=(Authority&&) = default;

  // OK when the event `authored`, placed at `index`, is authorized:
  //  - index 0 must be genesis, self-signed by the root key it names, and
  //    genesis appears nowhere else;
  //  - registry kinds must be authored by the root key, jurisdiction "";
  //  - every other kind needs an unrevoked key with an allowed role in the
  //    event's (registered) jurisdiction.
  // PermissionDenied names the key, role and event kind; InvalidArgument is
  // returned for registry events that are malformed (unknown jurisdiction,
  // duplicate code, bad key length, ...). Does not change state.
  Status Check(uint64_t index, schema::AuthoredEvent::Reader authored,
               const TargetLookup& lookup) const;

  // What Check looks up about an entry's author and jurisdiction, for a
  // caller that checks many entries of the same few authors and
  // jurisdictions and keeps these instead of having each looked up again
  // (the verifier's in-order checks).
  struct Subject {
    const KeyRecord* author = nullptr;     // FindKey(its author key)
    bool jurisdiction_registered = false;  // IsRegistered(its jurisdiction)
  };
  // Check, with `subject` as FindKey and IsRegistered answer for the
  // entry's author key and jurisdiction now: the same result.
  Status Check(uint64_t index, schema::AuthoredEvent::Reader authored,
               const TargetLookup& lookup, const Subject& subject) const;

  // The record of `key`; nullptr if it was never registered. Valid as long
  // as this Authority (not a copy of it); Apply changes it in place when the
  // key is granted a role or revoked.
  const KeyRecord* FindKey(const crypto::PublicKey& key) const;
  // Whether jurisdiction `code` is registered (once registered, always).
  bool IsRegistered(const std::string& code) const {
    return jurisdiction_codes_.count(code) > 0;
  }

  // Applies the registry effect of an accepted event (no-op for other
  // kinds). Precondition: Check() returned OK for it.
  void Apply(uint64_t index, schema::AuthoredEvent::Reader authored);

  bool has_genesis() const { return root_key_.has_value(); }
  const std::optional<crypto::PublicKey>& root_key() const { return root_key_; }
  const std::string& origin() const { return origin_; }
  const std::map<std::string, Jurisdiction>& jurisdictions() const {
    return jurisdictions_;
  }
  const std::map<crypto::PublicKey, KeyRecord>& keys() const { return keys_; }

  // An Authority holding exactly these parts, as the accessors above return
  // them: for a verifier that continues from a registry it replayed and
  // saved earlier. The caller vouches that they are the fold of a prefix of
  // a log (nothing is checked here).
  static Authority FromParts(std::optional<crypto::PublicKey> root_key,
                             std::string origin,
                             std::map<std::string, Jurisdiction> jurisdictions,
                             std::map<crypto::PublicKey, KeyRecord> keys);

  // The active grants of `key` (empty if unknown or revoked).
  std::vector<KeyGrant> ActiveGrants(const crypto::PublicKey& key) const;

 private:
  // Check; `subject` null: looked up here.
  Status CheckEntry(uint64_t index, schema::AuthoredEvent::Reader authored,
                    const TargetLookup& lookup, const Subject* subject) const;
  Status CheckRegistryEvent(schema::AuthoredEvent::Reader authored) const;
  // `kind` names the event for a refusal's message (called only then).
  Status CheckRole(const crypto::PublicKey& author,
                   const std::function<std::string()>& kind,
                   std::string_view jurisdiction,
                   std::span<const schema::Role> roles,
                   const Subject* subject) const;

  std::optional<crypto::PublicKey> root_key_;
  std::string origin_;
  std::map<std::string, Jurisdiction> jurisdictions_;
  std::map<crypto::PublicKey, KeyRecord> keys_;
  // keys_ again, by hash: every authored entry looks its key up, and at
  // province scale (tens of thousands of keys) the ordered map's walk was
  // a tenth of a verifier's in-order time. Only the root key registers
  // keys, so nobody can choose keys that collide. Rebuilt on copy (the
  // pointers are into keys_'s nodes, which a move keeps).
  struct KeyHash {
    size_t operator()(const crypto::PublicKey& key) const;
  };
  std::unordered_map<crypto::PublicKey, const KeyRecord*, KeyHash> key_index_;
  // jurisdictions_'s codes again, by hash: every authored entry's
  // jurisdiction is looked up, and the ordered map's string compares were
  // 3% of a verifier's in-order time at province scale. Only the root key
  // registers jurisdictions (entries only look codes up).
  std::unordered_set<std::string> jurisdiction_codes_;
  void IndexKeys();
};

}  // namespace piaojue::ledger
