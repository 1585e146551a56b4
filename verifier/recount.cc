#include "verifier/recount.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "ledger/crypto.h"
#include "ledger/text_validation.h"
#include "verifier/text.h"

namespace piaojue::verifier {

namespace {

using nlohmann::json;

std::vector<uint64_t> Refs(capnp::List<uint64_t>::Reader list) {
  std::vector<uint64_t> out;
  out.reserve(list.size());
  for (uint64_t x : list) out.push_back(x);
  return out;
}

std::string List(const std::vector<uint64_t>& v) {
  std::string s;
  for (uint64_t x : v) {
    if (!s.empty()) s += ',';
    s += std::to_string(x);
  }
  return '[' + s + ']';
}

}  // namespace

void RecountCollector::Add(const ledger::EntryView& e) {
  auto ev = e.event();
  const uint64_t i = e.index();
  switch (ev.which()) {
    case schema::Event::GENESIS: {
      genesis_checkpoint_key_ =
          ledger::TextString(ev.getGenesis().getCheckpointKey());
      auto root = ev.getGenesis().getRootKey();
      genesis_root_key_ =
          crypto::ToHex(crypto::Bytes(root.begin(), root.size()));
      return;
    }
    case schema::Event::CORRECTION: {
      // The rules accepted the correction, so from here on the target's
      // content is the replacement (or the target is gone), exactly as the
      // rules and the views see it.
      auto c = ev.getCorrection();
      if (c.isReplacement()) {
        Apply(c.getTarget(), c.getReplacement(), true);
      } else {
        Retract(c.getTarget());
      }
      return;
    }
    default:
      Apply(i, ev, false);
  }
}

void RecountCollector::Apply(uint64_t at, schema::Event::Reader ev,
                             bool replacing) {
  switch (ev.which()) {
    case schema::Event::VOTING_RULES_ADOPTED:
      vote_cycles_[at] = ev.getVotingRulesAdopted().getCycle();
      break;
    case schema::Event::CYCLE_OPENED:
      // A correction cannot change the flag (rule cycle.backfill).
      if (!replacing && ev.getCycleOpened().getBackfill()) {
        backfill_cycles_.insert(at);
      }
      break;
    case schema::Event::ROUND_OPENED: {
      if (replacing && !rounds_.count(at)) break;
      auto r = ev.getRoundOpened();
      Round& rec = rounds_[at];  // a replacement keeps its boxes
      rec.vote = r.getVote();
      rec.number = r.getRound();
      rec.items = Refs(r.getItems());
      break;
    }
    case schema::Event::BALLOT_BOX_SEALED: {
      auto b = ev.getBallotBoxSealed();
      if (replacing) {
        // The rules keep a corrected box in its round.
        if (auto it = boxes_.find(at); it != boxes_.end()) {
          it->second.label = ledger::TextString(b.getLabel());
        }
        break;
      }
      Box& box = boxes_[at];
      box.round = b.getRound();
      box.label = ledger::TextString(b.getLabel());
      if (auto r = rounds_.find(b.getRound()); r != rounds_.end()) {
        r->second.boxes.push_back(at);
      }
      break;
    }
    case schema::Event::BALLOT_BOX_OPENED: {
      auto b = ev.getBallotBoxOpened();
      auto box = boxes_.find(b.getBox());
      if (box == boxes_.end()) break;
      openings_[at] = b.getBox();
      box->second.opened = true;
      box->second.issued = b.getIssued();
      box->second.collected = b.getCollected();
      break;
    }
    case schema::Event::BALLOTS_RECORDED: {
      auto b = ev.getBallotsRecorded();
      auto box = boxes_.find(b.getBox());
      if (box == boxes_.end()) break;
      auto m = b.getMarks();
      parts_[at] = b.getBox();
      box->second.parts[at] =
          Part{std::string(reinterpret_cast<const char*>(m.begin()), m.size()),
               b.getUnreadable()};
      break;
    }
    case schema::Event::TALLY_CERTIFIED: {
      auto t = ev.getTallyCertified();
      auto round = rounds_.find(t.getRound());
      if (round == rounds_.end()) break;
      tallies_[at] = t.getRound();
      round->second.certified = at;
      PublishedTally& p = round->second.tally;
      p = PublishedTally{
          t.getIssued(), t.getCollected(), t.getValid(), t.getInvalid(), {}};
      for (auto item : t.getItems()) {
        p.items.push_back(projections::ItemCount{
            .item = item.getItem(),
            .approve = item.getApprove(),
            .oppose = item.getOppose(),
            .abstain = item.getAbstain(),
            .satisfaction_abstain = item.getSatisfactionAbstain()});
      }
      break;
    }
    case schema::Event::RESULT_ANNOUNCED: {
      auto r = ev.getResultAnnounced();
      auto round = rounds_.find(r.getRound());
      if (round == rounds_.end()) break;
      results_[at] = r.getRound();
      round->second.announced = at;
      PublishedResult& p = round->second.result;
      p = PublishedResult{};
      p.elected = Refs(r.getElected());
      p.tied = Refs(r.getTiedAtCutoff());
      p.vacant = r.getVacantSeats();
      for (auto g : r.getGrades()) {
        p.grades[g.getItem()] = static_cast<int>(g.getGrade());
      }
      break;
    }
    case schema::Event::ROUND_VOIDED: {
      auto v = ev.getRoundVoided();
      auto round = rounds_.find(v.getRound());
      if (round == rounds_.end()) break;
      voids_[at] = v.getRound();
      round->second.voided = Voided{at, ledger::TextString(v.getReason())};
      break;
    }
    default:
      break;
  }
}

void RecountCollector::Retract(uint64_t target) {
  if (rounds_.erase(target)) return;
  if (auto box = boxes_.find(target); box != boxes_.end()) {
    if (auto r = rounds_.find(box->second.round); r != rounds_.end()) {
      std::erase(r->second.boxes, target);
    }
    boxes_.erase(box);
    return;
  }
  if (auto o = openings_.find(target); o != openings_.end()) {
    if (auto box = boxes_.find(o->second); box != boxes_.end()) {
      box->second.opened = false;
      box->second.issued = box->second.collected = 0;
    }
    openings_.erase(o);
    return;
  }
  if (auto p = parts_.find(target); p != parts_.end()) {
    if (auto box = boxes_.find(p->second); box != boxes_.end()) {
      box->second.parts.erase(target);
    }
    parts_.erase(p);
    return;
  }
  if (auto t = tallies_.find(target); t != tallies_.end()) {
    if (auto r = rounds_.find(t->second); r != rounds_.end()) {
      r->second.certified.reset();
    }
    return;
  }
  if (auto t = results_.find(target); t != results_.end()) {
    if (auto r = rounds_.find(t->second); r != rounds_.end()) {
      r->second.announced.reset();
    }
    return;
  }
  if (auto v = voids_.find(target); v != voids_.end()) {
    if (auto r = rounds_.find(v->second); r != rounds_.end()) {
      r->second.voided.reset();
    }
  }
}

RecountCollector::RoundRules RecountCollector::RulesOf(
    const projections::State& state) const {
  RoundRules out;
  for (const auto& [ref, round] : rounds_) {
    auto projected = state.Recount(ref);
    if (!projected.ok()) continue;
    out.rules.emplace(ref, projected->rules);
    for (uint64_t item : round.items) {
      if (out.titles.count(item) != 0) continue;
      if (auto title = state.ProposalTitle(item)) {
        out.titles.emplace(item, *title);
      }
    }
  }
  return out;
}

namespace {

// A JSON object written as text, members in the order they are given:
// callers give them in the order of their keys' bytes, the order the
// nlohmann document this report was once dumped from keeps them in
// (std::map), so the bytes are the same (tests/verifier/cycle_tamper_test.cc
// parses and dumps the report again).
class ObjectText {
 public:
  explicit ObjectText(std::string* out) : out_(out) { *out_ += '{'; }
  ~ObjectText() { *out_ += '}'; }
  ObjectText(const ObjectText&) = delete;
  ObjectText& operator=(const ObjectText&) = delete;

