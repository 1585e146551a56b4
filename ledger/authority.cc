// Authorization table and key registry. See docs/FORMAT.md, "Authorization".
#include "ledger/authority.h"

#include <capnp/schema.h>
#include <kj/debug.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <span>

#include "ledger/entry.h"
#include "ledger/note.h"
#include "ledger/text_validation.h"

namespace piaojue::ledger {

namespace {

using schema::Event;
using schema::Role;

std::string ToString(capnp::Text::Reader t) {
  return std::string(t.begin(), t.size());
}

Result<crypto::PublicKey> KeyFrom(capnp::Data::Reader data,
                                  std::string_view what) {
  if (data.size() != crypto::kPublicKeySize) {
    return InvalidArgument(std::string(what) + " must be a 32-byte key, got " +
                           std::to_string(data.size()) + " bytes");
  }
  crypto::PublicKey key;
  std::memcpy(key.data(), data.begin(), key.size());
  return key;
}

std::string KeyLabel(const crypto::PublicKey& key) {
  return crypto::ToHex(crypto::Bytes(key.data(), 8));
}

}  // namespace

bool IsRegistryEvent(Event::Which kind) {
  return kind == Event::GENESIS || kind == Event::JURISDICTION_REGISTERED ||
         kind == Event::KEY_REGISTERED || kind == Event::KEY_REVOKED;
}

namespace {

// The roles RolesAllowedFor names, held in place: Check looks them up for
// every entry, and a vector was an allocation each.
class RoleList {
 public:
  RoleList() = default;
  RoleList(std::initializer_list<Role> roles) {
    KJ_ASSERT(roles.size() <= roles_.size(), "RoleList: too many roles");
    for (Role r : roles) roles_[size_++] = r;
  }
  std::span<const Role> span() const { return {roles_.data(), size_}; }

