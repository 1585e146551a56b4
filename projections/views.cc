// The view dispatcher, shared JSON helpers and the audit view.
#include "projections/views.h"

#include <algorithm>
#include <exception>
#include <map>
#include <set>

#include "ledger/crypto.h"
#include "ledger/entry.h"
#include "ledger/schema/piaojue.capnp.h"
#include "projections/internal/rules.h"
#include "projections/internal/view_util.h"

namespace piaojue::projections {

namespace internal {

json MoneyJson(int64_t fen) {
  return json{{"fen", fen}, {"yuan", YuanString(fen)}};
}

json DateJson(const Date& d) {
  if (d.unset()) return nullptr;
  return FormatDate(d);
}

std::string EnumName(capnp::EnumSchema schema, int value) {
  auto enumerants = schema.getEnumerants();
  if (value >= 0 && static_cast<unsigned>(value) < enumerants.size()) {
    return enumerants[value].getProto().getName().cStr();
  }
  return "unknown(" + std::to_string(value) + ")";
}

json CorrectionsJson(const Model& m, uint64_t entry) {
  json out = json::array();
  if (entry < m.entries.size()) {
    for (uint64_t c : m.CorrectionsOf(entry)) out.push_back(c);
  }
  return out;
}

namespace {

std::string CamelCase(const std::string& snake) {
  std::string out;
  bool upper = false;
  for (char c : snake) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 32)
                                                : c);
    upper = false;
  }
  return out;
}

bool IsDateField(const std::string& key) {
  static const std::set<std::string> kDates = {"collection_start",
                                               "collection_end",
                                               "expected_completion",
                                               "list_sent_on",
                                               "adopted_on",
                                               "held_on",
                                               "as_of",
                                               "issued_on",
                                               "due_by",
                                               "decided_on",
                                               "new_completion",
                                               "accepted_on",
                                               "reviewed_on",
                                               "inspected_on",
                                               "ordered_on",
                                               "deadline",
                                               "reported_on",
                                               "due",
                                               "announced_on",
                                               "voided_on"};
  return kDates.count(key) > 0;
}

// A stored value as the views show it: dates as "YYYY-MM-DD" (null when
// unset), enumerations by their schema names, the rest as stored.
json ShownValue(const std::string& key, const json& v) {
  if (IsDateField(key) && v.is_array() && v.size() == 3) {
    const Date d{v[0].get<int32_t>(), v[1].get<int32_t>(), v[2].get<int32_t>()};
    return DateJson(d);
  }
  if (!v.is_number_integer()) return v;
  const int n = v.get<int>();
  if (key == "category") return EnumName<schema::Category>(n);
  if (key == "funding_source") return EnumName<schema::FundingSource>(n);
  if (key == "proposer_type") return EnumName<schema::ProposerType>(n);
  if (key == "channel") return EnumName<schema::Channel>(n);
  if (key == "outcome") return EnumName<schema::ScreeningOutcome>(n);
  if (key == "reason_code") return EnumName<schema::ReasonCode>(n);
  if (key == "level") return EnumName<schema::Level>(n);
  if (key == "purpose") return EnumName<schema::VotePurpose>(n);
  if (key == "pass_base") return EnumName<schema::PassBase>(n);
  return v;
}

// The leaves of a stored record: objects are walked by key, arrays of
// objects by index ("schedule[1].due"); any other value is a leaf.
void Leaves(const json& v, const std::string& path, const std::string& key,
            std::map<std::string, json>* out) {
  const bool objects = v.is_array() && !v.empty() &&
                       std::all_of(v.begin(), v.end(),
                                   [](const json& e) { return e.is_object(); });
  if (v.is_object() && !(IsDateField(key))) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string name = CamelCase(it.key());
      Leaves(it.value(), path.empty() ? name : path + "." + name, it.key(),
             out);
    }
  } else if (objects) {
    for (size_t i = 0; i < v.size(); ++i) {
      Leaves(v[i], path + "[" + std::to_string(i) + "]", key, out);
    }
  } else {
    (*out)[path] = ShownValue(key, v);
  }
}

// What a correction changed: every field whose value differs, with the value
// before (the original, or the previous correction's) and after.
json ChangesJson(const CorrectionRec& c) {
  const json before = json::parse(c.before, nullptr, false);
  const json after = json::parse(c.after, nullptr, false);
  // A retraction: every field goes from its value to null.
  std::map<std::string, json> from, to;
  if (before.is_object()) Leaves(before, "", "", &from);
  if (!c.retraction && after.is_object()) Leaves(after, "", "", &to);
  json out = json::array();
  for (const auto& [field, value] : to) {
    auto it = from.find(field);
    json was = it == from.end() ? json(nullptr) : it->second;
    if (was != value) {
      out.push_back(json{{"field", field}, {"from", was}, {"to", value}});
    }
  }
  for (const auto& [field, value] : from) {
    if (!to.count(field)) {
      out.push_back(json{{"field", field}, {"from", value}, {"to", nullptr}});
    }
  }
  return out;
}

}  // namespace