  // Writes `"key":`; the caller writes the value.
  std::string* Key(std::string_view key) {
    if (!first_) *out_ += ',';
    first_ = false;
    *out_ += '"';
    *out_ += key;
    *out_ += "\":";
    return out_;
  }
  void Number(std::string_view key, uint64_t v) {
    *Key(key) += std::to_string(v);
  }
  void Bool(std::string_view key, bool v) { *Key(key) += v ? "true" : "false"; }
  void String(std::string_view key, std::string_view v) {
    AppendJsonString(Key(key), v);
  }
  void NumberOrNull(std::string_view key, std::optional<uint64_t> v) {
    *Key(key) += v ? std::to_string(*v) : "null";
  }
  void Numbers(std::string_view key, const std::vector<uint64_t>& v) {
    *Key(key) += List(v);
  }

 private:
  std::string* out_;
  bool first_ = true;
};

}  // namespace

bool RecountCollector::RoundReport(uint64_t ref, const Round& round,
                                   const RoundRules& rules_of,
                                   std::optional<Failure>* failure,
                                   std::string* out) const {
  const auto found = rules_of.rules.find(ref);
  if (found == rules_of.rules.end()) return false;
  const projections::TallyRules& rules = found->second;
  const bool satisfaction =
      rules.purpose == projections::VotePurpose::kSatisfaction;
  const auto cycle = vote_cycles_.find(round.vote);
  std::vector<projections::RecordedBallots> all_parts;
  std::vector<std::string> void_reasons;
  std::string boxes = "[";
  uint32_t issued = 0, collected = 0;
  for (uint64_t box_ref : round.boxes) {
    const Box& box = boxes_.at(box_ref);
    projections::BallotCount count = projections::EmptyCount(round.items);
    for (const auto& [entry, part] : box.parts) {
      projections::RecordedBallots ballots{part.marks, part.unreadable};
      projections::CountBallots(rules, ballots, &count);
      all_parts.push_back(ballots);
    }
    issued += box.issued;
    collected += box.collected;
    if (box.opened && box.collected > box.issued) {
      void_reasons.push_back(
          "box " + std::to_string(box_ref) + " \"" + box.label +
          "\" collected " + std::to_string(box.collected) +
          " ballots but issued only " + std::to_string(box.issued));
    }
    if (boxes.size() > 1) boxes += ',';
    ObjectText b(&boxes);
    b.Number("box", box_ref);
    b.Number("collected", box.collected);
    b.Bool("collectedExceedsIssued", box.collected > box.issued);
    b.Number("invalid", count.invalid);
    b.Number("issued", box.issued);
    b.String("label", box.label);
    b.Bool("opened", box.opened);
    b.Number("unreadable", count.unreadable);
    b.Number("valid", count.valid);
  }
  boxes += ']';
  // A round is void only when a roundVoided entry says so. A box that
  // collected more than it issued blocks the tally: the round must be
  // declared void, and until then it decides nothing either.
  const bool is_void = round.voided.has_value();
  const bool must_be_voided = !is_void && !void_reasons.empty();
  std::string void_reason;
  if (is_void) {
    void_reason = "declared void by entry " +
                  std::to_string(round.voided->entry) + ": " +
                  round.voided->reason;
  } else {
    for (const std::string& s : void_reasons) {
      void_reason += (void_reason.empty() ? "" : "; ") + s;
    }
  }
  projections::Recount recount =
      projections::RecountRound(rules, round.items, all_parts);
  // A void round decides nothing: no winners, no grades (empty lists, no
  // vacant seats).
  const bool decides = !is_void && !must_be_voided;
  // The failure names the published entry that differs.
  uint64_t at = round.certified.value_or(ref);
  std::string mismatch = CompareCertified(round, recount, issued, collected);
  if (mismatch.empty()) {
    mismatch = CompareAnnounced(round, recount);
    at = round.announced.value_or(at);
  }

  // The members in the order of their keys' bytes (ObjectText).
  ObjectText r(out);
  r.NumberOrNull("announcedEntry", round.announced);
  *r.Key("boxes") += boxes;
  r.NumberOrNull("certifiedEntry", round.certified);
  r.Number("collected", collected);
  if (cycle != vote_cycles_.end()) {
    r.Number("cycle", cycle->second);
    // 补录: the cycle was recorded after the fact (RULES.md, "Backfill").
    r.Bool("cycleBackfill", backfill_cycles_.count(cycle->second) > 0);
  }
  const std::vector<uint64_t> none;
  if (!satisfaction) {
    r.Numbers("elected", decides ? recount.outcome.elected : none);
  }
  r.Number("entitled", rules.entitled);
  if (satisfaction) {
    std::string* grades = r.Key("grades");
    *grades += '[';
    bool first = true;
    for (const auto& [item, grade] : recount.outcome.grades) {
      if (!decides) break;
      if (!first) *grades += ',';
      first = false;
      ObjectText g(grades);
      g.String("grade", projections::GradeName(grade));
      g.Number("item", item);
    }
    *grades += ']';
  }
  r.Number("invalid", recount.count.invalid);
  r.Number("issued", issued);
  std::string* items = r.Key("items");
  *items += '[';
  for (const auto& c : recount.count.items) {
    if (items->back() != '[') *items += ',';
    ObjectText item(items);
    const auto title = rules_of.titles.find(c.item);
    if (satisfaction) {
      item.Number("abstain", c.satisfaction_abstain);
      item.Number("basicallySatisfied", c.oppose);
      item.Number("item", c.item);
      item.Number("satisfied", c.approve);
      if (title != rules_of.titles.end()) item.String("title", title->second);
      item.Number("unsatisfied", c.abstain);
    } else {
      item.Number("abstain", c.abstain);
      item.Number("approve", c.approve);
      item.Number("item", c.item);
      item.Number("oppose", c.oppose);
      if (title != rules_of.titles.end()) item.String("title", title->second);
    }
  }
  *items += ']';
  // Nothing published: nothing to match (a void or unfinished round).
  if (round.certified || round.announced) {
    r.Bool("matchesPublished", mismatch.empty());
  } else {
    *r.Key("matchesPublished") += "null";
  }
  r.Number("maxApprovals", satisfaction ? 0 : rules.max_approvals);
  r.Bool("mustBeVoided", must_be_voided);
  r.Number("number", round.number);
  r.Number("passBase", recount.outcome.base);
  const char* base_kind = "entitled";
  if (rules.pass_base == projections::PassBase::kPresent) {
    base_kind = "present";
  } else if (rules.pass_base == projections::PassBase::kValidBallots) {
    base_kind = "validBallots";
  }
  r.String("passBaseKind", base_kind);
  r.Number("passThreshold", recount.outcome.pass_threshold);
  r.Number("present", rules.present);
  r.String("purpose", satisfaction ? "satisfaction" : "projectSelection");
  if (!satisfaction) {
    r.Numbers("ranking", decides ? recount.outcome.ranking : none);
  }
  r.Number("round", ref);
  r.Number("seats", rules.seats);
  if (!satisfaction) {
    r.Numbers("tiedAtCutoff", decides ? recount.outcome.tied_at_cutoff : none);
    r.NumberOrNull("vacantSeats", decides ? std::optional<uint64_t>(
                                                recount.outcome.vacant_seats)
                                          : std::nullopt);
  }
  r.Number("valid", recount.count.valid);
  r.Bool("void", is_void);
  if (is_void || must_be_voided) {
    r.String("voidReason", void_reason);
  } else {
    *r.Key("voidReason") += "null";
  }
  r.NumberOrNull("voidedEntry",
                 round.voided ? std::optional<uint64_t>(round.voided->entry)
                              : std::nullopt);
  r.Number("vote", round.vote);

  if (!mismatch.empty()) {
    *failure = Failure{at, "recount", "", "",
                       (cycle != vote_cycles_.end()
                            ? "cycle " + std::to_string(cycle->second) + ", "
                            : std::string()) +
                           "round " + std::to_string(ref) + ": " + mismatch};
  }
  return true;
}

namespace {

// Work on rounds [begin, end) of one list, on any of a BatchPool's threads.
class RoundsBatch : public BatchPool::Batch {
 public:
  explicit RoundsBatch(std::function<void(size_t, size_t)> work)
      : work_(std::move(work)) {}
  void Work(size_t begin, size_t end) override { work_(begin, end); }

