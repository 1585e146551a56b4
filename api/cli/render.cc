#include "api/cli/render.h"

#include <algorithm>
#include <string>
#include <vector>

namespace piaojue::cli {

namespace {

using nlohmann::json;

bool IsWide(uint32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

// Money objects {"fen", "yuan"} print as their yuan text.
bool IsMoney(const json& v) {
  return v.is_object() && v.size() == 2 && v.contains("fen") &&
         v.contains("yuan");
}

std::string Cell(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (IsMoney(v)) return "¥" + v["yuan"].get<std::string>();
  if (v.is_array()) {
    bool scalars = std::all_of(v.begin(), v.end(),
                               [](const json& e) { return e.is_primitive(); });
    if (scalars && v.size() <= 8) {
      std::string s;
      for (const json& e : v) {
        if (!s.empty()) s += ',';
        s += Cell(e);
      }
      return s.empty() ? "-" : s;
    }
    return "[" + std::to_string(v.size()) + "]";
  }
  if (v.is_object()) {
    if (v.contains("name") && v["name"].is_string()) {
      return v["name"].get<std::string>();
    }
    // A small record inside a row: its fields inline.
    std::string s;
    for (auto& [k, e] : v.items()) {
      if (!s.empty()) s += ' ';
      s += k + '=' + Cell(e);
    }
    return s.empty() ? "-" : s;
  }
  return v.dump();
}

void Pad(std::ostream& out, const std::string& s, size_t width) {
  out << s;
  for (size_t w = DisplayWidth(s); w < width; ++w) out << ' ';
}

bool IsTable(const json& v) {
  return v.is_array() && !v.empty() &&
         std::all_of(v.begin(), v.end(),
                     [](const json& e) { return e.is_object(); });
}

void RenderTable(const json& rows, int indent, std::ostream& out) {
  // Columns: every scalar-ish field, in first-seen order.
  std::vector<std::string> columns;
  for (const json& r : rows) {
    for (auto& [k, v] : r.items()) {
      if (IsTable(v)) continue;  // nested lists print below
      if (std::find(columns.begin(), columns.end(), k) == columns.end()) {
        columns.push_back(k);
      }
    }
  }
  std::vector<size_t> width(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    width[c] = DisplayWidth(columns[c]);
    for (const json& r : rows) {
      std::string s = r.contains(columns[c]) ? Cell(r[columns[c]]) : "";
      width[c] = std::min<size_t>(std::max(width[c], DisplayWidth(s)), 48);
    }
  }
  const std::string pad(indent, ' ');
  out << pad;
  for (size_t c = 0; c < columns.size(); ++c) {
    Pad(out, columns[c], width[c] + 2);
  }
  out << "\n";
  for (const json& r : rows) {
    out << pad;
    for (size_t c = 0; c < columns.size(); ++c) {
      Pad(out, r.contains(columns[c]) ? Cell(r[columns[c]]) : "", width[c] + 2);
    }
    out << "\n";
  }
}

void Render(const json& v, int indent, std::ostream& out) {
  const std::string pad(indent, ' ');
  std::vector<std::pair<std::string, const json*>> nested;
  for (auto& [k, e] : v.items()) {
    if (IsTable(e) || (e.is_object() && !IsMoney(e) && !e.empty())) {
      nested.emplace_back(k, &e);
    } else {
      out << pad << k << ": " << Cell(e) << "\n";
    }
  }
  for (auto& [k, e] : nested) {
    out << pad << k << ":\n";
    if (e->is_array()) {
      RenderTable(*e, indent + 2, out);
      // Lists nested inside rows (e.g. a cycle's rounds): each under its row.
      for (const json& row : *e) {
        for (auto& [rk, rv] : row.items()) {
          if (!IsTable(rv)) continue;
          std::string label =
              k + " " +
              (row.contains("ref")      ? Cell(row["ref"])
               : row.contains("record") ? Cell(row["record"])
                                        : Cell(row.begin().value())) +
              " " + rk;
          out << pad << "  " << label << ":\n";
          RenderTable(rv, indent + 4, out);
        }
      }
    } else {
      Render(*e, indent + 2, out);
    }
  }
}

}  // namespace

size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xF0 && i + 3 < s.size()) {
      cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) |
           ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu);
      len = 4;
    } else if (c >= 0xE0 && i + 2 < s.size()) {
      cp = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
      len = 3;
    } else if (c >= 0xC0 && i + 1 < s.size()) {
      cp = ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
      len = 2;
    }
    width += IsWide(cp) ? 2 : 1;
    i += len;
  }
  return width;
}

void RenderView(const json& view, std::ostream& out) { Render(view, 0, out); }

}  // namespace piaojue::cli
