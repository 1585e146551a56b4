// The records the fold keeps: one struct per kind of record, keyed by the log
// index of the entry that created it. Private to projections/: the public
// surface is state.h (rules) and views.h (JSON).
//
// Invariants kept by the rules (rules_*.cc) and relied on by the views:
//  - every reference stored here names a live record of the right kind in
//    the same jurisdiction (retracting a record that others use is refused);
//  - entries[i] exists for every applied entry i (size == entries.size()).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ledger/crypto.h"
#include "projections/dates.h"
#include "projections/internal/persistent.h"
#include "projections/internal/shared_block.h"
#include "projections/tally.h"

namespace piaojue::projections::internal {

// Entry 0 is always genesis, never a record: 0 means "no reference".
inline constexpr uint64_t kNoRef = 0;

// A text that is usually empty, or only shown by the views: one pointer
// (8 bytes, null when empty) to its length and bytes, where a std::string
// takes 32 bytes even when empty. Used for the texts a rules-only state
// (Model::keep_view_data false) never keeps, which a proposal has eight of:
// 192 bytes a proposal (~60 MB in a province of a million entries), and
// for the long texts of records that change after they are created (a
// cycle's scope, a candidate's content, a project's plan).
//
// A text is never written after it is made, so a copy shares it (a count
// of its holders beside its length): copying a record — what the fold does
// when it changes a record a kept past state shares — copies no text
// (docs/PERFORMANCE.md, "Past states kept in memory"). The count is atomic:
// distinct copies of a state may be released on distinct threads.
class CompactText {
 public:
  CompactText() = default;
  CompactText(std::string_view s) : p_(Make(s)) {}  // NOLINT: a text
  CompactText(const char* s) : CompactText(std::string_view(s)) {}
  CompactText(const std::string& s) : CompactText(std::string_view(s)) {}
  CompactText& operator=(std::string_view s) {
    p_ = Block(Make(s));
    return *this;
  }
  CompactText& operator=(const std::string& s) {
    return *this = std::string_view(s);
  }
  CompactText& operator=(const char* s) { return *this = std::string_view(s); }

  std::string_view view() const {
    const Header* h = p_.get();
    if (h == nullptr) return {};
    return {reinterpret_cast<const char*>(h + 1), h->size};
  }
  operator std::string_view() const { return view(); }  // NOLINT
  std::string str() const { return std::string(view()); }
  bool empty() const { return p_.get() == nullptr; }
  size_t size() const { return view().size(); }
  friend bool operator==(const CompactText& a, const CompactText& b) {
    return a.view() == b.view();
  }

 private:
  struct Header {
    std::atomic<uint32_t> refs{1};
    uint32_t size = 0;
  };
  using Block = SharedBlock<Header, FreeWithBytes<Header>>;
  static Header* Make(std::string_view s) {
    if (s.empty()) return nullptr;
    Header* h = NewWithBytes<Header>(s.size());
    h->size = static_cast<uint32_t>(s.size());
    std::memcpy(reinterpret_cast<char*>(h + 1), s.data(), s.size());
    return h;
  }
  Block p_;  // [refs][length][bytes]; null when empty
};

// A day in 4 bytes where a Date takes 12, for the dates every proposal
// keeps (a few hundred thousand in a province): the rules accept only
// calendar days (year 1..9999) or none (unset), and a snapshot's reader
// refuses a year, month or day past its field. Reads as the Date it holds.
struct CompactDate {
  int16_t year = 0;
  int8_t month = 0;
  int8_t day = 0;