 private:
  std::function<void(size_t, size_t)> work_;
};

}  // namespace

std::string RecountCollector::RecountText(const RoundRules& rules_of,
                                          std::optional<Failure>* failure,
                                          BatchPool& pool) const {
  // Rounds are independent: each is recounted and written out on its own,
  // on whichever thread takes it, and the texts are joined in round order.
  // No document of the whole report is ever built.
  std::vector<const std::pair<const uint64_t, Round>*> rounds;
  rounds.reserve(rounds_.size());
  for (const auto& entry : rounds_) rounds.push_back(&entry);
  std::vector<std::string> texts(rounds.size());
  std::vector<std::optional<Failure>> mismatches(rounds.size());
  pool.Add(std::make_unique<RoundsBatch>([&](size_t begin, size_t end) {
             for (size_t i = begin; i < end; ++i) {
               RoundReport(rounds[i]->first, rounds[i]->second, rules_of,
                           &mismatches[i], &texts[i]);
             }
           }),
           rounds.size());
  pool.Take();
  size_t bytes = 2;
  for (const std::string& t : texts) bytes += t.size() + 1;
  std::string out;
  out.reserve(bytes);
  out += '[';
  for (size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].empty()) continue;
    if (out.size() > 1) out += ',';
    out += texts[i];
    std::string().swap(texts[i]);
    // The first mismatch in round order, unless a failure came before.
    if (mismatches[i] && !*failure) *failure = std::move(mismatches[i]);
  }
  out += ']';
  return out;
}

