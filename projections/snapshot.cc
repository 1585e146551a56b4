// State snapshots as binary records, written and read one record at a time.
// See docs/FORMAT.md, "Projection snapshots", for the spec a second reader
// is written from.
//
//   snapshot = magic record* end
//   magic    = "piaojue-projections-snapshot/3\n"          (31 bytes)
//   record   = u8(tag) || u32le(length) || body[length]
//   end      = u8(0xFF) || u32le(length) || uint(records before it)
//
// In a body: uint = unsigned LEB128 in its shortest form; int = zigzag, then
// uint; bool = one byte, 0 or 1; text = uint(length) || UTF-8 bytes; list =
// uint(count) || items; a record's fields in the order of its Fields()
// below. Records come in tag order (head first), and within a tag in
// strictly increasing key order, so equal states give equal bytes and every
// accepted snapshot writes back to exactly its own bytes.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "ledger/crypto.h"
#include "projections/internal/model.h"
#include "projections/internal/snapshot_codec.h"
#include "projections/state.h"

namespace piaojue::projections {
namespace internal {
namespace {

enum Tag : uint8_t {
  kHead = 0x01,
  kJurisdiction = 0x02,
  kAuthor = 0x03,
  kKeyHolder = 0x04,
  kKeyGrants = 0x05,
  kEntry = 0x06,
  kTouches = 0x07,
  kCycle = 0x08,
  kProposal = 0x09,
  kVote = 0x0A,
  kDeliberation = 0x0B,
  kRound = 0x0C,
  kBox = 0x0D,
  kProject = 0x0E,
  kInspection = 0x0F,
  kRectification = 0x10,
  kCorrection = 0x11,
  kRetractedProposal = 0x12,
  kEnd = 0xFF,
};

constexpr size_t kRecordHeader = 5;         // tag, u32le length
constexpr size_t kChunk = size_t{1} << 20;  // what is written/read at once

// ---- The fields of each record, in the order they are written -----------
// `v` is an Encoder (R const) or a Decoder. docs/FORMAT.md lists the same
// fields in the same order; a change here is a new format version.
#define PIAOJUE_FIELDS(Type)                          \
  template <class V, class R>                         \
  requires std::same_as<std::remove_const_t<R>, Type> \
  void Fields(V& v, R& r)

PIAOJUE_FIELDS(Date) { v(r.year, r.month, r.day); }
// The same bytes as the Date it holds (signed fields, as Date's).
PIAOJUE_FIELDS(CompactDate) { v(r.year, r.month, r.day); }
PIAOJUE_FIELDS(ItemCount) {
  v(r.item, r.approve, r.oppose, r.abstain, r.satisfaction_abstain);
}
PIAOJUE_FIELDS(BallotCount) {
  v(r.read, r.unreadable, r.valid, r.invalid, r.items);
}
// An entry's record as the format has it (the model interns the
// jurisdiction and keeps the corrections beside its entries).
struct EntryRecord {
  int kind = 0;
  std::string jurisdiction;
  uint32_t author = 0;
  int64_t signed_at_ms = 0;
  int64_t recorded_at_ms = 0;
  uint64_t owner = kNoRef;
  bool retracted = false;
  AppendList<uint64_t> corrections;
};
PIAOJUE_FIELDS(EntryRecord) {
  v(r.kind, r.jurisdiction, r.author, r.signed_at_ms, r.recorded_at_ms, r.owner,
    r.retracted, r.corrections);
}
PIAOJUE_FIELDS(Touch) { v(r.entry, r.relation); }
PIAOJUE_FIELDS(KeyGrantRec) { v(r.role, r.jurisdiction); }
PIAOJUE_FIELDS(CorrectionRec) {
  v(r.entry, r.target, r.owner, r.reason, r.retraction, r.before, r.after);
}
PIAOJUE_FIELDS(JurisdictionRec) {
  v(r.code, r.name, r.level, r.parent, r.registered_at);
}
PIAOJUE_FIELDS(MilestoneRule) {
  v(r.due, r.min_percent_bp, r.must_start, r.must_be_accepted, r.label);
}
PIAOJUE_FIELDS(CandidateRec) {
  v(r.proposal, r.name, r.content, r.agency, r.investment_fen, r.requirements);
}
PIAOJUE_FIELDS(CycleRec) {
  v(r.ref, r.jurisdiction, r.year, r.level, r.title, r.budget_fen,
    r.project_count, r.collection_start, r.collection_end, r.scope, r.backfill,
    r.backfill_reason, r.schedule, r.proposals, r.retracted_proposals,
    r.candidate_list, r.candidates, r.list_sent_on, r.selection_vote, r.votes,
    r.deliberations, r.projects);
}
PIAOJUE_FIELDS(Eligibility) {
  v(r.own_budget, r.broad_benefit, r.completable_in_year,
    r.not_major_engineering, r.land_policy_funding_secured);
}
// A proposal's view texts are kept beside its fields (ProposalTexts) and
// written where the format has them: in its details (description, funding
// note), among its own fields, and in each screening stage (reason text).
// Read back into the proposal's own texts, whose block is dropped again
// when every text is empty (DropEmptyTexts), as a rules-only state has
// none: a state read back holds what the one written held.
template <class R>
auto& TextsOf(R& r) {
  if constexpr (std::is_const_v<R>) {
    return r.texts();
  } else {
    return r.mut_texts();
  }
}
inline void DropEmptyTexts(ProposalRec& r) {
  const ProposalTexts& t = r.texts();
  const bool empty =
      t.description.empty() && t.funding_note.empty() &&
      t.proposer_name.empty() && t.receipt_ref.empty() &&
      t.merge_reason.empty() &&
      std::all_of(t.reason_text.begin(), t.reason_text.end(),
                  [](const CompactText& x) { return x.empty(); });
  if (empty) r.texts_held = Held<ProposalTexts>();
}
// The title and location, kept in one block (TitleAndLocation), are two
// fields of the format's details.
PIAOJUE_FIELDS(ProposalRec) {
  auto& t = TextsOf(r);
  auto& d = r.details;
  v(r.ref, r.cycle, r.merged);
  if constexpr (std::is_const_v<R>) {
    v(d.title(), t.description, d.category, d.location(), d.investment_fen,
      d.funding_source, t.funding_note, d.expected_completion);
  } else {
    CompactText title, location;
    v(title, t.description, d.category, location, d.investment_fen,
      d.funding_source, t.funding_note, d.expected_completion);
    d.names = TitleAndLocation(title, location);
  }
  v(r.proposer_type, t.proposer_name, r.channel, t.receipt_ref, r.received_on,
    t.merge_reason, r.sources, r.merged_into);
  for (size_t i = 0; i < r.screening.size(); ++i) {
    auto& s = r.screening[i];
    v(s.entry, s.outcome, s.reason_code, t.reason_text[i], s.eligibility);
  }
  v(r.candidate, r.elected_round);
  if constexpr (!std::is_const_v<R>) DropEmptyTexts(r);
}
PIAOJUE_FIELDS(VoteRec) {
  v(r.ref, r.cycle, r.purpose, r.seats, r.extra_candidates, r.entitled,
    r.quorum_num, r.quorum_den, r.pass_base, r.tie_rule, r.shortfall_rule,
    r.max_approvals, r.items, r.exactly_half_passes, r.min_ballots_per_box,
    r.revote_reason, r.adopted_on, r.text, r.rounds);
}
PIAOJUE_FIELDS(DeliberationRec) {
  v(r.ref, r.cycle, r.session, r.held_on, r.summary);
}
PIAOJUE_FIELDS(BoxRec) {
  v(r.ref, r.round, r.label, r.monitors, r.opened, r.issued, r.collected,
    r.opened_monitors, r.part_count, r.parts, r.count);
}
PIAOJUE_FIELDS(CertifiedTally) {
  v(r.issued, r.collected, r.valid, r.invalid, r.items, r.certified_by);
}
PIAOJUE_FIELDS(RoundRec) {
  v(r.ref, r.vote, r.number, r.items, r.seats, r.present, r.max_approvals,
    r.boxes, r.tally, r.certified, r.result, r.elected, r.tied, r.vacant,
    r.grades, r.announced_on, r.voided, r.void_reason, r.voided_on);
}
PIAOJUE_FIELDS(PlanMilestoneRec) { v(r.due, r.percent_bp, r.description); }
PIAOJUE_FIELDS(PlanRec) {
  v(r.entry, r.agency, r.leader, r.plan, r.budget_fen, r.milestones);
}
PIAOJUE_FIELDS(AttachmentRec) { v(r.sha256, r.name, r.media_type); }
PIAOJUE_FIELDS(ProgressVersion) { v(r.recorded_on, r.percent_bp, r.started); }
PIAOJUE_FIELDS(ProgressRec) {
  v(r.entry, r.as_of, r.percent_bp, r.spent_fen, r.started, r.narrative,
    r.evidence, r.versions);
}
PIAOJUE_FIELDS(NoticeRec) { v(r.entry, r.issued_on, r.due_by, r.text); }
PIAOJUE_FIELDS(AdjustmentRec) {
  v(r.entry, r.kind, r.force_majeure, r.legal_basis, r.decision, r.decided_on,
    r.new_budget_fen, r.new_completion);
}
PIAOJUE_FIELDS(AcceptanceRec) { v(r.entry, r.accepted_on, r.passed, r.notes); }
PIAOJUE_FIELDS(EvaluationRec) {
  v(r.entry, r.cost, r.benefit, r.overall, r.evaluators, r.notes);
}
PIAOJUE_FIELDS(ReviewRec) { v(r.entry, r.reviewed_on, r.text); }
PIAOJUE_FIELDS(GradeRec) { v(r.round, r.grade); }
PIAOJUE_FIELDS(ProjectRec) {
  v(r.ref, r.cycle, r.elected_round, r.plan, r.progress, r.inspections,
    r.notices, r.adjustments, r.acceptances, r.evaluations, r.rectifications,
    r.reviews, r.grades);
}
PIAOJUE_FIELDS(InspectionRec) {
  v(r.ref, r.projects, r.inspected_on, r.group, r.findings);
}
PIAOJUE_FIELDS(RectReportRec) {
  v(r.entry, r.reported_on, r.completed, r.text);
}
PIAOJUE_FIELDS(RectificationRec) {
  v(r.ref, r.project, r.ordered_on, r.deadline, r.requirements, r.reports);
}

#undef PIAOJUE_FIELDS

// ---- Kinds of field --------------------------------------------------------

template <class T>
struct IsPair : std::false_type {};
template <class A, class B>
struct IsPair<std::pair<A, B>> : std::true_type {};
template <class T>
struct IsArray : std::false_type {};
template <class E, size_t N>
struct IsArray<std::array<E, N>> : std::true_type {};

// A list: anything with size, iteration and push_back (std::vector, and the
// model's persistent lists, which keep the same interface).
template <class T>
concept List = requires(T& t, const T& c) {
  c.size();
  c.begin();
  c.end();
  t.push_back(std::declval<std::remove_cvref_t<decltype(*c.begin())>>());
};
template <class T>
using ItemOf = std::remove_cvref_t<decltype(*std::declval<const T&>().begin())>;

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t min, cp;
    if ((b & 0xE0) == 0xC0) {
      len = 2, min = 0x80, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3, min = 0x800, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, cp = b & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

// ---- Writing ---------------------------------------------------------------

class Encoder {
 public:
  explicit Encoder(std::string& out) : out_(out) {}
  template <class... T>
  void operator()(const T&... xs) {
    (Put(xs), ...);
  }

 private:
  void Uint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Int(int64_t v) {
    Uint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  template <class T>
  void Put(const T& x) {
    if constexpr (std::is_same_v<T, bool>) {
      out_.push_back(x ? 1 : 0);
    } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
      Uint(x);
    } else if constexpr (std::is_same_v<T, Ref48>) {
      Uint(static_cast<uint64_t>(x));  // as the uint64_t it holds
    } else if constexpr (std::is_integral_v<T>) {
      Int(x);
    } else if constexpr (std::is_same_v<T, std::string> ||
                         std::is_same_v<T, std::string_view> ||
                         std::is_same_v<T, CompactText>) {
      const std::string_view s = x;
      Uint(s.size());
      out_.append(s);
    } else if constexpr (IsPair<T>::value) {
      Put(x.first);
      Put(x.second);
    } else if constexpr (IsArray<T>::value) {
      for (const auto& item : x) Put(item);
    } else if constexpr (List<T>) {
      Uint(x.size());
      for (const auto& item : x) Put(item);
    } else {
      Fields(*this, x);
    }
  }

  std::string& out_;
};

class RecordWriter {
 public:
  explicit RecordWriter(const std::function<Status(std::string_view)>& out)
      : out_(out) {
    buf_.reserve(kChunk + kChunk / 4);
    buf_.append(kSnapshotMagic);
  }

  template <class... T>
  void Record(Tag tag, const T&... fields) {
    if (!status_.ok()) return;
    const size_t at = buf_.size();
    buf_.push_back(static_cast<char>(tag));
    buf_.append(4, '\0');
    Encoder encoder(buf_);
    encoder(fields...);
    const uint64_t length = buf_.size() - at - kRecordHeader;
    // Invariant: no record of the model comes near 4 GiB (the largest is a
    // cycle's audit trail, one short line per entry touching the cycle).
    if (length > std::numeric_limits<uint32_t>::max()) std::abort();
    for (int i = 0; i < 4; ++i) {
      buf_[at + 1 + i] = static_cast<char>((length >> (8 * i)) & 0xFF);
    }
    if (tag != kEnd) ++records_;
    if (buf_.size() >= kChunk) Flush();
  }

  Status Finish() {
    Record(kEnd, records_);
    Flush();
    return status_;
  }

 private:
  void Flush() {
    if (status_.ok() && !buf_.empty()) status_ = out_(buf_);
    buf_.clear();
  }

  const std::function<Status(std::string_view)>& out_;
  std::string buf_;
  uint64_t records_ = 0;
  Status status_ = Status::Ok();
};

// ---- Reading ---------------------------------------------------------------

// Reads the fields of one record's body; the first failure is kept and
// every later read yields zero values (so lists stop at once).
class Decoder {
 public:
  Decoder(std::string_view body, uint64_t offset)
      : p_(body.data()), n_(body.size()), offset_(offset) {}

  template <class... T>
  void operator()(T&... xs) {
    (Get(xs), ...);
  }

  uint64_t Uint() {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      if (pos_ >= n_) {
        Fail("the record ends inside a field");
        return 0;
      }
      const auto b = static_cast<uint8_t>(p_[pos_++]);
      if (shift == 63 && b > 1) {
        Fail("an integer does not fit in 64 bits");
        return 0;
      }
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift > 0) {
          Fail("an integer is not in its shortest form");
          return 0;
        }
        return v;
      }
    }
  }
  int64_t Int() {
    const uint64_t u = Uint();
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  }
  void Fail(std::string why) {
    if (error_.empty()) {
      error_ =
          std::move(why) + " (byte " + std::to_string(offset_ + pos_) + ")";
    }
    pos_ = n_;
    failed_ = true;
  }
  // Ok if every byte of the body was read, and nothing failed.
  Status Done() {
    if (!failed_ && pos_ != n_) Fail("bytes follow the record's last field");
    if (failed_) return Corruption(error_);
    return Status::Ok();
  }
  bool failed() const { return failed_; }