json CorrectionJson(const Model& m, uint64_t correction) {
  auto it = m.corrections.find(correction);
  if (it == m.corrections.end() || correction >= m.entries.size()) {
    return json{{"entry", correction}};
  }
  const CorrectionRec& c = it->second;
  const EntryMeta& e = m.entries[correction];
  // Who: the key's holder and the roles the key holds in the jurisdiction
  // the correction was signed for (the rules let only those correct).
  json by = AuthorJson(m, correction);
  json roles = json::array();
  if (const std::vector<KeyGrantRec>* grants =
          m.key_grants.get(m.authors[e.author]);
      grants != nullptr) {
    for (const KeyGrantRec& grant : *grants) {
      if (grant.jurisdiction == m.JurisdictionOf(e)) {
        roles.push_back(EnumName<schema::Role>(grant.role));
      }
    }
  }
  by["roles"] = std::move(roles);
  return json{{"entry", c.entry},
              {"target", c.target},
              {"kind", c.retraction ? "retraction" : "replacement"},
              {"reason", c.reason},
              {"by", std::move(by)},
              {"recordedAtMs", e.recorded_at_ms},
              {"recordedOn", FormatDate(DateFromMs(e.recorded_at_ms))},
              {"changes", ChangesJson(c)}};
}

json CorrectionHistoryJson(const Model& m, uint64_t entry) {
  json out = json::array();
  if (entry < m.entries.size()) {
    for (uint64_t c : m.CorrectionsOf(entry)) {
      out.push_back(CorrectionJson(m, c));
    }
  }
  return out;
}

json RetractedPartsJson(const Model& m, uint64_t owner) {
  json out = json::array();
  for (const auto& [entry, c] : m.corrections) {
    if (c.owner == owner && c.target != owner && c.retraction) {
      json row = CorrectionJson(m, entry);
      row["targetKind"] = ledger::EventKindName(
          static_cast<schema::Event::Which>(m.entries[c.target].kind));
      out.push_back(std::move(row));
    }
  }
  return out;
}

json AuthorJson(const Model& m, uint64_t entry) {
  if (entry >= m.entries.size()) return nullptr;
  const crypto::PublicKey& key = m.authors[m.entries[entry].author];
  json author{{"key", crypto::ToHex(crypto::AsBytes(key))}};
  if (const std::string* holder = m.key_holders.get(key); holder != nullptr) {
    author["holder"] = *holder;
  }
  return author;
}

json JurisdictionJson(const Model& m, const std::string& code) {
  json j{{"code", code}, {"name", ""}, {"level", "unspecified"}};
  if (auto it = m.jurisdictions.find(code); it != m.jurisdictions.end()) {
    j["name"] = it->second.name;
    j["level"] = EnumName<schema::Level>(it->second.level);
    j["parent"] = it->second.parent;
  }
  return j;
}

std::string ItemName(const Model& m, uint64_t ref) {
  auto p = m.proposals.find(ref);
  if (p == m.proposals.end()) return "";
  for (const CandidateRec& c : m.cycles.at(p->second.cycle).candidates) {
    if (c.proposal == ref) return c.name.str();
  }
  return std::string(p->second.details.title());
}

