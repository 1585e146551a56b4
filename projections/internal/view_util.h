// Shared pieces of the views (views*.cc). Private to projections/.
#pragma once

#include <capnp/schema.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/status.h"
#include "projections/internal/model.h"
#include "projections/views.h"

namespace piaojue::projections::internal {

using nlohmann::json;

// A text as a JSON string (defined in model_json.cc), so a record's
// CompactText fields go into a view as std::string fields do.
void to_json(json& j, const CompactText& t);

// A proposal of a cycle's funnel: live, or kept as it stood when retracted.
const ProposalRec& AnyProposal(const Model& m, uint64_t ref);
// Every proposal of the cycle, live or retracted, in log order: the
// funnel's list (views_cycle.cc).
std::vector<uint64_t> FunnelRefs(const CycleRec& c);

json MoneyJson(int64_t fen);
json DateJson(const Date& d);  // "YYYY-MM-DD", or null when unset
// The enumerant's schema name, e.g. "wechat"; "unknown(N)" if unknown.
std::string EnumName(capnp::EnumSchema schema, int value);
template <typename E>
std::string EnumName(int value) {
  return EnumName(capnp::Schema::from<E>(), value);
}
json CorrectionsJson(const Model& m, uint64_t entry);
// One correction as shown on the record it changed: entry, target, kind
// ("replacement" / "retraction"), reason, by (AuthorJson), recordedAtMs,
// recordedOn and changes ([{field, from, to}]); see VIEWS.md "Conventions".
json CorrectionJson(const Model& m, uint64_t correction);
// CorrectionJson of every correction of entry `entry`, in log order.
json CorrectionHistoryJson(const Model& m, uint64_t entry);
// The retracted sub-records of record `owner` (a screening decision, a
// progress report...): CorrectionJson plus "targetKind".
json RetractedPartsJson(const Model& m, uint64_t owner);
// Who signed entry `entry`: {"key": hex, "holder": registered holder} (no
// "holder" when the key's registration named none).
json AuthorJson(const Model& m, uint64_t entry);
json JurisdictionJson(const Model& m, const std::string& code);
// The name a ballot shows for an item: the candidate name, else the title.
std::string ItemName(const Model& m, uint64_t ref);

Result<json> CyclesView(const Model& m, const ViewQuery& q);
Result<json> FunnelView(const Model& m, const ViewQuery& q);
Result<json> CandidatesView(const Model& m, const ViewQuery& q);
Result<json> TallyView(const Model& m, const ViewQuery& q);
Result<json> ProjectsView(const Model& m, const ViewQuery& q, Date as_of);

}  // namespace piaojue::projections::internal