 private:
  template <class T>
  void Get(T& x) {
    if constexpr (std::is_same_v<T, bool>) {
      if (pos_ >= n_) return Fail("the record ends inside a field");
      const auto b = static_cast<uint8_t>(p_[pos_++]);
      if (b > 1) return Fail("a boolean is neither 0 nor 1");
      x = b == 1;
    } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
      const uint64_t v = Uint();
      if (v > std::numeric_limits<T>::max()) {
        return Fail("an integer is out of its field's range");
      }
      x = static_cast<T>(v);
    } else if constexpr (std::is_same_v<T, Ref48>) {
      const uint64_t v = Uint();
      if (v > Ref48::kMax)
        return Fail("an integer is out of its field's range");
      x = v;
    } else if constexpr (std::is_integral_v<T>) {
      const int64_t v = Int();
      if (v < std::numeric_limits<T>::min() ||
          v > std::numeric_limits<T>::max()) {
        return Fail("an integer is out of its field's range");
      }
      x = static_cast<T>(v);
    } else if constexpr (std::is_same_v<T, CompactText>) {
      std::string s;
      Get(s);
      if (!failed_) x = s;
    } else if constexpr (std::is_same_v<T, std::string>) {
      const uint64_t len = Uint();
      if (len > n_ - pos_) return Fail("a text runs past the record");
      x.assign(p_ + pos_, static_cast<size_t>(len));
      if (!IsUtf8(x)) return Fail("a text is not UTF-8");
      pos_ += static_cast<size_t>(len);
    } else if constexpr (IsPair<T>::value) {
      Get(x.first);
      Get(x.second);
    } else if constexpr (IsArray<T>::value) {
      for (auto& item : x) Get(item);
    } else if constexpr (List<T>) {
      const uint64_t count = Uint();
      // Every item takes at least one byte: a count beyond the body's
      // remaining bytes is false (and must not drive an allocation).
      if (count > n_ - pos_) return Fail("a list is longer than the record");
      for (uint64_t i = 0; i < count && !failed_; ++i) {
        ItemOf<T> item{};
        Get(item);
        x.push_back(std::move(item));
      }
    } else {
      Fields(*this, x);
    }
  }