std::string RecountCollector::CompareCertified(
    const Round& round, const projections::Recount& recount, uint32_t issued,
    uint32_t collected) const {
  if (!round.certified) return "";
  const PublishedTally& t = round.tally;
  auto differ = [](std::string what, uint64_t published, uint64_t counted) {
    return what + ": published " + std::to_string(published) + ", recount " +
           std::to_string(counted);
  };
  if (t.issued != issued) return differ("issued", t.issued, issued);
  if (t.collected != collected) {
    return differ("collected", t.collected, collected);
  }
  if (t.valid != recount.count.valid) {
    return differ("valid ballots", t.valid, recount.count.valid);
  }
  if (t.invalid != recount.count.invalid) {
    return differ("invalid ballots", t.invalid, recount.count.invalid);
  }
  if (t.items.size() != recount.count.items.size()) {
    return differ("items", t.items.size(), recount.count.items.size());
  }
  for (size_t k = 0; k < recount.count.items.size(); ++k) {
    const auto& p = t.items[k];
    const auto& c = recount.count.items[k];
    std::string item = "item " + std::to_string(c.item) + " ";
    if (p.item != c.item) return differ("item order", p.item, c.item);
    if (p.approve != c.approve) {
      return differ(item + "approve", p.approve, c.approve);
    }
    if (p.oppose != c.oppose) {
      return differ(item + "oppose", p.oppose, c.oppose);
    }
    if (p.abstain != c.abstain) {
      return differ(item + "abstain", p.abstain, c.abstain);
    }
    if (p.satisfaction_abstain != c.satisfaction_abstain) {
      return differ(item + "abstain", p.satisfaction_abstain,
                    c.satisfaction_abstain);
    }
  }
  return "";
}

