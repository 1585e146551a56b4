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
    std::string count = std::to_string(v.size());
    count.insert(count.begin(), '[');
    count.push_back(']');
    return count;
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

// Cuts `s` to at most `width` display columns, at a character boundary,
// marking the cut with "…".
std::string Truncate(const std::string& s, size_t width) {
  if (DisplayWidth(s) <= width) return s;
  std::string out;
  size_t used = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) {
      len = 4;
    } else if (c >= 0xE0) {
      len = 3;
    } else if (c >= 0xC0) {
      len = 2;
    }
    const std::string ch = s.substr(i, len);
    const size_t w = DisplayWidth(ch);
    if (used + w + 1 > width) break;
    out += ch;
    used += w;
    i += len;
  }
  return out + "…";
}

constexpr size_t kMaxCellWidth = 40;

void Pad(std::ostream& out, const std::string& s, size_t width) {
  out << s;
  for (size_t w = DisplayWidth(s); w < width; ++w) out << ' ';
}

bool IsTable(const json& v) {
  return v.is_array() && !v.empty() &&
         std::all_of(v.begin(), v.end(),
                     [](const json& e) { return e.is_object(); });
}

// An object with lists of records inside gets its own section rather than a
// cell.
bool IsSection(const json& v) {
  if (!v.is_object() || IsMoney(v)) return false;
  for (auto& [k, e] : v.items()) {
    if (IsTable(e) || IsSection(e)) return true;
  }
  return false;
}

bool IsNested(const json& v) { return IsTable(v) || IsSection(v); }

// How a row is named in the heading of its sections.
std::string RowName(const json& row) {
  for (const char* key : {"ref", "record", "entry", "item", "round"}) {
    if (row.contains(key) && row[key].is_primitive()) return Cell(row[key]);
  }
  return "";
}

void Render(const json& v, int indent, std::ostream& out);

void RenderTable(const json& rows, int indent, std::ostream& out) {
  // Columns: every field that fits in a cell, in first-seen order.
  std::vector<std::string> columns;
  for (const json& r : rows) {
    for (auto& [k, v] : r.items()) {
      if (IsNested(v)) continue;
      if (std::find(columns.begin(), columns.end(), k) == columns.end()) {
        columns.push_back(k);
      }
    }
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    width[c] = DisplayWidth(columns[c]);
  }
  for (const json& r : rows) {
    std::vector<std::string> line;
    for (size_t c = 0; c < columns.size(); ++c) {
      std::string s = r.contains(columns[c])
                          ? Truncate(Cell(r[columns[c]]), kMaxCellWidth)
                          : "";
      width[c] = std::max(width[c], DisplayWidth(s));
      line.push_back(std::move(s));
    }
    cells.push_back(std::move(line));
  }
  const std::string pad(indent, ' ');
  out << pad;
  for (size_t c = 0; c < columns.size(); ++c) {
    Pad(out, columns[c], width[c] + 2);
  }
  out << "\n";
  for (const auto& line : cells) {
    out << pad;
    for (size_t c = 0; c < columns.size(); ++c) Pad(out, line[c], width[c] + 2);
    out << "\n";
  }
}

void RenderRows(const std::string& label, const json& rows, int indent,
                std::ostream& out) {
  if (rows.size() == 1) {
    Render(rows[0], indent, out);
    return;
  }
  RenderTable(rows, indent, out);
  const std::string pad(indent, ' ');
  for (const json& row : rows) {
    for (auto& [k, e] : row.items()) {
      if (!IsNested(e)) continue;
      out << pad << label << " " << RowName(row) << " " << k << ":\n";
      if (e.is_array()) {
        RenderRows(k, e, indent + 2, out);
      } else {
        Render(e, indent + 2, out);
      }
    }
  }
}

void Render(const json& v, int indent, std::ostream& out) {
  const std::string pad(indent, ' ');
  // Outside tables every record gets its own lines.
  auto own_lines = [](const json& e) {
    return IsNested(e) || (e.is_object() && !IsMoney(e) && !e.empty());
  };
  for (auto& [k, e] : v.items()) {
    if (!own_lines(e)) out << pad << k << ": " << Cell(e) << "\n";
  }
  for (auto& [k, e] : v.items()) {
    if (!own_lines(e)) continue;
    out << pad << k << ":\n";
    if (e.is_array()) {
      RenderRows(k, e, indent + 2, out);
    } else {
      Render(e, indent + 2, out);
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