  const char* p_;
  size_t n_;
  size_t pos_ = 0;
  uint64_t offset_;  // of the body in the snapshot, for messages
  bool failed_ = false;
  std::string error_;
};

// The snapshot's bytes, buffered, counting the offset.
class ByteReader {
 public:
  explicit ByteReader(SnapshotSource& in) : in_(in) {}

  // Reads exactly n bytes; *got says how many were there before the end.
  Status Read(char* out, size_t n, size_t* got) {
    *got = 0;
    while (*got < n) {
      if (pos_ == len_) {
        ASSIGN_OR_RETURN(size_t read, in_.Read(buf_.data(), buf_.size()));
        if (read == 0) return Status::Ok();
        pos_ = 0;
        len_ = read;
      }
      const size_t take = std::min(n - *got, len_ - pos_);
      std::memcpy(out + *got, buf_.data() + pos_, take);
      pos_ += take;
      *got += take;
      offset_ += take;
    }
    return Status::Ok();
  }
  uint64_t offset() const { return offset_; }

 private:
  SnapshotSource& in_;
  std::vector<char> buf_ = std::vector<char>(kChunk);
  size_t pos_ = 0, len_ = 0;
  uint64_t offset_ = 0;
};

std::string TagName(uint8_t tag) {
  static constexpr std::array<const char*, 0x13> kNames = {
      "?",
      "head",
      "jurisdiction",
      "author",
      "key holder",
      "key grants",
      "entry",
      "touches",
      "cycle",
      "proposal",
      "vote",
      "deliberation",
      "round",
      "box",
      "project",
      "inspection",
      "rectification",
      "correction",
      "retracted proposal"};
  if (tag == kEnd) return "end";
  if (tag < kNames.size()) return kNames[tag];
  return "unknown tag " + std::to_string(tag);
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

// The model holds a key as its bytes, a snapshot as their hex (as it
// always has): Model::authors.
std::string KeyHex(const crypto::PublicKey& key) {
  return crypto::ToHex(crypto::AsBytes(key));
}

}  // namespace

