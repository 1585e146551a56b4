// Human-readable rendering of a view (projections/views.h) for a terminal:
// scalars as "key: value", lists of records as aligned tables, money in yuan.
// The JSON (`--json`) is the contract; this text is for people and may change.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

namespace piaojue::cli {

void RenderView(const nlohmann::json& view, std::ostream& out);

// The display width of UTF-8 text on a terminal: East Asian wide characters
// (汉字, full-width forms) count two columns.
size_t DisplayWidth(std::string_view utf8);

}  // namespace piaojue::cli