  CompactDate() = default;
  CompactDate(const Date& d)  // NOLINT: a day
      : year(static_cast<int16_t>(d.year)),
        month(static_cast<int8_t>(d.month)),
        day(static_cast<int8_t>(d.day)) {}
  operator Date() const { return Date{year, month, day}; }  // NOLINT
  Date date() const { return *this; }
  bool unset() const { return year == 0 && month == 0 && day == 0; }
};
static_assert(sizeof(CompactDate) == 4);

// A proposal's title and location, the two texts every kind of state keeps
// for each of a province's few hundred thousand proposals, in one block
// (null when both are empty): their lengths and bytes under one count of
// holders, where two CompactTexts took two blocks, two headers and two
// pointers (a block's header and rounding in malloc are ~16 bytes). Shared
// by copies, as a CompactText; never written after it is made.
class TitleAndLocation {
 public:
  TitleAndLocation() = default;
  TitleAndLocation(std::string_view title, std::string_view location) {
    if (title.empty() && location.empty()) return;
    Header* h = NewWithBytes<Header>(title.size() + location.size());
    h->title_size = static_cast<uint32_t>(title.size());
    h->location_size = static_cast<uint32_t>(location.size());
    // An empty view may have no bytes behind it (a null pointer), which
    // memcpy must not be given even for no bytes.
    char* bytes = reinterpret_cast<char*>(h + 1);
    if (!title.empty()) std::memcpy(bytes, title.data(), title.size());
    if (!location.empty()) {
      std::memcpy(bytes + title.size(), location.data(), location.size());
    }
    p_ = Block(h);
  }

  std::string_view title() const {
    const Header* h = p_.get();
    if (h == nullptr) return {};
    return {reinterpret_cast<const char*>(h + 1), h->title_size};
  }
  std::string_view location() const {
    const Header* h = p_.get();
    if (h == nullptr) return {};
    return {reinterpret_cast<const char*>(h + 1) + h->title_size,
            h->location_size};
  }

 private:
  struct Header {
    std::atomic<uint32_t> refs{1};
    uint32_t title_size = 0;
    uint32_t location_size = 0;
  };
  using Block = SharedBlock<Header, FreeWithBytes<Header>>;
  Block p_;  // [refs][lengths][title][location]; null when both are empty
};

// A short list (a merge's sources, a progress report's evidence and
// versions) in one pointer, null when empty, to a block of its size, its
// capacity and its elements: 8 bytes in the record where a std::vector
// takes 24, and one block of 8 bytes above the elements. Copied whole, as a
// std::vector.
template <typename T>
class CompactList {
  struct Header {
    uint32_t size;
    uint32_t cap;
  };
  static_assert(alignof(T) <= sizeof(Header));  // elements follow it
  static_assert(std::is_nothrow_move_constructible_v<T>);

 public:
  using value_type = T;
  using size_type = size_t;
  using iterator = T*;
  using const_iterator = const T*;