Status WriteModel(const Model& m,
                  const std::function<Status(std::string_view)>& out) {
  RecordWriter w(out);
  w.Record(kHead, m.size, m.last_recorded_at_ms, m.last_entry_hash, m.origin,
           m.deployment_name);
  for (const auto& [code, j] : m.jurisdictions)
    w.Record(kJurisdiction, code, j);
  for (const crypto::PublicKey& a : m.authors) w.Record(kAuthor, KeyHex(a));
  // In key order, as a std::map of the keys would give them (the bytes'
  // order is their lower-case hex's).
  m.key_holders.ForEach(
      [&](const crypto::PublicKey& key, const std::string& holder) {
        w.Record(kKeyHolder, KeyHex(key), holder);
      });
  m.key_grants.ForEach([&](const crypto::PublicKey& key,
                           const std::vector<KeyGrantRec>& grants) {
    w.Record(kKeyGrants, KeyHex(key), grants);
  });
  for (uint64_t i = 0; i < m.entries.size(); ++i) {
    const EntryMeta& e = m.entries[i];
    w.Record(kEntry, EntryRecord{e.kind, m.JurisdictionOf(e), e.author,
                                 m.SignedAtOf(i), e.recorded_at_ms, e.owner,
                                 e.retracted, m.CorrectionsOf(i)});
  }
  for (const auto& [ref, t] : m.touches) w.Record(kTouches, ref, t);
  for (const auto& [ref, r] : m.cycles) w.Record(kCycle, ref, r);
  for (const auto& [ref, r] : m.proposals) w.Record(kProposal, ref, r);
  for (const auto& [ref, r] : m.votes) w.Record(kVote, ref, r);
  for (const auto& [ref, r] : m.deliberations) w.Record(kDeliberation, ref, r);
  for (const auto& [ref, r] : m.rounds) w.Record(kRound, ref, r);
  for (const auto& [ref, r] : m.boxes) w.Record(kBox, ref, r);
  for (const auto& [ref, r] : m.projects) w.Record(kProject, ref, r);
  for (const auto& [ref, r] : m.inspections) w.Record(kInspection, ref, r);
  for (const auto& [ref, r] : m.rectifications) {
    w.Record(kRectification, ref, r);
  }
  for (const auto& [ref, r] : m.corrections) w.Record(kCorrection, ref, r);
  for (const auto& [ref, r] : m.retracted_proposals) {
    w.Record(kRetractedProposal, ref, r);
  }
  return w.Finish();
}

