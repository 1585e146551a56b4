// A readable difference between two views of the same kind, e.g. the funnel
// before and after a dispute's correction, or as of two log sizes.
#pragma once

#include <nlohmann/json.hpp>

namespace piaojue::projections {

// {"from": before["size"], "to": after["size"], "view": after["view"],
//  "patch": RFC 6902 JSON Patch turning `before` into `after` (without the
//  "size" and "asOf" fields, which always differ)}. Never throws.
nlohmann::json Diff(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace piaojue::projections