std::string RecountCollector::CompareAnnounced(
    const Round& round, const projections::Recount& recount) const {
  if (!round.announced) return "";
  const PublishedResult& a = round.result;
  if (a.elected != recount.outcome.elected) {
    return "elected (in order): published " + List(a.elected) + ", recount " +
           List(recount.outcome.elected);
  }
  // The tied set in any order (ballot order is the recount's).
  std::vector<uint64_t> tied = a.tied, want = recount.outcome.tied_at_cutoff;
  std::sort(tied.begin(), tied.end());
  std::sort(want.begin(), want.end());
  if (tied != want) {
    return "tied at the cut-off: published " + List(tied) + ", recount " +
           List(want);
  }
  if (a.vacant != recount.outcome.vacant_seats) {
    return "vacant seats: published " + std::to_string(a.vacant) +
           ", recount " + std::to_string(recount.outcome.vacant_seats);
  }
  for (const auto& [item, grade] : recount.outcome.grades) {
    auto g = a.grades.find(item);
    const int published = g == a.grades.end() ? 0 : g->second;
    if (published != static_cast<int>(grade)) {
      return "grade of item " + std::to_string(item) + ": published " +
             std::to_string(published) + ", recount " +
             projections::GradeName(grade);
    }
  }
  return "";
}