Status ReadModel(SnapshotSource& in, Model* m) {
  ByteReader r(in);
  std::string body;
  size_t got = 0;
  body.resize(kSnapshotMagic.size());
  RETURN_IF_ERROR(r.Read(body.data(), body.size(), &got));
  if (got != body.size() || body != kSnapshotMagic) {
    if (got > 0 && body[0] == '{') {
      return Corruption(
          "a JSON projections snapshot of an earlier version "
          "(piaojue-projections-snapshot/2 or older), which this version "
          "does not read: the state is rebuilt from the log");
    }
    return Corruption("not a piaojue-projections-snapshot/3 (wrong magic)");
  }

  // What the records built so far; moved into the model at the end.
  std::map<std::string, JurisdictionRec> jurisdictions;

  uint64_t records = 0;
  uint8_t last_tag = 0;
  bool have_key = false;
  uint64_t last_key = 0;
  std::string last_text_key;
  std::array<char, kRecordHeader> header;
  for (;;) {
    const uint64_t at = r.offset();
    RETURN_IF_ERROR(r.Read(header.data(), header.size(), &got));
    if (got != header.size()) {
      return Corruption(
          "the snapshot is truncated: it ends at byte " +
          std::to_string(at + got) +
          (got == 0 ? " without its end record" : " inside a record header"));
    }
    const auto tag = static_cast<uint8_t>(header[0]);
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= static_cast<uint32_t>(static_cast<uint8_t>(header[1 + i]))
                << (8 * i);
    }
    const std::string where = "record " + std::to_string(records) + " (" +
                              TagName(tag) + ", byte " + std::to_string(at) +
                              "): ";
    // The body, read in chunks: a false length fails at the end of the
    // bytes, not by allocating what it claims.
    body.clear();
    while (body.size() < length) {
      const size_t old = body.size();
      const size_t chunk = std::min<size_t>(length - old, kChunk);
      body.resize(old + chunk);
      RETURN_IF_ERROR(r.Read(body.data() + old, chunk, &got));
      if (got != chunk) {
        return Corruption(where +
                          "the snapshot is truncated: it ends at byte " +
                          std::to_string(r.offset()) + ", inside the record");
      }
    }
    const uint64_t body_at = at + kRecordHeader;
    Decoder d(body, body_at);

    if (records == 0 && tag != kHead) {
      return Corruption(where + "the first record is not the head");
    }
    if (tag == kEnd) {
      const uint64_t count = d.Uint();
      RETURN_IF_ERROR(d.Done());
      if (count != records) {
        return Corruption(where + "the end record counts " +
                          std::to_string(count) + " records, not " +
                          std::to_string(records));
      }
      char extra;
      RETURN_IF_ERROR(r.Read(&extra, 1, &got));
      if (got != 0) {
        return Corruption("bytes follow the end record (byte " +
                          std::to_string(r.offset() - 1) + ")");
      }
      break;
    }
    if (tag < last_tag || (tag == kHead && records > 0) || tag > 0x12) {
      return Corruption(
          where + (tag > 0x12 ? "unknown record" : "record out of order"));
    }
    if (tag != last_tag) {
      have_key = false;
      last_text_key.clear();
    }
    last_tag = tag;
    ++records;

    // A key strictly greater than the previous one of the same kind.
    auto uint_key = [&]() -> uint64_t {
      const uint64_t k = d.Uint();
      if (!d.failed() && have_key && k <= last_key) {
        d.Fail("keys are not in strictly increasing order");
      }
      have_key = true;
      last_key = k;
      return k;
    };
    // A key as the writer writes it (KeyHex), or a failure: read back, the
    // state writes the same bytes again.
    auto key_of = [&](const std::string& hex, crypto::PublicKey* key) {
      if (d.failed()) return;
      if (!crypto::FromHex(hex, *key).ok() || KeyHex(*key) != hex) {
        d.Fail("a key is not hex of 32 bytes in lower case");
      }
    };
    auto text_key = [&]() -> std::string {
      std::string k;
      d(k);
      if (!d.failed() && have_key && k <= last_text_key) {
        d.Fail("keys are not in strictly increasing order");
      }
      have_key = true;
      last_text_key = k;
      return k;
    };
    auto keyed = [&](auto& map) {
      const uint64_t k = uint_key();
      typename std::remove_cvref_t<decltype(*map.get(0))> rec{};
      d(rec);
      if (!d.failed()) map.emplace(k, std::move(rec));
    };

    switch (tag) {
      case kHead:
        d(m->size, m->last_recorded_at_ms, m->last_entry_hash, m->origin,
          m->deployment_name);
        if (!d.failed() &&
            (m->size == 0 ? !m->last_entry_hash.empty()
                          : m->last_entry_hash.size() != 64 ||
                                !IsLowerHex(m->last_entry_hash))) {
          d.Fail("the last entry hash is not 64 lowercase hex digits");
        }
        break;
      case kJurisdiction: {
        std::string code = text_key();
        JurisdictionRec rec;
        d(rec);
        if (!d.failed()) {
          jurisdictions.emplace_hint(jurisdictions.end(), std::move(code),
                                     std::move(rec));
        }
        break;
      }
      case kAuthor: {
        std::string hex;
        d(hex);
        crypto::PublicKey key;
        key_of(hex, &key);
        if (!d.failed()) m->authors.push_back(std::move(key));
        break;
      }
      case kKeyHolder: {
        const std::string hex = text_key();
        std::string holder;
        d(holder);
        crypto::PublicKey key;
        key_of(hex, &key);
        if (!d.failed()) m->key_holders.slot(key) = std::move(holder);
        break;
      }
      case kKeyGrants: {
        const std::string hex = text_key();
        std::vector<KeyGrantRec> grants;
        d(grants);
        crypto::PublicKey key;
        key_of(hex, &key);
        if (!d.failed()) m->key_grants.slot(key) = std::move(grants);
        break;
      }
      case kEntry: {
        EntryRecord e;
        d(e);
        if (d.failed()) break;
        if (e.kind < 0 || e.kind > UINT16_MAX) {
          return Corruption(where + "entry kind out of range");
        }
        // An owner is an earlier entry's index (checked with the rest
        // below); one past what the model's record holds cannot be kept.
        if (e.owner > EntryMeta::kMaxOwner) {
          return Corruption(where + "entry owner out of range");
        }
        const uint64_t i = m->entries.size();
        m->AddEntry(
            EntryMeta{.recorded_at_ms = e.recorded_at_ms,
                      .owner = e.owner,
                      .retracted = e.retracted,
                      .kind = static_cast<uint16_t>(e.kind),
                      .jurisdiction = m->InternJurisdiction(e.jurisdiction),
                      .author = e.author},
            e.signed_at_ms);
        if (!e.corrections.empty()) {
          m->entry_corrections.slot(i) = std::move(e.corrections);
        }
        break;
      }
      case kTouches: {
        const uint64_t k = uint_key();
        std::remove_cvref_t<decltype(m->touches.at(0))> touches{};
        d(touches);
        if (!d.failed()) m->touches.emplace(k, std::move(touches));
        break;
      }
      case kCycle:
        keyed(m->cycles);
        break;
      case kProposal:
        keyed(m->proposals);
        break;
      case kVote:
        keyed(m->votes);
        break;
      case kDeliberation:
        keyed(m->deliberations);
        break;
      case kRound:
        keyed(m->rounds);
        break;
      case kBox:
        keyed(m->boxes);
        break;
      case kProject:
        keyed(m->projects);
        break;
      case kInspection:
        keyed(m->inspections);
        break;
      case kRectification:
        keyed(m->rectifications);
        break;
      case kCorrection:
        keyed(m->corrections);
        break;
      case kRetractedProposal:
        keyed(m->retracted_proposals);
        break;
      default:
        return Corruption(where + "unknown record");
    }
    Status done = d.Done();
    if (!done.ok()) return Corruption(where + done.message());
  }
  if (m->entries.size() != m->size) {
    return Corruption("the head says " + std::to_string(m->size) +
                      " entries, the snapshot holds " +
                      std::to_string(m->entries.size()));
  }
  m->jurisdictions.mut() = std::move(jurisdictions);
  return Status::Ok();
}

