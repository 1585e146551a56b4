// The portal's composite reads (docs/API.md, "Portal reads"). Each is built
// from the same views as /v1/views/… at one moment (as_of), so it never
// mixes two states; only the corrections list keeps what it found (the log
// is append-only, so that never goes stale).
#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/server/internal/handlers.h"
#include "ledger/authority.h"
#include "ledger/entry.h"
#include "ledger/event_json.h"
#include "ledger/note.h"
#include "projections/records.h"
#include "verifier/proof_bundle.h"

namespace piaojue::server {

namespace {

using nlohmann::json;

constexpr size_t kMaxSearchResults = 50;
constexpr size_t kMaxQueryBytes = 200;

HttpResponse Answer(const HttpRequest& request, json body) {
  HttpResponse r = JsonResponse(DumpJson(body));
  const std::string as_of = MomentParam(request, "as_of");
  if (!as_of.empty() && ParseDecimal(as_of)) {
    r.cache_control = "public, max-age=3600";
  }
  return r;
}

// One proposal's row of its cycle's funnel, with the cycle's row.
struct CycleFunnel {
  json cycle;
  json funnel;
};

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  for (char ch : text) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

json SearchRow(const json& cycle, const json& p) {
  return json{{"ref", p["ref"]},
              {"cycle", cycle["ref"]},
              {"cycleTitle", cycle["title"]},
              // A backfilled cycle (补录) is marked wherever it appears.
              {"backfill", cycle.value("backfill", false)},
              {"title", p["title"]},
              {"receiptRef", p.value("receiptRef", "")},
              {"channel", p["channel"]},
              {"merged", p.value("merged", false)},
              {"status", p["fate"]["status"]}};
}

// Proposal `ref`'s row of its cycle's funnel with the cycle's row, each
// rendered alone (a page of one): {cycle row, funnel with that one
// proposal}. nullopt if no proposal was ever made at `ref`.
Result<std::optional<CycleFunnel>> FunnelRowOf(const Moment& m, uint64_t ref) {
  const std::optional<projections::ProposalPlace> place =
      projections::PlaceOfProposal(*m.state, ref);
  if (!place) return std::optional<CycleFunnel>();
  projections::ViewQuery cq;
  cq.page = projections::ViewQuery::Page{place->cycle_index, 1};
  ASSIGN_OR_RETURN(json cycles, ViewAt(m, "cycles", cq));
  projections::ViewQuery fq;
  fq.cycle = place->cycle;
  fq.page = projections::ViewQuery::Page{place->funnel_index, 1};
  ASSIGN_OR_RETURN(json funnel, ViewAt(m, "funnel", fq));
  if (cycles["cycles"].size() != 1 ||
      cycles["cycles"][0]["ref"].get<uint64_t>() != place->cycle ||
      funnel["proposals"].size() != 1 ||
      funnel["proposals"][0]["ref"].get<uint64_t>() != ref) {
    return Internal("proposal " + std::to_string(ref) +
                    " is not where its cycle's lists place it");
  }
  return std::optional<CycleFunnel>(
      CycleFunnel{std::move(cycles["cycles"][0]), std::move(funnel)});
}

}  // namespace

HttpResponse HandleSearch(Service& service, const HttpRequest& request) {
  const std::string q = QueryValue(request, "q");
  if (q.empty() || q.size() > kMaxQueryBytes) {
    return ErrorResponse(400, "invalid_argument",
                         "search needs q= (a receipt number, a record "
                         "number or words of a title), at most 200 bytes");
  }
  auto cycle_filter = QueryNumber(request, "cycle");
  if (!cycle_filter.ok()) return StatusResponse(cycle_filter.status());
  auto m = service.StateAt(MomentParam(request, "as_of"));
  if (!m.ok()) return StatusResponse(m.status());

  // The texts are matched where the state keeps them; only the rows found
  // (at most kMaxSearchResults) are rendered. Rendering every funnel to
  // search it cost seconds and a gigabyte a request at 200,000 entries.
  const std::vector<std::string> words = Words(q);
  std::string trimmed = words.size() == 1 ? words[0] : q;
  const std::optional<uint64_t> number = ParseDecimal(trimmed);
  std::vector<uint64_t> exact, by_words;
  size_t total = 0;
  projections::ForEachProposalTexts(
      *m->state, *cycle_filter, [&](const projections::ProposalSearchTexts& p) {
        const bool is_exact =
            (number && p.ref == *number) ||
            (!p.receipt_ref.empty() && p.receipt_ref == trimmed);
        bool all_words = !words.empty();
        for (const std::string& w : words) {
          if (p.title.find(w) == std::string_view::npos &&
              p.description.find(w) == std::string_view::npos &&
              p.location.find(w) == std::string_view::npos) {
            all_words = false;
            break;
          }
        }
        if (!is_exact && !all_words) return;
        ++total;
        if (exact.size() + by_words.size() < kMaxSearchResults) {
          (is_exact ? exact : by_words).push_back(p.ref);
        }
      });
  json results = json::array();
  for (const std::vector<uint64_t>* refs : {&exact, &by_words}) {
    for (uint64_t ref : *refs) {
      auto row = FunnelRowOf(*m, ref);
      if (!row.ok()) return StatusResponse(row.status());
      if (!*row) {
        return StatusResponse(Internal("search found proposal " +
                                       std::to_string(ref) +
                                       " and then could not render it"));
      }
      results.push_back(
          SearchRow((*row)->cycle, (*row)->funnel["proposals"][0]));
    }
  }
  return Answer(request, json{{"q", q},
                              {"size", m->state->size()},
                              {"total", total},
                              {"results", std::move(results)}});
}

HttpResponse HandleProposalStory(Service& service, const HttpRequest& request,
                                 uint64_t ref) {
  auto m = service.StateAt(MomentParam(request, "as_of"));
  if (!m.ok()) return StatusResponse(m.status());
  // Only the rows of the proposals the story passes through (one, unless
  // merges follow), each rendered alone: rendering every cycle's funnel
  // for each story made publishing a province's stories quadratic.
  std::vector<CycleFunnel> rows;
  rows.reserve(64 + 1);  // pointers into it stay valid (hops <= 64)
  auto find = [&](uint64_t proposal,
                  const CycleFunnel** where) -> Result<const json*> {
    ASSIGN_OR_RETURN(std::optional<CycleFunnel> row, FunnelRowOf(*m, proposal));
    if (!row) return nullptr;
    rows.push_back(std::move(*row));
    if (where) *where = &rows.back();
    return &rows.back().funnel["proposals"][0];
  };
  const CycleFunnel* cf = nullptr;
  auto found = find(ref, &cf);
  if (!found.ok()) return StatusResponse(found.status());
  const json* p = *found;
  if (p == nullptr) {
    return ErrorResponse(404, "not_found",
                         "entry " + std::to_string(ref) + " is not a proposal");
  }
  // Follow merges to the record the proposal became.
  json path = json::array();
  const json* last = p;
  for (int hops = 0; hops < 64 && (*last)["fate"]["status"] == "merged";
       ++hops) {
    auto next_found = find((*last)["fate"]["into"].get<uint64_t>(), nullptr);
    if (!next_found.ok()) return StatusResponse(next_found.status());
    const json* next = *next_found;
    if (next == nullptr) break;
    path.push_back(*next);
    last = next;
  }
  const uint64_t final_ref = (*last)["ref"].get<uint64_t>();
  json candidate = nullptr;
  projections::ViewQuery cq;
  cq.cycle = cf->cycle["ref"].get<uint64_t>();
  auto candidates = ViewAt(*m, "candidates", cq);
  if (!candidates.ok()) return StatusResponse(candidates.status());
  for (const json& c : (*candidates)["candidates"]) {
    if (c["proposal"].get<uint64_t>() == final_ref) candidate = c;
  }
  json project = nullptr;
  if ((*last)["fate"]["status"] == "elected") {
    projections::ViewQuery pq;
    pq.record = final_ref;
    auto pv = ViewAt(*m, "projects", pq);
    if (pv.ok() && (*pv)["projects"].is_array() && !(*pv)["projects"].empty()) {
      project = (*pv)["projects"][0];
    }
  }
  projections::ViewQuery aq;
  aq.record = ref;
  auto audit = ViewAt(*m, "audit", aq);
  if (!audit.ok()) return StatusResponse(audit.status());
  return Answer(request, json{{"view", "story"},
                              {"size", m->state->size()},
                              {"proposal", *p},
                              {"cycle", cf->cycle},
                              {"mergedInto", std::move(path)},
                              {"record", final_ref},
                              {"candidate", std::move(candidate)},
                              {"project", std::move(project)},
                              {"trail", (*audit)["entries"]}});
}

// The corrections view (who, when, what, why, each changed value before and
// after; docs/VIEWS.md "corrections"), each row with the entry events the
// portal shows: `before`, the target's event as it stood just before this
// correction (the original, or the previous correction's replacement), and
// `after`, the replacement (null for a retraction); `author` repeats `by`.
// The events are remembered per server (the log is append-only), so each
// request reads only the entries appended since the previous one.
HttpResponse HandleCorrections(Service& service, const HttpRequest& request) {
  auto m = service.StateAt(MomentParam(request, "as_of"));
  if (!m.ok()) return StatusResponse(m.status());
  const uint64_t size = m->state->size();
  auto view = ViewAt(*m, "corrections", {});
  if (!view.ok()) return StatusResponse(view.status());
  Service::CorrectionsCache& cache = service.corrections_cache();
  std::lock_guard<std::mutex> lock(cache.mu);
  auto event_of = [&](uint64_t index) -> std::string {
    auto it = cache.current.find(index);
    if (it != cache.current.end()) return it->second;
    auto bytes = service.ledger().ReadEntry(index);
    if (!bytes.ok()) return "null";
    auto v = ledger::EntryView::Parse(*bytes);
    if (!v.ok()) return "null";
    return json::parse(ledger::EntryToJson(*v), nullptr, false)["event"].dump();
  };
  const uint64_t from = cache.scanned;
  Status s = service.ledger().ForEachEntry(
      from, std::max(from, size),
      [&](uint64_t index, std::string_view bytes) -> Status {
        ASSIGN_OR_RETURN(ledger::EntryView entry,
                         ledger::EntryView::Parse(bytes));
        if (!entry.event().isCorrection()) return Status::Ok();
        const uint64_t target = entry.event().getCorrection().getTarget();
        json decoded = json::parse(ledger::EntryToJson(entry), nullptr, false);
        const json& c = decoded["event"]["correction"];
        const std::string after =
            c.contains("replacement") ? c["replacement"].dump() : "null";
        std::string before = event_of(target);
        cache.current[target] = after;
        cache.rows.emplace_back(
            index, json{{"before", json::parse(before, nullptr, false)},
                        {"after", json::parse(after, nullptr, false)}}
                       .dump());
        return Status::Ok();
      });
  if (!s.ok()) return StatusResponse(s);
  cache.scanned = std::max(from, size);
  std::map<uint64_t, const std::string*> events;
  for (const auto& [entry, row] : cache.rows) events[entry] = &row;
  for (json& row : (*view)["corrections"]) {
    row["author"] = row["by"];
    auto e = events.find(row["entry"].get<uint64_t>());
    if (e == events.end()) continue;
    json both = json::parse(*e->second, nullptr, false);
    row["before"] = std::move(both["before"]);
    row["after"] = std::move(both["after"]);
  }
  view->erase("asOf");
  return Answer(request, std::move(*view));
}

HttpResponse HandleCycleSummary(Service& service, const HttpRequest& request,
                                uint64_t cycle) {
  auto m = service.StateAt(MomentParam(request, "as_of"));
  if (!m.ok()) return StatusResponse(m.status());
  // The cycle's row alone (a page of one), not the whole cycle list.
  const std::optional<uint64_t> index =
      projections::CycleIndex(*m->state, cycle);
  if (!index) {
    return ErrorResponse(404, "not_found",
                         "entry " + std::to_string(cycle) + " is not a cycle");
  }
  projections::ViewQuery cq;
  cq.page = projections::ViewQuery::Page{*index, 1};
  auto cycles = ViewAt(*m, "cycles", cq);
  if (!cycles.ok()) return StatusResponse(cycles.status());
  if ((*cycles)["cycles"].size() != 1 ||
      (*cycles)["cycles"][0]["ref"].get<uint64_t>() != cycle) {
    return StatusResponse(Internal("cycle " + std::to_string(cycle) +
                                   " is not where the cycle list places it"));
  }
  json row = std::move((*cycles)["cycles"][0]);
  projections::ViewQuery q;
  q.cycle = cycle;
  // Only the funnel's totals are shown: none of its proposals is rendered.
  projections::ViewQuery fq = q;
  fq.page = projections::ViewQuery::Page{0, 0};
  auto funnel = ViewAt(*m, "funnel", fq);
  if (!funnel.ok()) return StatusResponse(funnel.status());
  auto projects = ViewAt(*m, "projects", q);
  if (!projects.ok()) return StatusResponse(projects.status());
  json by_status = json::object();
  json grades = json::object();
  for (const json& p : (*projects)["projects"]) {
    by_status[p["status"].get<std::string>()] =
        by_status.value(p["status"].get<std::string>(), 0) + 1;
    const json& sat = p["evaluation"]["satisfaction"];
    if (sat.is_string()) {
      grades[sat.get<std::string>()] =
          grades.value(sat.get<std::string>(), 0) + 1;
    }
  }
  json votes = json::array();
  for (const json& v : row["votes"]) {
    projections::ViewQuery tq;
    tq.record = v.get<uint64_t>();
    auto tally = ViewAt(*m, "tally", tq);
    if (!tally.ok()) return StatusResponse(tally.status());
    json rounds = json::array();
    for (const json& r : (*tally)["rounds"]) {
      rounds.push_back(json{{"ref", r["ref"]},
                            {"round", r["round"]},
                            {"void", r["void"]},
                            {"complete", r["complete"]},
                            {"certified", !r["certified"].is_null()},
                            {"announced", !r["announced"].is_null()},
                            {"elected", r["recount"]["elected"]},
                            {"tiedAtCutoff", r["recount"]["tiedAtCutoff"]},
                            {"grades", r["recount"]["grades"]}});
    }
    votes.push_back(json{{"ref", v},
                         {"purpose", (*tally)["vote"]["purpose"]},
                         {"seats", (*tally)["vote"]["seats"]},
                         {"rounds", std::move(rounds)}});
  }
  return Answer(request, json{{"view", "summary"},
                              {"size", m->state->size()},
                              {"asOf", (*funnel)["asOf"]},
                              {"cycle", std::move(row)},
                              {"funnel", (*funnel)["totals"]},
                              {"votes", std::move(votes)},
                              {"projects",
                               {{"count", (*projects)["projects"].size()},
                                {"byStatus", std::move(by_status)},
                                {"satisfaction", std::move(grades)}}}});
}

}  // namespace piaojue::server

