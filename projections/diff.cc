#include "projections/diff.h"

#include <exception>

namespace piaojue::projections {

namespace {

nlohmann::json Body(const nlohmann::json& view) {
  nlohmann::json body = view;
  if (body.is_object()) {
    body.erase("size");
    body.erase("asOf");
  }
  return body;
}

nlohmann::json Field(const nlohmann::json& view, const char* key) {
  if (view.is_object() && view.contains(key)) return view.at(key);
  return nullptr;
}

}  // namespace

nlohmann::json Diff(const nlohmann::json& before, const nlohmann::json& after) {
  nlohmann::json out{{"from", Field(before, "size")},
                     {"to", Field(after, "size")},
                     {"view", Field(after, "view")}};
  try {
    out["patch"] = nlohmann::json::diff(Body(before), Body(after));
  } catch (const std::exception& e) {
    // Not expected for values built by View(); reported, never thrown.
    out["patch"] = nullptr;
    out["error"] = e.what();
  }
  return out;
}

}  // namespace piaojue::projections