// The fold and the views follow the model's indices and references without
// checking them (the rules guaranteed them when the entries were applied).
// A snapshot is a file anyone with disk access can damage or edit, so before
// it is used every index must be in range and every reference must name a
// record of the right kind: otherwise the snapshot is Corruption and the
// state is rebuilt from the log. (A consistent but false snapshot is not
// detected here: snapshots are a cache; the verifier never reads them.)
Status CheckConsistent(const Model& m) {
  const uint64_t n = m.entries.size();
  std::string why;
  auto fail = [&](std::string what) {
    if (why.empty()) why = std::move(what);
  };
  auto in_log = [&](uint64_t ref, const char* what) {
    if (ref >= n) fail(std::string(what) + " " + std::to_string(ref));
  };
  auto ref_or_none = [&](uint64_t ref, const char* what) {
    if (ref != kNoRef) in_log(ref, what);
  };
  auto names = [&](const auto& records, uint64_t ref, const char* what) {
    if (!records.count(ref)) {
      fail(std::string(what) + " " + std::to_string(ref) + " is missing");
    }
  };
  auto none_or = [&](const auto& records, uint64_t ref, const char* what) {
    if (ref != kNoRef) names(records, ref, what);
  };
  auto keyed = [&](const auto& records, const char* what) {
    for (const auto& [key, rec] : records) {
      if (key >= n || key == kNoRef || rec.ref != key) {
        fail(std::string(what) + " " + std::to_string(key) +
             " is not keyed by its own entry");
      }
    }
  };
  for (uint64_t i = 0; i < n; ++i) {
    const internal::EntryMeta& e = m.entries[i];
    if (e.author >= m.authors.size()) {
      fail("entry " + std::to_string(i) + " names an unknown author");
    }
    in_log(e.owner, "owner");
    for (uint64_t c : m.CorrectionsOf(i)) {
      if (c <= i || c >= n) fail("entry " + std::to_string(i) + " correction");
    }
  }
  for (const auto& [record, touches] : m.touches) {
    in_log(record, "touched record");
    for (const internal::Touch& t : touches) in_log(t.entry, "touch");
  }
  keyed(m.cycles, "cycle");
  keyed(m.proposals, "proposal");
  keyed(m.votes, "vote");
  keyed(m.deliberations, "deliberation");
  keyed(m.rounds, "round");
  keyed(m.boxes, "box");
  keyed(m.projects, "project");
  keyed(m.inspections, "inspection");
  keyed(m.rectifications, "rectification");
  keyed(m.retracted_proposals, "retracted proposal");
  for (const auto& [entry, c] : m.corrections) {
    if (entry >= n || c.entry != entry || c.target >= entry || c.owner >= n) {
      fail("correction " + std::to_string(entry) + " is out of place");
    }
  }
  for (const auto& [ref, c] : m.cycles) {
    for (uint64_t p : c.proposals) names(m.proposals, p, "cycle proposal");
    for (uint64_t p : c.retracted_proposals) {
      names(m.retracted_proposals, p, "retracted proposal");
    }
    for (const internal::CandidateRec& cand : c.candidates) {
      names(m.proposals, cand.proposal, "candidate");
    }
    ref_or_none(c.candidate_list, "candidate list");
    none_or(m.votes, c.selection_vote, "selection vote");
    for (uint64_t v : c.votes) names(m.votes, v, "cycle vote");
    for (uint64_t d : c.deliberations) {
      names(m.deliberations, d, "deliberation");
    }
    for (uint64_t p : c.projects) names(m.projects, p, "cycle project");
  }
  for (const auto& [ref, p] : m.proposals) {
    names(m.cycles, p.cycle, "proposal cycle");
    for (uint64_t s : p.sources) names(m.proposals, s, "merge source");
    none_or(m.proposals, p.merged_into, "merged into");
    for (const internal::ScreeningRec& r : p.screening) {
      ref_or_none(r.entry, "screening");
    }
    none_or(m.rounds, p.elected_round, "elected round");
  }
  for (const auto& [ref, v] : m.votes) {
    names(m.cycles, v.cycle, "vote cycle");
    for (uint64_t r : v.rounds) names(m.rounds, r, "vote round");
    for (uint64_t item : v.items) names(m.proposals, item, "rated item");
  }
  for (const auto& [ref, d] : m.deliberations) {
    names(m.cycles, d.cycle, "deliberation cycle");
  }
  for (const auto& [ref, r] : m.rounds) {
    names(m.votes, r.vote, "round vote");
    for (uint64_t b : r.boxes) names(m.boxes, b, "round box");
    for (uint64_t item : r.items) names(m.proposals, item, "round item");
    for (uint64_t e : r.elected) names(m.proposals, e, "elected");
    for (const auto& [item, grade] : r.grades) {
      names(m.projects, item, "graded");
    }
    ref_or_none(r.tally, "tally");
    ref_or_none(r.result, "result");
    ref_or_none(r.voided, "void");
  }
  for (const auto& [ref, b] : m.boxes) {
    names(m.rounds, b.round, "box round");
    ref_or_none(b.opened, "box opening");
    for (uint64_t part : b.parts) in_log(part, "ballots");
    if (m.rounds.count(b.round) &&
        b.count.items.size() != m.rounds.at(b.round).items.size()) {
      fail("box " + std::to_string(ref) + " counts the wrong items");
    }
  }
  for (const auto& [ref, p] : m.projects) {
    names(m.proposals, ref, "project proposal");
    names(m.cycles, p.cycle, "project cycle");
    none_or(m.rounds, p.elected_round, "project round");
    ref_or_none(p.plan.entry, "plan");
    for (const auto& r : p.progress) in_log(r.entry, "progress");
    for (uint64_t i : p.inspections) names(m.inspections, i, "inspection");
    for (const auto& r : p.notices) in_log(r.entry, "notice");
    for (const auto& r : p.adjustments) in_log(r.entry, "adjustment");
    for (const auto& r : p.acceptances) in_log(r.entry, "acceptance");
    for (const auto& r : p.evaluations) in_log(r.entry, "evaluation");
    for (uint64_t r : p.rectifications) {
      names(m.rectifications, r, "rectification");
    }
    for (const auto& r : p.reviews) in_log(r.entry, "review");
    for (const auto& g : p.grades) names(m.rounds, g.round, "grade round");
  }
  for (const auto& [ref, i] : m.inspections) {
    for (uint64_t p : i.projects) names(m.projects, p, "inspected project");
  }
  for (const auto& [ref, r] : m.rectifications) {
    names(m.projects, r.project, "rectified project");
    for (const auto& rep : r.reports) in_log(rep.entry, "rectification report");
  }
  if (!why.empty()) return Corruption("inconsistent snapshot: " + why);
  return Status::Ok();
}