namespace piaojue::server {

HttpResponse HandleProofBundle(Service& service, const HttpRequest& request,
                               uint64_t record) {
  // ?since=M: also the consistency proof from the tree of M leaves (the
  // checkpoint the portal kept from an earlier visit, docs/PORTAL.md). When
  // M is 0, the checkpoint's own size or above it, there is nothing to prove
  // (or nothing this server can prove): the bundle holds no proof, and the
  // reader says why.
  auto since = QueryNumber(request, "since");
  if (!since.ok()) return StatusResponse(since.status());
  // Right after a new checkpoint, the newest one every witness cosigned
  // (unless the reader holds a newer one): docs/WITNESS.md.
  auto note = service.ProofCheckpoint(record + 1, *since ? **since : 0);
  if (!note.ok()) return StatusResponse(note.status());
  auto parsed = note::ParseNote(*note);
  if (!parsed.ok()) return StatusResponse(parsed.status());
  auto cp = note::ParseCheckpoint(parsed->text);
  if (!cp.ok()) return StatusResponse(cp.status());
  const ledger::Ledger& ledger = service.ledger();
  const uint64_t size = cp->size;
  verifier::ProofSource src;
  src.size = size;
  src.checkpoint = *note;
  src.for_each_entry = [&](const auto& fn) {
    return ledger.ForEachEntry(0, size, fn);
  };
  src.read_entry = [&](uint64_t index) { return ledger.ReadEntry(index); };
  src.inclusion = [&](uint64_t index) {
    return ledger.InclusionProof(index, size);
  };
  if (*since && **since > 0 && **since < size) {
    src.consistency_from.push_back(**since);
    src.consistency = [&](uint64_t old_size) {
      return ledger.ConsistencyProof(old_size, size);
    };
  }
  auto bundle = verifier::BuildProofBundle(record, src);
  if (!bundle.ok()) return StatusResponse(bundle.status());
  HttpResponse r = JsonResponse(std::move(*bundle));
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"piaojue-proof-" +
                             std::to_string(record) + "-" +
                             std::to_string(size) + ".json\"");
  return r;
}

}  // namespace piaojue::server
