#include "projections/diff.h"

#include <exception>
#include <set>
#include <string>

namespace piaojue::projections {

namespace {

using nlohmann::json;

json Body(const json& view) {
  json body = view;
  if (body.is_object()) {
    body.erase("size");
    body.erase("asOf");
  }
  return body;
}

json Field(const json& view, const char* key) {
  if (view.is_object() && view.contains(key)) return view.at(key);
  return nullptr;
}

// The identifying fields of a record in a list, most specific first (see
// diff.h); a view's records are named by their log reference where they
// have one.
constexpr const char* kIdFields[] = {"ref",      "entry", "boxId", "round",
                                     "proposal", "code",  "key",   "field"};

bool IdentifiesAll(const json& list, const char* id) {
  std::set<std::string> seen;
  for (const json& e : list) {
    if (!e.is_object() || !e.contains(id)) return false;
    const json& v = e.at(id);
    if (!v.is_number_unsigned() && !v.is_number_integer() && !v.is_string()) {
      return false;
    }
    if (!seen.insert(v.dump()).second) return false;
  }
  return true;
}

// The field that names every element of both lists, or nullptr.
const char* IdFieldOf(const json& a, const json& b) {
  if (a.empty() && b.empty()) return nullptr;
  for (const char* id : kIdFields) {
    if (IdentifiesAll(a, id) && IdentifiesAll(b, id)) return id;
  }
  return nullptr;
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

void Add(json& out, const char* op, const std::string& path, const json* b,
         const json* a) {
  json c{{"op", op}, {"path", path.empty() ? "." : path}};
  if (b != nullptr) c["before"] = *b;
  if (a != nullptr) c["after"] = *a;
  out.push_back(std::move(c));
}

void Compare(const json& b, const json& a, const std::string& path, json& out) {
  if (b == a) return;
  if (b.is_object() && a.is_object()) {
    for (const auto& [k, v] : b.items()) {
      if (!a.contains(k)) Add(out, "remove", Join(path, k), &v, nullptr);
    }
    for (const auto& [k, v] : a.items()) {
      if (b.contains(k)) {
        Compare(b.at(k), v, Join(path, k), out);
      } else {
        Add(out, "add", Join(path, k), nullptr, &v);
      }
    }
    return;
  }
  if (b.is_array() && a.is_array()) {
    if (const char* id = IdFieldOf(b, a)) {
      auto name = [&](const json& e) {
        return path + "[" + id + "=" + e.at(id).dump() + "]";
      };
      auto find = [&](const json& list, const json& key) -> const json* {
        for (const json& e : list) {
          if (e.at(id) == key) return &e;
        }
        return nullptr;
      };
      for (const json& e : b) {
        if (find(a, e.at(id)) == nullptr)
          Add(out, "remove", name(e), &e, nullptr);
      }
      for (const json& e : a) {
        if (const json* old = find(b, e.at(id))) {
          Compare(*old, e, name(e), out);
        } else {
          Add(out, "add", name(e), nullptr, &e);
        }
      }
      return;
    }
  }
  Add(out, "replace", path, &b, &a);
}

}  // namespace

json Diff(const json& before, const json& after) {
  json out{{"from", Field(before, "size")},
           {"to", Field(after, "size")},
           {"view", Field(after, "view")}};
  const json b = Body(before);
  const json a = Body(after);
  try {
    json changes = json::array();
    Compare(b, a, "", changes);
    out["changes"] = std::move(changes);
    out["patch"] = json::diff(b, a);
  } catch (const std::exception& e) {
    // Not expected for values built by View(); reported, never thrown.
    out["changes"] = nullptr;
    out["patch"] = nullptr;
    out["error"] = e.what();
  }
  return out;
}

}  // namespace piaojue::projections