namespace {

// A map from entry index to index as [[key, value], ...].
json IndexMap(const std::map<uint64_t, uint64_t>& m) {
  json out = json::array();
  for (const auto& [k, v] : m) out.push_back({k, v});
  return out;
}
std::map<uint64_t, uint64_t> IndexMapFrom(const json& j) {
  std::map<uint64_t, uint64_t> out;
  for (const json& kv : j) {
    out[kv.at(0).get<uint64_t>()] = kv.at(1).get<uint64_t>();
  }
  return out;
}
template <typename T>
std::optional<T> Optional(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<T>();
}

}  // namespace

json RecountCollector::SaveState() const {
  json rounds = json::array();
  for (const auto& [at, r] : rounds_) {
    json items = json::array();
    for (const projections::ItemCount& c : r.tally.items) {
      items.push_back(
          {c.item, c.approve, c.oppose, c.abstain, c.satisfaction_abstain});
    }
    json grades = json::array();
    for (const auto& [item, grade] : r.result.grades) {
      grades.push_back({item, grade});
    }
    rounds.push_back(
        {{"at", at},
         {"vote", r.vote},
         {"number", r.number},
         {"items", r.items},
         {"boxes", r.boxes},
         {"certified", r.certified ? json(*r.certified) : json(nullptr)},
         {"tally",
          {r.tally.issued, r.tally.collected, r.tally.valid, r.tally.invalid,
           items}},
         {"announced", r.announced ? json(*r.announced) : json(nullptr)},
         {"result", {r.result.elected, r.result.tied, r.result.vacant, grades}},
         {"voided",
          r.voided ? json{r.voided->entry, r.voided->reason} : json(nullptr)}});
  }
  json boxes = json::array();
  for (const auto& [at, b] : boxes_) {
    json parts = json::array();
    for (const auto& [entry, p] : b.parts) {
      parts.push_back({entry, crypto::Base64Encode(crypto::AsBytes(p.marks)),
                       p.unreadable});
    }
    boxes.push_back({{"at", at},
                     {"round", b.round},
                     {"label", b.label},
                     {"opened", b.opened},
                     {"issued", b.issued},
                     {"collected", b.collected},
                     {"parts", parts}});
  }
  return {{"rounds", rounds},
          {"boxes", boxes},
          {"openings", IndexMap(openings_)},
          {"parts", IndexMap(parts_)},
          {"tallies", IndexMap(tallies_)},
          {"results", IndexMap(results_)},
          {"voids", IndexMap(voids_)},
          // Kept for the runs that read this format: the titles are read
          // from the rules' state when the recount is made (RulesOf).
          {"titles", json::array()},
          {"voteCycles", IndexMap(vote_cycles_)},
          {"backfillCycles", backfill_cycles_},
          {"genesisCheckpointKey", genesis_checkpoint_key_},
          {"genesisRootKey", genesis_root_key_}};
}