  CompactList() = default;
  CompactList(std::initializer_list<T> init) {
    for (const T& v : init) push_back(v);
  }
  CompactList(const CompactList& o) { Append(o.begin(), o.end()); }
  CompactList(CompactList&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  CompactList& operator=(const CompactList& o) {
    if (this != &o) {
      CompactList copy(o);
      std::swap(h_, copy.h_);
    }
    return *this;
  }
  CompactList& operator=(CompactList&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  CompactList& operator=(const std::vector<T>& v) {
    CompactList copy;
    copy.Append(v.data(), v.data() + v.size());
    std::swap(h_, copy.h_);
    return *this;
  }
  ~CompactList() { clear(); }

  size_t size() const { return h_ == nullptr ? 0 : h_->size; }
  bool empty() const { return size() == 0; }
  T* begin() { return data(); }
  T* end() { return data() + size(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }
  const T& operator[](size_t i) const { return data()[i]; }
  T& operator[](size_t i) { return data()[i]; }
  const T& front() const { return data()[0]; }
  const T& back() const { return data()[size() - 1]; }

  void push_back(T v) {
    if (size() == Capacity()) Grow(size() + 1);
    new (data() + h_->size) T(std::move(v));
    ++h_->size;
  }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    push_back(T(std::forward<Args>(args)...));
    return data()[size() - 1];
  }
  void clear() {
    if (h_ == nullptr) return;
    for (T& v : *this) v.~T();
    ::operator delete(h_);
    h_ = nullptr;
  }

  friend bool operator==(const CompactList& a, const CompactList& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  T* data() const {
    return h_ == nullptr ? nullptr : reinterpret_cast<T*>(h_ + 1);
  }
  size_t Capacity() const { return h_ == nullptr ? 0 : h_->cap; }
  // Room for `want` elements at least: exact for the usual one to four,
  // then by half again (a snapshot's reader appends one at a time).
  void Grow(size_t want) {
    const size_t cap = want <= 4 ? want : std::max(want, Capacity() * 3 / 2);
    if (cap > UINT32_MAX) throw std::length_error("CompactList");
    void* mem = ::operator new(sizeof(Header) + cap * sizeof(T));
    Header* h = new (mem) Header{0, static_cast<uint32_t>(cap)};
    T* to = reinterpret_cast<T*>(h + 1);
    for (size_t i = 0; i < size(); ++i) {
      new (to + i) T(std::move(data()[i]));
      ++h->size;
    }
    clear();
    h_ = h;
  }
  void Append(const T* from, const T* to) {
    if (from == to) return;
    Grow(static_cast<size_t>(to - from));
    for (; from != to; ++from) push_back(*from);
  }

  Header* h_ = nullptr;  // [size][capacity][elements]; null when empty
};

// An entry's index (a reference to a record) in 6 bytes, aligned to 1,
// where a uint64_t takes 8 aligned to 8: for the references every proposal
// keeps (seven, a few hundred thousand proposals in a province). A log
// holds fewer than 2^47 entries (EntryMeta::kMaxOwner), and the rules store
// only indices of entries in the log; a snapshot's reader refuses a larger
// one. Reads and writes as the uint64_t it holds.
class Ref48 {
 public:
  static constexpr uint64_t kMax = (uint64_t{1} << 48) - 1;

  Ref48() = default;
  Ref48(uint64_t v) { Set(v); }  // NOLINT: an index
  Ref48& operator=(uint64_t v) {
    Set(v);
    return *this;
  }
  operator uint64_t() const {  // NOLINT
    uint64_t v = 0;
    for (int i = 5; i >= 0; --i) v = (v << 8) | b_[i];
    return v;
  }

 private:
  void Set(uint64_t v) {
    for (int i = 0; i < 6; ++i, v >>= 8) b_[i] = static_cast<uint8_t>(v);
  }
  uint8_t b_[6] = {};
};
static_assert(sizeof(Ref48) == 6 && alignof(Ref48) == 1);
// As JSON, the number it holds (found by nlohmann's lookup through the
// namespace; a template, so that this header needs no JSON header).
template <typename Json>
void to_json(Json& j, const Ref48& r) {
  j = static_cast<uint64_t>(r);
}
template <typename Json>
void from_json(const Json& j, Ref48& r) {
  r = j.template get<uint64_t>();
}

// What the fold remembers about every entry (for references and the audit
// trail): no event content. Small and trivially copyable, kept in a
// DenseTable (one allocation per 64 entries): the jurisdiction is interned
// (Model::entry_jurisdictions) and the rare corrections of an entry are kept
// beside the table (Model::entry_corrections). 24 bytes: the owner (an
// earlier entry's index) in 47 bits beside the retraction bit and the kind,
// and the signing time, which only the views show, in a table of its own
// (Model::entry_signed_at) that a rules-only state does not keep.
struct EntryMeta {
  static constexpr uint64_t kMaxOwner = (uint64_t{1} << 47) - 1;
  int64_t recorded_at_ms = 0;
  uint64_t owner : 47 = kNoRef;  // the record a sub-record entry belongs to
  bool retracted : 1 = false;
  uint16_t kind = 0;          // schema::Event::Which
  uint32_t jurisdiction = 0;  // index into Model::entry_jurisdictions
  uint32_t author = 0;        // index into Model::authors
};
static_assert(sizeof(EntryMeta) == 24);

// One entry that touched a record, and how.
struct Touch {
  uint64_t entry = 0;
  std::string relation;  // "created", "screened", "corrected", ...
};

// One role a key was registered with (keyRegistered), for the rules that
// depend on who corrects what (RULES.md "Who may correct what").
struct KeyGrantRec {
  int role = 0;  // schema::Role
  std::string jurisdiction;
};

// A correction as it is shown on the record it changed: the target's content
// before and after (JSON texts of the model's sub-record, "null" once
// retracted), so the views can show the original value next to the
// corrected one. Who and when are the correction entry's author and time.
struct CorrectionRec {
  uint64_t entry = kNoRef;   // the correction
  uint64_t target = kNoRef;  // the entry it corrects
  uint64_t owner = kNoRef;   // the record the target belongs to
  std::string reason;
  bool retraction = false;
  std::string before;
  std::string after;
};

struct JurisdictionRec {
  std::string code;
  std::string name;
  int level = 0;
  std::string parent;
  uint64_t registered_at = 0;
};

struct MilestoneRule {
  Date due;
  uint16_t min_percent_bp = 0;
  bool must_start = false;
  bool must_be_accepted = false;
  std::string label;
};

struct CandidateRec {
  uint64_t proposal = kNoRef;
  CompactText name;
  CompactText content;
  CompactText agency;
  int64_t investment_fen = 0;
  CompactText requirements;
};

struct CycleRec {
  uint64_t ref = kNoRef;
  std::string jurisdiction;
  uint16_t year = 0;
  int level = 0;
  CompactText title;
  int64_t budget_fen = 0;
  uint16_t project_count = 0;
  Date collection_start;
  Date collection_end;
  CompactText scope;
  // 补录: a past cycle recorded after the fact (RULES.md, "Backfill").
  bool backfill = false;
  CompactText backfill_reason;
  std::vector<MilestoneRule> schedule;       // empty = the default schedule
  AppendList<uint64_t> proposals;            // in order of creation
  AppendList<uint64_t> retracted_proposals;  // kept for the funnel
  uint64_t candidate_list = kNoRef;          // the candidateListFixed entry
  std::vector<CandidateRec> candidates;      // ballot order
  Date list_sent_on;
  uint64_t selection_vote = kNoRef;
  AppendList<uint64_t> votes;
  AppendList<uint64_t> deliberations;
  AppendList<uint64_t> projects;  // elected, in order of election
};

// Fields in order of size: no padding between them (the verifier keeps
// a few hundred thousand of these). The description and funding note are
// the proposal's (ProposalTexts). The enumerations (schema::Category,
// schema::FundingSource) in a byte each: the rules refuse values past the
// schema's, a snapshot's reader values past the byte (as for CompactDate).
struct Details {
  TitleAndLocation names;
  int64_t investment_fen = 0;
  CompactDate expected_completion;
  int8_t category = 0;
  int8_t funding_source = 0;

  std::string_view title() const { return names.title(); }
  std::string_view location() const { return names.location(); }
};

struct Eligibility {
  bool own_budget = false;
  bool broad_benefit = false;
  bool completable_in_year = false;
  bool not_major_engineering = false;
  bool land_policy_funding_secured = false;
};

// One screening stage's decision; entry == kNoRef while undecided. Its
// reason text is the proposal's (ProposalTexts). 13 bytes aligned to 1
// (16 with the entry a uint64_t).
struct ScreeningRec {
  Ref48 entry = kNoRef;
  int8_t outcome = 0;      // schema::ScreeningOutcome
  int8_t reason_code = 0;  // schema::ReasonCode
  Eligibility eligibility;
};
static_assert(sizeof(ScreeningRec) == 13 && alignof(ScreeningRec) == 1);

inline constexpr int kStages = 3;  // 审核, 审定, 审查

// A proposal's texts that only the views show, together behind one pointer
// that a rules-only state (Model::keep_view_data false) leaves null: eight
// texts, 64 bytes a proposal as CompactTexts, 8 this way (a few hundred
// thousand proposals in a province). The snapshot and the model's JSON
// show them where they always were: in the details, the proposal and each
// screening stage.
struct ProposalTexts {
  CompactText description;
  CompactText funding_note;
  CompactText proposer_name;
  CompactText receipt_ref;
  CompactText merge_reason;
  std::array<CompactText, kStages> reason_text;  // of each screening stage
};

// Fields in order of alignment, as Details, the enumerations in a byte
// each, the dates CompactDates and the references Ref48s: 112 bytes, so
// that a record's block (Held: 8 bytes more) is a malloc block of 128
// bytes, not 144 (128 bytes with the references uint64_ts, 296 before the
// fields were ordered, 264 with the texts and sources in the record, 192
// with the enumerations ints, the dates Dates and the title and location
// apart).
struct ProposalRec {
  Details details;
  Held<ProposalTexts> texts_held;  // null until a text is set
  CompactList<uint64_t> sources;   // direct merge sources
  CompactDate
      received_on;  // 收件日期 as the channel gave it; unset = not given
  Ref48 ref = kNoRef;
  Ref48 cycle = kNoRef;
  Ref48 merged_into = kNoRef;  // retired by this merge
  Ref48 elected_round = kNoRef;
  std::array<ScreeningRec, kStages> screening;
  int8_t proposer_type = 0;  // schema::ProposerType
  int8_t channel = 0;        // schema::Channel
  bool merged = false;       // created by proposalsMerged
  bool candidate = false;

  // The view texts (all empty in a rules-only state).
  const ProposalTexts& texts() const {
    static const ProposalTexts kNone;
    const ProposalTexts* t = texts_held.get();
    return t != nullptr ? *t : kNone;
  }
  // The view texts, this record's own (copied first if a copy of the record
  // shares them, made if none).
  ProposalTexts& mut_texts() {
    if (texts_held.get() == nullptr) {
      texts_held = Held<ProposalTexts>::Make();
    }
    return *texts_held.Own();
  }
};
static_assert(sizeof(ProposalRec) == 112);

struct VoteRec {
  uint64_t ref = kNoRef;
  uint64_t cycle = kNoRef;
  int purpose = 0;
  uint16_t seats = 0;
  uint16_t extra_candidates = 0;
  uint32_t entitled = 0;
  uint32_t quorum_num = 2;  // effective (0/0 in the event = 2/3)
  uint32_t quorum_den = 3;
  int pass_base = 1;  // effective (unspecified = entitled)
  int tie_rule = 0;
  int shortfall_rule = 0;
  uint16_t max_approvals = 0;
  std::vector<uint64_t> items;  // satisfaction: the projects rated
  bool exactly_half_passes = false;
  uint32_t min_ballots_per_box = 0;  // as adopted; 0 = the default (10)
  CompactText revote_reason;         // satisfaction: a documented re-vote
  Date adopted_on;
  CompactText text;
  std::vector<uint64_t> rounds;
};

struct DeliberationRec {
  uint64_t ref = kNoRef;
  uint64_t cycle = kNoRef;
  std::string session;
  Date held_on;
  std::string summary;
};

struct BoxRec {
  uint64_t ref = kNoRef;
  uint64_t round = kNoRef;
  std::string label;
  std::vector<std::string> monitors;
  uint64_t opened = kNoRef;  // the ballotBoxOpened entry
  uint32_t issued = 0;
  uint32_t collected = 0;
  std::vector<std::string> opened_monitors;
  uint16_t part_count = 0;      // 0 until the first part
  std::vector<uint64_t> parts;  // ballotsRecorded entries, part 1..n
  BallotCount count;            // all parts so far
};

struct CertifiedTally {
  uint32_t issued = 0;
  uint32_t collected = 0;
  uint32_t valid = 0;
  uint32_t invalid = 0;
  std::vector<ItemCount> items;
  std::vector<std::string> certified_by;
};

struct RoundRec {
  uint64_t ref = kNoRef;
  uint64_t vote = kNoRef;
  uint16_t number = 0;
  std::vector<uint64_t> items;  // ballot order
  uint16_t seats = 0;
  uint32_t present = 0;
  uint16_t max_approvals = 0;  // RoundOpened.maxApprovals
  std::vector<uint64_t> boxes;
  uint64_t tally = kNoRef;  // the tallyCertified entry
  CertifiedTally certified;
  uint64_t result = kNoRef;  // the resultAnnounced entry
  std::vector<uint64_t> elected;
  std::vector<uint64_t> tied;
  uint16_t vacant = 0;
  std::vector<std::pair<uint64_t, int>> grades;
  Date announced_on;
  uint64_t voided = kNoRef;  // the roundVoided entry
  CompactText void_reason;
  Date voided_on;
};

struct PlanMilestoneRec {
  Date due;
  uint16_t percent_bp = 0;
  CompactText description;
};

struct PlanRec {
  uint64_t entry = kNoRef;
  CompactText agency;
  CompactText leader;
  CompactText plan;
  int64_t budget_fen = 0;
  std::vector<PlanMilestoneRec> milestones;
};

struct AttachmentRec {
  std::string sha256;  // hex
  std::string name;
  std::string media_type;
};

// What a progress report said from a given day on: the report as filed,
// then each correction of it. Milestones are judged on what was on the
// record when they fell due (RULES.md "Milestones and project status").
struct ProgressVersion {
  Date recorded_on;
  uint16_t percent_bp = 0;
  bool started = false;
};

// A progress report's versions (ProgressRec::versions), read as a list of
// ProgressVersions (by value): the first, the report as filed, in the list
// itself, the corrections' after it in a CompactList. Most reports are
// never corrected, and the block of their one version was a malloc block of
// 32 bytes each (a province files a hundred and seventy thousand reports):
// 24 bytes in the record where a CompactList took 8 and its block 32.
class VersionList {
 public:
  using value_type = ProgressVersion;
  using size_type = size_t;

  class const_iterator {
   public:
    ProgressVersion operator*() const { return (*list_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    friend class VersionList;
    const_iterator(const VersionList* list, size_t i) : list_(list), i_(i) {}
    const VersionList* list_;
    size_t i_;
  };

  size_t size() const { return has_first_ ? 1 + rest_.size() : 0; }
  bool empty() const { return !has_first_; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size()}; }
  ProgressVersion operator[](size_t i) const {
    if (i == 0) {
      return ProgressVersion{first_on_, first_percent_bp_, first_started_};
    }
    return rest_[i - 1];
  }
  void push_back(const ProgressVersion& v) {
    if (has_first_) {
      rest_.push_back(v);
      return;
    }
    first_on_ = v.recorded_on;
    first_percent_bp_ = v.percent_bp;
    first_started_ = v.started;
    has_first_ = true;
  }
  void clear() { *this = VersionList(); }

 private:
  Date first_on_;
  uint16_t first_percent_bp_ = 0;
  bool first_started_ = false;
  bool has_first_ = false;
  CompactList<ProgressVersion> rest_;  // the corrections', in log order
};
static_assert(sizeof(VersionList) == 24);

// The narrative in one pointer (a rules-only state keeps none), the
// evidence a CompactList, the versions a VersionList (the first in it), the
// date the report is as of a CompactDate (the rules accept calendar days
// only, as for a proposal's) and the fields in order of size: 64 bytes and
// no block for an uncorrected report's version (96 before, 88 with the
// lists std::vectors, 56 with the date a Date, 48 and a block of 32 with
// the versions a CompactList): a province files 170,000 reports.
struct ProgressRec {
  uint64_t entry = kNoRef;
  int64_t spent_fen = 0;
  CompactText narrative;
  CompactList<AttachmentRec> evidence;
  VersionList versions;  // in log order; the last is current
  CompactDate as_of;
  uint16_t percent_bp = 0;
  bool started = false;
};
static_assert(sizeof(ProgressRec) == 64);

struct NoticeRec {
  uint64_t entry = kNoRef;
  Date issued_on;
  Date due_by;
  CompactText text;
};

struct AdjustmentRec {
  uint64_t entry = kNoRef;
  int kind = 0;
  CompactText force_majeure;
  CompactText legal_basis;
  CompactText decision;
  Date decided_on;
  int64_t new_budget_fen = 0;
  Date new_completion;
};

struct AcceptanceRec {
  uint64_t entry = kNoRef;
  Date accepted_on;
  bool passed = false;
  CompactText notes;
};

struct EvaluationRec {
  uint64_t entry = kNoRef;
  uint16_t cost = 0;
  uint16_t benefit = 0;
  uint16_t overall = 0;
  std::vector<std::string> evaluators;
  CompactText notes;
};

struct ReviewRec {
  uint64_t entry = kNoRef;
  Date reviewed_on;
  CompactText text;
};

struct GradeRec {
  uint64_t round = kNoRef;
  int grade = 0;
};

// An elected project, keyed by its proposal ref.
struct ProjectRec {
  uint64_t ref = kNoRef;
  uint64_t cycle = kNoRef;
  uint64_t elected_round = kNoRef;
  PlanRec plan;
  AppendList<ProgressRec> progress;  // asOf strictly increasing
  std::vector<uint64_t> inspections;
  std::vector<NoticeRec> notices;
  std::vector<AdjustmentRec> adjustments;
  std::vector<AcceptanceRec> acceptances;
  std::vector<EvaluationRec> evaluations;
  std::vector<uint64_t> rectifications;
  std::vector<ReviewRec> reviews;
  AppendList<GradeRec> grades;
};

struct InspectionRec {
  uint64_t ref = kNoRef;
  std::vector<uint64_t> projects;
  Date inspected_on;
  std::string group;
  std::string findings;
};

struct RectReportRec {
  uint64_t entry = kNoRef;
  Date reported_on;
  bool completed = false;
  CompactText text;
};

struct RectificationRec {
  uint64_t ref = kNoRef;
  uint64_t project = kNoRef;
  Date ordered_on;
  Date deadline;
  CompactText requirements;
  std::vector<RectReportRec> reports;
};

// Every container shares structure between copies of the Model
// (persistent.h): copying a Model costs a few pointers, and a change copies
// only the records it touches (and the trie nodes above them). The lists
// that grow with the log (audit trails, a cycle's proposals, a project's
// progress, the key registry) are AppendLists and StringMaps, so copying a
// record that holds one copies two words of it, and appending to it copies
// no element: a past state kept in memory costs about what changed after
// it (docs/PERFORMANCE.md, "Past states kept in memory"). The texts of
// records that change after they are made (a cycle's, a proposal's, a
// project's) are CompactTexts, which a copy of the record shares: a change
// copies the record's fields, not its texts.
struct Model {
  uint64_t size = 0;
  int64_t last_recorded_at_ms = 0;
  std::string last_entry_hash;  // hex; "" while empty
  std::string origin;
  std::string deployment_name;
  Shared<std::map<std::string, JurisdictionRec>> jurisdictions;
  // The keys as their 32 bytes, not as strings of their hex (a block of 80
  // bytes in malloc beside the string's 32): a province registers tens of
  // thousands of keys, each held here up to three times. A snapshot and
  // the views show them in hex, as before. (ledger::Authority admits only
  // keys of 32 bytes.)
  AppendList<crypto::PublicKey> authors;  // in order of first use
  StringMap<std::string, crypto::PublicKey> key_holders;  // key -> holder
  StringMap<std::vector<KeyGrantRec>, crypto::PublicKey> key_grants;
  DenseTable<EntryMeta> entries;
  // Each entry's signedAtMs, beside `entries`: only the views show it, so a
  // rules-only state (keep_view_data false) keeps none (SignedAtOf is then
  // 0).
  DenseTable<int64_t> entry_signed_at;
  // The jurisdiction texts the entries name, in order of first use
  // (EntryMeta::jurisdiction), and the correction entries targeting an
  // entry, in log order (only entries that were corrected have a list).
  Shared<std::vector<std::string>> entry_jurisdictions;
  IndexMap<AppendList<uint64_t>> entry_corrections;
  IndexMap<AppendList<Touch>> touches;  // record ref -> touches
  IndexMap<CycleRec> cycles;
  IndexMap<ProposalRec> proposals;
  IndexMap<VoteRec> votes;
  IndexMap<DeliberationRec> deliberations;
  IndexMap<RoundRec> rounds;
  IndexMap<BoxRec> boxes;
  IndexMap<ProjectRec> projects;
  IndexMap<InspectionRec> inspections;
  IndexMap<RectificationRec> rectifications;
  // Corrections by their entry, and retracted proposals as they stood when
  // retracted: a correction never erases what the views showed.
  IndexMap<CorrectionRec> corrections;
  IndexMap<ProposalRec> retracted_proposals;

  // Not serialized: rebuilt from `authors`. A StringMap (persistent.h):
  // a new author copies one small bucket, not the whole table, so the past
  // states kept in memory do not each hold a copy of it.
  StringMap<uint32_t, crypto::PublicKey> author_ids;
  // Not serialized: rebuilt from the entries' jurisdiction texts. Both
  // jurisdiction tables are copied whole when a copy of the model adds a
  // text, which only a new jurisdiction does (a few thousand in a province).
  Shared<std::unordered_map<std::string, uint32_t>> entry_jurisdiction_ids;
  // Not serialized: the instant a time-travelled state stands at (0 = the
  // last entry's); see State::set_as_of_ms.
  int64_t as_of_ms = 0;
  // Not serialized: false in a state kept only to check the rules and
  // recount (the verifier; State::KeepViewData). Then what only the views
  // read is not kept: the touches, a correction's before and after texts,
  // a proposal's description, funding note, proposer, receipt and merge
  // reason, a progress report's narrative and evidence, a plan's texts
  // (agency, leader, plan, milestone descriptions) and the candidates'
  // (name, content, agency, requirements). No rule reads them
  // (RefusedBy in tests/projections/rule_test_util.h compares both kinds of
  // state on every refusal of the rules tests).
  bool keep_view_data = true;

  // Appends entry entries.size()'s record and signing time.
  void AddEntry(const EntryMeta& meta, int64_t signed_at_ms) {
    if (keep_view_data) {
      while (entry_signed_at.size() < entries.size()) {
        entry_signed_at.push_back(0);
      }
      entry_signed_at.push_back(signed_at_ms);
    }
    entries.push_back(meta);
  }
  // The signedAtMs of entry `i` (0 in a rules-only state).
  int64_t SignedAtOf(uint64_t i) const {
    const int64_t* t = entry_signed_at.get(i);
    return t != nullptr ? *t : 0;
  }
  // The jurisdiction text of an entry.
  const std::string& JurisdictionOf(const EntryMeta& e) const {
    return (*entry_jurisdictions)[e.jurisdiction];
  }
  // The id of a jurisdiction text, added if new.
  uint32_t InternJurisdiction(const std::string& text) {
    auto found = entry_jurisdiction_ids->find(text);
    if (found != entry_jurisdiction_ids->end()) return found->second;
    const auto id = static_cast<uint32_t>(entry_jurisdictions->size());
    entry_jurisdictions.mut().push_back(text);
    entry_jurisdiction_ids.mut().emplace(text, id);
    return id;
  }
  // The correction entries targeting `entry`, in log order.
  const AppendList<uint64_t>& CorrectionsOf(uint64_t entry) const {
    static const AppendList<uint64_t> kNone;
    const AppendList<uint64_t>* c = entry_corrections.get(entry);
    return c != nullptr ? *c : kNone;
  }

  void Touched(uint64_t record, uint64_t entry, std::string relation) {
    if (!keep_view_data) return;
    touches.slot(record).push_back(Touch{entry, std::move(relation)});
  }
};

}  // namespace piaojue::projections::internal