namespace {

class StringSource : public SnapshotSource {
 public:
  explicit StringSource(std::string_view bytes) : rest_(bytes) {}
  Result<size_t> Read(char* out, size_t n) override {
    n = std::min(n, rest_.size());
    std::memcpy(out, rest_.data(), n);
    rest_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view rest_;
};

}  // namespace
}  // namespace internal

Status State::WriteSnapshot(
    const std::function<Status(std::string_view)>& out) const {
  return internal::WriteModel(*model_, out);
}

std::string State::Serialize() const {
  std::string bytes;
  internal::WriteModel(*model_, [&](std::string_view chunk) {
    bytes.append(chunk);
    return Status::Ok();
  }).PermitUncheckedError();  // appending to a string cannot fail
  return bytes;
}

Result<State> State::ReadSnapshot(SnapshotSource& in) {
  State state;
  internal::Model& m = *state.model_;
  RETURN_IF_ERROR(internal::ReadModel(in, &m));
  RETURN_IF_ERROR(internal::CheckConsistent(m));
  for (uint32_t i = 0; i < m.authors.size(); ++i) {
    if (!m.author_ids.emplace(m.authors[i], i)) {
      return Corruption("inconsistent snapshot: author " +
                        crypto::ToHex(crypto::AsBytes(m.authors[i])) +
                        " is listed twice");
    }
  }
  return state;
}

Result<State> State::Deserialize(std::string_view bytes) {
  internal::StringSource in(bytes);
  return ReadSnapshot(in);
}

}  // namespace piaojue::projections