Status RecountCollector::RestoreState(const json& j) {
  RecountCollector c;
  try {
    for (const json& r : j.at("rounds")) {
      Round& rec = c.rounds_[r.at("at").get<uint64_t>()];
      rec.vote = r.at("vote").get<uint64_t>();
      rec.number = r.at("number").get<uint32_t>();
      rec.items = r.at("items").get<std::vector<uint64_t>>();
      rec.boxes = r.at("boxes").get<std::vector<uint64_t>>();
      rec.certified = Optional<uint64_t>(r.at("certified"));
      const json& t = r.at("tally");
      rec.tally.issued = t.at(0).get<uint32_t>();
      rec.tally.collected = t.at(1).get<uint32_t>();
      rec.tally.valid = t.at(2).get<uint32_t>();
      rec.tally.invalid = t.at(3).get<uint32_t>();
      for (const json& i : t.at(4)) {
        rec.tally.items.push_back(projections::ItemCount{
            .item = i.at(0).get<uint64_t>(),
            .approve = i.at(1).get<uint32_t>(),
            .oppose = i.at(2).get<uint32_t>(),
            .abstain = i.at(3).get<uint32_t>(),
            .satisfaction_abstain = i.at(4).get<uint32_t>()});
      }
      rec.announced = Optional<uint64_t>(r.at("announced"));
      const json& p = r.at("result");
      rec.result.elected = p.at(0).get<std::vector<uint64_t>>();
      rec.result.tied = p.at(1).get<std::vector<uint64_t>>();
      rec.result.vacant = p.at(2).get<uint32_t>();
      for (const json& g : p.at(3)) {
        rec.result.grades[g.at(0).get<uint64_t>()] = g.at(1).get<int>();
      }
      if (!r.at("voided").is_null()) {
        rec.voided = Voided{r.at("voided").at(0).get<uint64_t>(),
                            r.at("voided").at(1).get<std::string>()};
      }
    }
    for (const json& b : j.at("boxes")) {
      Box& box = c.boxes_[b.at("at").get<uint64_t>()];
      box.round = b.at("round").get<uint64_t>();
      box.label = b.at("label").get<std::string>();
      box.opened = b.at("opened").get<bool>();
      box.issued = b.at("issued").get<uint32_t>();
      box.collected = b.at("collected").get<uint32_t>();
      for (const json& p : b.at("parts")) {
        auto marks = crypto::Base64Decode(p.at(1).get<std::string>());
        if (!marks.ok()) return Corruption("a box's marks are not base64");
        box.parts[p.at(0).get<uint64_t>()] =
            Part{std::move(*marks), p.at(2).get<uint32_t>()};
      }
    }
    c.openings_ = IndexMapFrom(j.at("openings"));
    c.parts_ = IndexMapFrom(j.at("parts"));
    c.tallies_ = IndexMapFrom(j.at("tallies"));
    c.results_ = IndexMapFrom(j.at("results"));
    c.voids_ = IndexMapFrom(j.at("voids"));
    c.vote_cycles_ = IndexMapFrom(j.at("voteCycles"));
    c.backfill_cycles_ = j.at("backfillCycles").get<std::set<uint64_t>>();
    c.genesis_checkpoint_key_ = j.at("genesisCheckpointKey").get<std::string>();
    c.genesis_root_key_ = j.at("genesisRootKey").get<std::string>();
  } catch (const json::exception& e) {
    return Corruption(std::string("the saved recount is malformed: ") +
                      e.what());
  }
  *this = std::move(c);
  return Status::Ok();
}

}  // namespace piaojue::verifier