 private:
  std::array<Role, 4> roles_{};
  size_t size_ = 0;
};

RoleList AllowedRoles(Event::Reader event) {
  switch (event.which()) {
    case Event::GENESIS:
    case Event::JURISDICTION_REGISTERED:
    case Event::KEY_REGISTERED:
    case Event::KEY_REVOKED:
    case Event::CORRECTION:
      return {};
    case Event::CYCLE_OPENED:
      return {Role::GOVERNMENT_OFFICE};
    case Event::PROPOSAL_SUBMITTED:
      return {Role::PUBLIC_INTAKE, Role::GOVERNMENT_OFFICE};
    case Event::PROPOSALS_MERGED:
      return {Role::GOVERNMENT_OFFICE};
    case Event::SCREENING_DECIDED:
      switch (event.getScreeningDecided().getStage()) {
        case schema::ScreeningStage::GOVERNMENT_REVIEW:
          return {Role::GOVERNMENT_OFFICE};
        case schema::ScreeningStage::PARTY_COMMITTEE_APPROVAL:
          return {Role::PARTY_COMMITTEE};
        case schema::ScreeningStage::STANDING_COMMITTEE_EXAMINATION:
          return {Role::STANDING_COMMITTEE};
        default:
          return {};
      }
    case Event::CANDIDATE_LIST_FIXED:
    case Event::VOTING_RULES_ADOPTED:
      return {Role::STANDING_COMMITTEE};
    case Event::DELIBERATION_RECORDED:
    case Event::ROUND_OPENED:
      return {Role::SECRETARIAT};
    case Event::RESULT_ANNOUNCED:
      // Announced at the session and published by the presidium (大会主席团).
      return {Role::PRESIDIUM};
    case Event::BALLOT_BOX_SEALED:
    case Event::BALLOT_BOX_OPENED:
    case Event::TALLY_CERTIFIED:
      return {Role::MONITOR};
    case Event::BALLOTS_RECORDED:
      return {Role::TELLER};
    case Event::IMPLEMENTATION_PLANNED:
      return {Role::GOVERNMENT_OFFICE, Role::IMPLEMENTING_AGENCY};
    case Event::PROGRESS_REPORTED:
      return {Role::IMPLEMENTING_AGENCY};
    case Event::INSPECTION_RECORDED:
      return {Role::INSPECTION_GROUP};
    case Event::SUPERVISION_NOTICE_ISSUED:
    case Event::ADJUSTMENT_DECIDED:
    case Event::RECTIFICATION_ORDERED:
      return {Role::STANDING_COMMITTEE};
    case Event::ACCEPTANCE_RECORDED:
    case Event::OPERATION_REVIEWED:
      return {Role::GOVERNMENT_OFFICE};
    case Event::EVALUATION_SCORED:
      return {Role::EVALUATION_GROUP};
    case Event::RECTIFICATION_REPORTED:
      return {Role::IMPLEMENTING_AGENCY, Role::GOVERNMENT_OFFICE};
    case Event::ROUND_VOIDED:
      // The congress presidium; a township's presidium (乡镇人大主席团)
      // acts through its standingCommittee key (docs/RULES.md).
      return {Role::PRESIDIUM, Role::STANDING_COMMITTEE};
  }
  return {};  // a kind this build does not know: nobody may author it
}

}  // namespace

std::vector<Role> RolesAllowedFor(Event::Reader event) {
  const RoleList roles = AllowedRoles(event);
  return std::vector<Role>(roles.span().begin(), roles.span().end());
}

uint16_t RoleMaskFor(Event::Reader event) {
  uint16_t mask = 0;
  // Named: a range-for over a temporary's span() would outlive it.
  const RoleList roles = AllowedRoles(event);
  for (Role r : roles.span()) {
    KJ_DASSERT(static_cast<uint16_t>(r) < 16);
    mask |= static_cast<uint16_t>(1u << static_cast<uint16_t>(r));
  }
  return mask;
}

std::string RoleName(Role role) {
  auto schema = capnp::Schema::from<Role>();
  for (auto e : schema.getEnumerants()) {
    if (e.getOrdinal() == static_cast<uint16_t>(role)) {
      return e.getProto().getName().cStr();
    }
  }
  return "unknown(" + std::to_string(static_cast<unsigned>(role)) + ")";
}

Authority::Authority(const Authority& other)
    : root_key_(other.root_key_),
      origin_(other.origin_),
      jurisdictions_(other.jurisdictions_),
      keys_(other.keys_),
      jurisdiction_codes_(other.jurisdiction_codes_) {
  IndexKeys();
}

Authority& Authority::operator=(const Authority& other) {
  if (this != &other) *this = Authority(other);
  return *this;
}

size_t Authority::KeyHash::operator()(const crypto::PublicKey& key) const {
  size_t h;
  std::memcpy(&h, key.data(), sizeof(h));
  return h;
}

const KeyRecord* Authority::FindKey(const crypto::PublicKey& key) const {
  auto it = key_index_.find(key);
  return it == key_index_.end() ? nullptr : it->second;
}

void Authority::IndexKeys() {
  key_index_.clear();
  key_index_.reserve(keys_.size());
  for (const auto& [key, record] : keys_) key_index_.emplace(key, &record);
}

std::vector<KeyGrant> Authority::ActiveGrants(
    const crypto::PublicKey& key) const {
  const KeyRecord* rec = FindKey(key);
  if (rec == nullptr || rec->revoked_at) return {};
  return rec->grants;
}

Status Authority::CheckRole(const crypto::PublicKey& author,
                            const std::function<std::string()>& kind,
                            std::string_view jurisdiction,
                            std::span<const Role> roles,
                            const Subject* subject) const {
  if (roles.empty()) {
    return PermissionDenied("no role may author " + kind() + " in this form");
  }
  if (subject ? !subject->jurisdiction_registered
              : !IsRegistered(std::string(jurisdiction))) {
    return PermissionDenied(kind() + ": jurisdiction \"" +
                            std::string(jurisdiction) + "\" is not registered");
  }
  const KeyRecord* rec = subject ? subject->author : FindKey(author);
  if (rec == nullptr) {
    return PermissionDenied(kind() + ": key " + KeyLabel(author) +
                            " is not registered");
  }
  if (rec->revoked_at) {
    return PermissionDenied(kind() + ": key " + KeyLabel(author) +
                            " was revoked at entry " +
                            std::to_string(*rec->revoked_at));
  }
  for (const KeyGrant& g : rec->grants) {
    if (g.jurisdiction == jurisdiction &&
        std::find(roles.begin(), roles.end(), g.role) != roles.end()) {
      return Status::Ok();
    }
  }
  std::string wanted;
  for (Role r : roles) wanted += (wanted.empty() ? "" : " or ") + RoleName(r);
  return PermissionDenied(kind() + " in " + std::string(jurisdiction) +
                          " needs role " + wanted + "; key " +
                          KeyLabel(author) + " holds no such grant there");
}

Status Authority::CheckRegistryEvent(
    schema::AuthoredEvent::Reader authored) const {
  Event::Reader event = authored.getEvent();
  switch (event.which()) {
    case Event::JURISDICTION_REGISTERED: {
      auto j = event.getJurisdictionRegistered();
      std::string code = ToString(j.getCode());
      if (code.empty()) return InvalidArgument("jurisdiction code is empty");
      if (jurisdiction_codes_.count(code)) {
        return AlreadyExists("jurisdiction " + code + " is already registered");
      }
      if (j.getLevel() == schema::Level::UNSPECIFIED) {
        return InvalidArgument("jurisdiction " + code + ": level is required");
      }
      std::string parent = ToString(j.getParentCode());
      if (!parent.empty() && !jurisdiction_codes_.count(parent)) {
        return InvalidArgument("jurisdiction " + code + ": parent " + parent +
                               " is not registered");
      }
      return Status::Ok();
    }
    case Event::KEY_REGISTERED: {
      auto k = event.getKeyRegistered();
      ASSIGN_OR_RETURN(crypto::PublicKey key, KeyFrom(k.getKey(), "key"));
      if (key == *root_key_) {
        return InvalidArgument("the root key cannot hold a role");
      }
      if (k.getRole() == Role::UNSPECIFIED ||
          static_cast<uint16_t>(k.getRole()) >
              static_cast<uint16_t>(Role::PRESIDIUM)) {
        return InvalidArgument("keyRegistered: role is missing or unknown");
      }
      std::string jurisdiction = ToString(k.getJurisdiction());
      if (!jurisdiction_codes_.count(jurisdiction)) {
        return InvalidArgument("keyRegistered: jurisdiction \"" + jurisdiction +
                               "\" is not registered");
      }
      auto it = keys_.find(key);
      if (it != keys_.end()) {
        if (it->second.revoked_at) {
          return FailedPrecondition("key " + KeyLabel(key) +
                                    " was revoked and cannot be registered "
                                    "again");
        }
        for (const KeyGrant& g : it->second.grants) {
          if (g.role == k.getRole() && g.jurisdiction == jurisdiction) {
            return AlreadyExists("key " + KeyLabel(key) + " already holds " +
                                 RoleName(g.role) + " in " + jurisdiction);
          }
        }
      }
      return Status::Ok();
    }
    case Event::KEY_REVOKED: {
      ASSIGN_OR_RETURN(crypto::PublicKey key,
                       KeyFrom(event.getKeyRevoked().getKey(), "key"));
      auto it = keys_.find(key);
      if (it == keys_.end()) {
        return NotFound("keyRevoked: key " + KeyLabel(key) +
                        " is not registered");
      }
      if (it->second.revoked_at) {
        return FailedPrecondition("keyRevoked: key " + KeyLabel(key) +
                                  " is already revoked");
      }
      return Status::Ok();
    }
    default:
      return Status::Ok();
  }
}

Status Authority::Check(uint64_t index, schema::AuthoredEvent::Reader authored,
                        const TargetLookup& lookup) const {
  return CheckEntry(index, authored, lookup, nullptr);
}

Status Authority::Check(uint64_t index, schema::AuthoredEvent::Reader authored,
                        const TargetLookup& lookup,
                        const Subject& subject) const {
  return CheckEntry(index, authored, lookup, &subject);
}

Status Authority::CheckEntry(uint64_t index,
                             schema::AuthoredEvent::Reader authored,
                             const TargetLookup& lookup,
                             const Subject* subject) const {
  Event::Reader event = authored.getEvent();
  const Event::Which kind = event.which();
  // Built only for a refusal's message: most entries are accepted.
  auto kind_name = [kind] { return EventKindName(kind); };
  ASSIGN_OR_RETURN(crypto::PublicKey author,
                   KeyFrom(authored.getAuthorKey(), "authorKey"));
  // A view of the entry's bytes, not a copy: every entry is checked here.
  const std::string_view jurisdiction = TextView(authored.getJurisdiction());

  if (index == 0 || kind == Event::GENESIS) {
    if (index != 0) {
      return PermissionDenied("genesis may only be entry 0, not entry " +
                              std::to_string(index));
    }
    if (kind != Event::GENESIS) {
      return PermissionDenied("entry 0 must be genesis, not " + kind_name());
    }
    auto g = event.getGenesis();
    ASSIGN_OR_RETURN(crypto::PublicKey root,
                     KeyFrom(g.getRootKey(), "rootKey"));
    if (root != author) {
      return PermissionDenied(
          "genesis must be signed by the root key it names");
    }
    if (g.getOrigin().size() == 0) {
      return InvalidArgument("genesis: origin is empty");
    }
    if (ToString(authored.getOrigin()) != ToString(g.getOrigin())) {
      return PermissionDenied("genesis: the authored event's origin \"" +
                              ToString(authored.getOrigin()) +
                              "\" must equal the genesis origin \"" +
                              ToString(g.getOrigin()) + "\"");
    }
    // An empty text and a null pointer are the same value (FORMAT.md,
    // "Canonical Cap'n Proto"): only a non-empty key is checked.
    if (g.getCheckpointKey().size() > 0) {
      auto vkey =
          note::ParseVerifierKey(ledger::TextView(g.getCheckpointKey()));
      if (!vkey.ok()) {
        return InvalidArgument("genesis: checkpointKey: " +
                               vkey.status().message());
      }
      if (vkey->name != ToString(g.getOrigin())) {
        return InvalidArgument(
            "genesis: checkpointKey must be named after the origin");
      }
    }
    if (g.getFormatVersion() != kFormatVersion) {
      return InvalidArgument("genesis: unsupported format version " +
                             std::to_string(g.getFormatVersion()));
    }
    return Status::Ok();
  }
  if (!root_key_) return FailedPrecondition("the log has no genesis entry");
  // Format 2: a signature is valid in one log only, so a genuine signed
  // event cannot be replayed into another log.
  if (TextView(authored.getOrigin()) != origin_) {
    return PermissionDenied("event signed for log \"" +
                            ToString(authored.getOrigin()) +
                            "\", not for this log (\"" + origin_ + "\")");
  }

  if (IsRegistryEvent(kind)) {
    if (author != *root_key_) {
      return PermissionDenied(kind_name() +
                              " must be signed by the root key; " +
                              KeyLabel(author) + " is not the root key");
    }
    if (!jurisdiction.empty()) {
      return InvalidArgument(kind_name() +
                             " is deployment-level: its jurisdiction must be "
                             "\"\"");
    }
    return CheckRegistryEvent(authored);
  }

  if (kind == Event::CORRECTION) {
    uint64_t target = event.getCorrection().getTarget();
    if (target >= index) {
      return InvalidArgument("correction targets entry " +
                             std::to_string(target) +
                             ", which is not before it");
    }
    ASSIGN_OR_RETURN(CorrectionTarget t, lookup(target));
    if (IsRegistryEvent(t.kind) || t.kind == Event::CORRECTION) {
      return InvalidArgument("entry " + std::to_string(target) + " (" +
                             EventKindName(t.kind) + ") cannot be corrected; " +
                             (t.kind == Event::CORRECTION
                                  ? "correct the original entry instead"
                                  : "use keyRevoked or register anew"));
    }
    if (t.jurisdiction != jurisdiction) {
      return PermissionDenied("correction in " + std::string(jurisdiction) +
                              " targets an entry of jurisdiction " +
                              t.jurisdiction);
    }
    auto c = event.getCorrection();
    if (c.isReplacement() && c.getReplacement().which() != t.kind) {
      return InvalidArgument("correction replaces a " + EventKindName(t.kind) +
                             " with a " +
                             EventKindName(c.getReplacement().which()));
    }
    std::vector<Role> roles = t.roles;
    if (c.isReplacement()) {
      // The replacement must be authorizable too (e.g. a screening decision
      // moved to another stage needs that stage's role).
      std::vector<Role> replacement_roles = RolesAllowedFor(c.getReplacement());
      std::vector<Role> both;
      for (Role r : roles) {
        if (std::find(replacement_roles.begin(), replacement_roles.end(), r) !=
            replacement_roles.end()) {
          both.push_back(r);
        }
      }
      roles = both;
    }
    return CheckRole(
        author, [&] { return "correction of " + EventKindName(t.kind); },
        jurisdiction, roles, subject);
  }

  return CheckRole(author, kind_name, jurisdiction, AllowedRoles(event).span(),
                   subject);
}

Authority Authority::FromParts(
    std::optional<crypto::PublicKey> root_key, std::string origin,
    std::map<std::string, Jurisdiction> jurisdictions,
    std::map<crypto::PublicKey, KeyRecord> keys) {
  Authority a;
  a.root_key_ = root_key;
  a.origin_ = std::move(origin);
  a.jurisdictions_ = std::move(jurisdictions);
  a.keys_ = std::move(keys);
  for (const auto& [code, rec] : a.jurisdictions_) {
    a.jurisdiction_codes_.insert(code);
  }
  a.IndexKeys();
  return a;
}

void Authority::Apply(uint64_t index, schema::AuthoredEvent::Reader authored) {
  Event::Reader event = authored.getEvent();
  switch (event.which()) {
    case Event::GENESIS: {
      auto g = event.getGenesis();
      crypto::PublicKey root;
      std::memcpy(root.data(), g.getRootKey().begin(), root.size());
      root_key_ = root;
      origin_ = ToString(g.getOrigin());
      break;
    }
    case Event::JURISDICTION_REGISTERED: {
      auto j = event.getJurisdictionRegistered();
      Jurisdiction rec{ToString(j.getCode()), ToString(j.getName()),
                       j.getLevel(), ToString(j.getParentCode()), index};
      jurisdiction_codes_.insert(rec.code);
      jurisdictions_.emplace(rec.code, std::move(rec));
      break;
    }
    case Event::KEY_REGISTERED: {
      auto k = event.getKeyRegistered();
      crypto::PublicKey key;
      std::memcpy(key.data(), k.getKey().begin(), key.size());
      KeyRecord& rec = keys_[key];
      key_index_.emplace(key, &rec);
      rec.key = key;
      rec.grants.push_back(KeyGrant{k.getRole(), ToString(k.getJurisdiction()),
                                    ToString(k.getHolder()), index});
      break;
    }
    case Event::KEY_REVOKED: {
      crypto::PublicKey key;
      std::memcpy(key.data(), event.getKeyRevoked().getKey().begin(),
                  key.size());
      KeyRecord& rec = keys_[key];
      key_index_.emplace(key, &rec);
      rec.revoked_at = index;
      break;
    }
    default:
      break;
  }
}

}  // namespace piaojue::ledger