namespace {

// One entry of a trail and the record it is about.
struct TrailTouch {
  Touch touch;
  uint64_t about = kNoRef;
};

// The records whose acts make up the trail of `ref`: the record itself and
// the records that continue it, found by following the reference chain
// until nothing new appears: the record a proposal was merged into, and the
// rectification orders of a project (their reports name the order).
std::set<uint64_t> FollowedRecords(const Model& m, uint64_t ref) {
  std::set<uint64_t> followed{ref};
  for (bool grew = true; grew;) {
    grew = false;
    for (uint64_t r : std::set<uint64_t>(followed)) {
      if (auto p = m.proposals.find(r);
          p != m.proposals.end() && p->second.merged_into != kNoRef) {
        grew |= followed.insert(p->second.merged_into).second;
      }
    }
    for (const auto& [order, rec] : m.rectifications) {
      if (followed.count(rec.project)) grew |= followed.insert(order).second;
    }
  }
  return followed;
}

// Every entry that touched the record or a record that continues it (see
// FollowedRecords), in log order, each once, with who signed it and when;
// and the result of every round one of them was an item of (a result names
// only what it elected or graded).
Result<json> AuditView(const Model& m, const ViewQuery& q) {
  if (!q.record) return InvalidArgument("the audit view needs a record");
  const uint64_t ref = *q.record;
  auto it = m.touches.find(ref);
  if (it == m.touches.end() || ref >= m.entries.size()) {
    return NotFound("no record was created by entry " + std::to_string(ref));
  }
  const EntryMeta& created = m.entries[ref];
  const std::set<uint64_t> followed = FollowedRecords(m, ref);
  std::map<uint64_t, TrailTouch> trail;  // by entry: log order, each once
  for (uint64_t r : followed) {
    auto t = m.touches.find(r);
    if (t == m.touches.end()) continue;
    for (const Touch& touch : t->second) {
      // The record's own relation wins over a followed record's.
      if (r == ref || !trail.count(touch.entry)) {
        trail[touch.entry] = TrailTouch{touch, r};
      }
    }
  }
  for (const auto& [round_ref, round] : m.rounds) {
    if (round.result == kNoRef || trail.count(round.result)) continue;
    for (uint64_t item : round.items) {
      if (followed.count(item)) {
        trail[round.result] =
            TrailTouch{Touch{round.result, "result"}, round_ref};
        break;
      }
    }
  }
  json entries = json::array();
  for (const auto& [entry, tt] : trail) {
    const Touch& t = tt.touch;
    const EntryMeta& e = m.entries[t.entry];
    json row{{"entry", t.entry},
             {"relation", t.relation},
             {"kind",
              ledger::EventKindName(static_cast<schema::Event::Which>(e.kind))},
             {"author", AuthorJson(m, t.entry)},
             {"signedAtMs", m.SignedAtOf(t.entry)},
             {"recordedAtMs", e.recorded_at_ms},
             {"recordedOn", FormatDate(DateFromMs(e.recorded_at_ms))},
             {"retracted", bool{e.retracted}},
             {"corrections", CorrectionsJson(m, t.entry)}};
    if (tt.about != ref) row["about"] = tt.about;
    if (e.kind == Which::CORRECTION) {
      row["correction"] = CorrectionJson(m, t.entry);
      // Which entry the correction changed (the record or one of its
      // sub-records, e.g. one screening decision).
      if (auto c = m.corrections.find(t.entry); c != m.corrections.end()) {
        row["target"] = c->second.target;
      }
    }
    entries.push_back(std::move(row));
  }
  return json{{"record", ref},
              {"kind", ledger::EventKindName(
                           static_cast<schema::Event::Which>(created.kind))},
              {"jurisdiction", m.JurisdictionOf(created)},
              {"retracted", created.retracted},
              {"entries", std::move(entries)}};
}

// Every correction of the log, in log order: who, when, what and why.
json CorrectionsView(const Model& m) {
  json rows = json::array();
  for (const auto& [entry, c] : m.corrections) {
    if (entry >= m.entries.size() || c.target >= m.entries.size()) continue;
    json row = CorrectionJson(m, entry);
    row["targetKind"] = ledger::EventKindName(
        static_cast<schema::Event::Which>(m.entries[c.target].kind));
    row["record"] = c.owner;
    row["recordKind"] =
        c.owner < m.entries.size()
            ? json(ledger::EventKindName(
                  static_cast<schema::Event::Which>(m.entries[c.owner].kind)))
            : json(nullptr);
    row["jurisdiction"] = m.JurisdictionOf(m.entries[entry]);
    rows.push_back(std::move(row));
  }
  return json{{"corrections", std::move(rows)}};
}

}  // namespace
}  // namespace internal

std::vector<std::string> ViewNames() {
  return {"cycles",   "funnel", "candidates", "tally",
          "projects", "audit",  "corrections"};
}

Result<nlohmann::json> View(const State& state, std::string_view name,
                            const ViewQuery& query) {
  const internal::Model& m = state.model();
  // The date milestones are judged on: the query's, else the instant a
  // time-travelled state stands at, else the last entry's day.
  const Date as_of = query.as_of ? *query.as_of
                     : state.as_of_ms() != 0
                         ? DateFromMs(state.as_of_ms())
                         : DateFromMs(state.last_recorded_at_ms());
  try {
    Result<nlohmann::json> body =
        NotFound("no view named \"" + std::string(name) + "\"");
    if (name == "cycles") {
      body = internal::CyclesView(m, query);
    } else if (name == "funnel") {
      body = internal::FunnelView(m, query);
    } else if (name == "candidates") {
      body = internal::CandidatesView(m, query);
    } else if (name == "tally") {
      body = internal::TallyView(m, query);
    } else if (name == "projects") {
      body = internal::ProjectsView(m, query, as_of);
    } else if (name == "audit") {
      body = internal::AuditView(m, query);
    } else if (name == "corrections") {
      body = internal::CorrectionsView(m);
    }
    if (!body.ok()) return body.status();
    nlohmann::json out = std::move(body).value();
    out["view"] = std::string(name);
    out["size"] = state.size();
    out["asOf"] = FormatDate(as_of);
    return out;
  } catch (const std::exception& e) {
    // nlohmann::json signals misuse by throwing; no exception leaves here.
    return InvalidArgument(std::string("view failed: ") + e.what());
  }
}

}  // namespace piaojue::projections
