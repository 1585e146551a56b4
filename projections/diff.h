// A readable difference between two views of the same kind, e.g. the funnel
// before and after a dispute's correction, or as of two log sizes.
#pragma once

#include <nlohmann/json.hpp>

namespace piaojue::projections {

// {"from": before["size"], "to": after["size"], "view": after["view"],
//  "changes": what changed, each record named by its reference,
//  "patch": RFC 6902 JSON Patch turning `before` into `after`}. Both leave
// out the "size" and "asOf" fields, which always differ. Never throws.
//
// Each change is {"op": "add"|"remove"|"replace", "path": P, "before": V,
// "after": W} ("before" absent for an add, "after" for a remove). P names
// object members by key, joined by '.', and an element of a list of records
// by the record's identifying field, the first of "ref", "entry", "boxId",
// "round", "proposal", "code", "key", "field" that every element of the list
// has (as a number or text) and that no two elements share:
// `proposals[ref=123].fate.status`, `boxes[boxId="A1"].ballots`. A list with
// no such field (e.g. a list of numbers) is compared whole: one "replace" of
// the list. The patch's paths are array positions (RFC 6902 has no other
// form); they are kept so a program can apply the patch.
nlohmann::json Diff(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace piaojue::projections
