// The view dispatcher, shared JSON helpers and the audit view.
#include "projections/views.h"

#include <exception>

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
    for (uint64_t c : m.entries[entry].corrections) out.push_back(c);
  }
  return out;
}

json AuthorJson(const Model& m, uint64_t entry) {
  if (entry >= m.entries.size()) return nullptr;
  const std::string& key = m.authors[m.entries[entry].author];
  json author{{"key", key}};
  if (auto h = m.key_holders.find(key); h != m.key_holders.end()) {
    author["holder"] = h->second;
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
    if (c.proposal == ref) return c.name;
  }
  return p->second.details.title;
}

namespace {

// Every entry that touched the record, with who signed it and when.
Result<json> AuditView(const Model& m, const ViewQuery& q) {
  if (!q.record) return InvalidArgument("the audit view needs a record");
  const uint64_t ref = *q.record;
  auto it = m.touches.find(ref);
  if (it == m.touches.end() || ref >= m.entries.size()) {
    return NotFound("no record was created by entry " + std::to_string(ref));
  }
  const EntryMeta& created = m.entries[ref];
  json entries = json::array();
  for (const Touch& t : it->second) {
    const EntryMeta& e = m.entries[t.entry];
    json row{{"entry", t.entry},
             {"relation", t.relation},
             {"kind",
              ledger::EventKindName(static_cast<schema::Event::Which>(e.kind))},
             {"author", AuthorJson(m, t.entry)},
             {"signedAtMs", e.signed_at_ms},
             {"recordedAtMs", e.recorded_at_ms},
             {"recordedOn", FormatDate(DateFromMs(e.recorded_at_ms))},
             {"retracted", e.retracted},
             {"corrections", CorrectionsJson(m, t.entry)}};
    if (e.kind == Which::CORRECTION) {
      // Which entry the correction changed (the record or one of its
      // sub-records, e.g. one screening decision).
      for (const Touch& other : it->second) {
        const auto& c = m.entries[other.entry].corrections;
        if (std::find(c.begin(), c.end(), t.entry) != c.end()) {
          row["target"] = other.entry;
        }
      }
    }
    entries.push_back(std::move(row));
  }
  return json{{"record", ref},
              {"kind", ledger::EventKindName(
                           static_cast<schema::Event::Which>(created.kind))},
              {"jurisdiction", created.jurisdiction},
              {"retracted", created.retracted},
              {"entries", std::move(entries)}};
}

}  // namespace
}  // namespace internal

std::vector<std::string> ViewNames() {
  return {"cycles", "funnel", "candidates", "tally", "projects", "audit"};
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
