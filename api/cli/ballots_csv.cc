// See api/cli/ballots_csv.h for the sheet's grammar and docs/RULES.md,
// "Boxes and ballots", for the parts it is split into.
#include "api/cli/ballots_csv.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/cli/cycle_info.h"
#include "api/cli/render.h"
#include "api/cli/session.h"
#include "ledger/crypto.h"
#include "projections/state.h"

namespace piaojue::cli {

namespace {

using projections::VotePurpose;

const char* Say(bool chinese, const char* english, const char* zh) {
  return chinese ? zh : english;
}

// Splits CSV text into rows of cells (RFC 4180: quoted cells may hold
// commas, quotes doubled, and line breaks). Each row remembers the line it
// started on, so errors can name the row a spreadsheet shows.
struct CsvRow {
  size_t row = 0;
  std::vector<std::string> cells;
};

Result<std::vector<CsvRow>> SplitCsv(std::string_view text, bool chinese) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // BOM
  std::vector<CsvRow> rows;
  CsvRow row{1, {}};
  std::string cell;
  size_t line = 1;
  bool quoted = false, cell_started = false;
  auto end_row = [&]() {
    row.cells.push_back(std::move(cell));
    cell.clear();
    cell_started = false;
    rows.push_back(std::move(row));
    row = CsvRow{line + 1, {}};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        cell.push_back(c);
      }
      continue;
    }
    if (c == '"' && !cell_started) {
      quoted = cell_started = true;
    } else if (c == ',') {
      row.cells.push_back(std::move(cell));
      cell.clear();
      cell_started = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      end_row();
      ++line;
    } else {
      cell.push_back(c);
      cell_started = true;
    }
  }
  if (quoted) {
    return InvalidArgument(
        std::string(Say(chinese, "row ", "第")) + std::to_string(row.row) +
        Say(chinese, ": a quoted cell is never closed", " 行：引号未闭合"));
  }
  if (cell_started || !row.cells.empty()) end_row();
  return rows;
}

// Removes ASCII and ideographic (U+3000) spaces at both ends.
std::string Trim(std::string_view s) {
  auto strip_front = [&]() {
    if (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
      s.remove_prefix(1);
      return true;
    }
    if (s.substr(0, 3) == "\xE3\x80\x80") {
      s.remove_prefix(3);
      return true;
    }
    return false;
  };
  auto strip_back = [&]() {
    if (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
      s.remove_suffix(1);
      return true;
    }
    if (s.size() >= 3 && s.substr(s.size() - 3) == "\xE3\x80\x80") {
      s.remove_suffix(3);
      return true;
    }
    return false;
  };
  while (strip_front()) {
  }
  while (strip_back()) {
  }
  return std::string(s);
}

bool IsBlank(const CsvRow& row) {
  return std::all_of(row.cells.begin(), row.cells.end(),
                     [](const std::string& c) { return Trim(c).empty(); }) &&
         row.cells.size() <= 1;
}

bool IsComment(const CsvRow& row) {
  return !row.cells.empty() && Trim(row.cells[0]).rfind('#', 0) == 0;
}

constexpr char kUnreadable[] = "无法辨认";
constexpr char kInvalidMark[] = "无效";

// The byte for one cell, or -1 if the cell is not a mark of this purpose.
int MarkOf(std::string_view cell, VotePurpose purpose) {
  if (cell == kInvalidMark) return 0;
  if (purpose == VotePurpose::kSatisfaction) {
    if (cell == "满意" || cell == "1") return projections::kMarkSatisfied;
    if (cell == "基本满意" || cell == "2") {
      return projections::kMarkBasicallySatisfied;
    }
    if (cell == "不满意" || cell == "3") return projections::kMarkUnsatisfied;
    if (cell == "弃权" || cell == "4" || cell.empty()) {
      return projections::kMarkSatisfactionAbstain;
    }
    return -1;
  }
  if (cell == "赞成" || cell == "○" || cell == "〇" || cell == "1") {
    return projections::kMarkApprove;
  }
  if (cell == "反对" || cell == "×" || cell == "✕" || cell == "2") {
    return projections::kMarkOppose;
  }
  if (cell == "弃权" || cell == "空" || cell == "3" || cell.empty()) {
    return projections::kMarkAbstain;
  }
  return -1;
}

std::string AcceptedMarks(VotePurpose purpose, bool chinese) {
  if (purpose == VotePurpose::kSatisfaction) {
    return Say(chinese,
               "满意 or 1, 基本满意 or 2, 不满意 or 3, 弃权 or 4 or empty, "
               "无效 (a mark that cannot count)",
               "满意 或 1、基本满意 或 2、不满意 或 3、弃权 或 4 或留空、"
               "无效（无法计入的划写）");
  }
  return Say(chinese,
             "赞成 or ○ or 1, 反对 or × or 2, 弃权 or 空 or 3 or empty, "
             "无效 (a mark that cannot count)",
             "赞成 或 ○ 或 1、反对 或 × 或 2、弃权 或 空 或 3 或留空、"
             "无效（无法计入的划写）");
}

std::string BallotOrder(const SheetRound& round) {
  std::string s;
  for (size_t i = 0; i < round.items.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(i + 1) + ". " +
         std::to_string(round.items[i].ref) + " " + round.items[i].name;
  }
  return s;
}

// True if a header cell names `item`: its ref, its name, or "ref name".
bool HeaderNames(std::string_view cell, const BallotItem& item) {
  const std::string ref = std::to_string(item.ref);
  if (cell == ref || cell == item.name) return true;
  if (cell.substr(0, ref.size()) == ref && cell.size() > ref.size()) {
    return Trim(cell.substr(ref.size())) == item.name;
  }
  return false;
}

std::string Where(bool chinese, size_t row, size_t column = 0,
                  const BallotItem* item = nullptr) {
  std::string s = Say(chinese, "row ", "第 ") + std::to_string(row);
  if (chinese) s += " 行";
  if (column) {
    s += Say(chinese, ", column ", "第 ") + std::to_string(column);
    if (chinese) s += " 列";
    if (item) s += " (" + item->name + ")";
  }
  return s + Say(chinese, ": ", "：");
}

}  // namespace

Result<BallotSheet> ReadBallotSheet(std::string_view csv,
                                    const SheetRound& round, bool chinese) {
  ASSIGN_OR_RETURN(std::vector<CsvRow> rows, SplitCsv(csv, chinese));
  const size_t n = round.items.size();
  BallotSheet sheet;
  bool header_seen = false;
  for (const CsvRow& row : rows) {
    if (IsBlank(row) || IsComment(row)) continue;
    std::vector<std::string> cells;
    for (const std::string& c : row.cells) cells.push_back(Trim(c));
    if (!header_seen) {
      header_seen = true;
      bool ok = cells.size() == n;
      for (size_t i = 0; ok && i < n; ++i) {
        ok = HeaderNames(cells[i], round.items[i]);
      }
      if (!ok) {
        return InvalidArgument(
            Where(chinese, row.row) +
            Say(chinese,
                "the header must name the round's items in ballot order, "
                "by ref or name: ",
                "表头须按选票顺序列出本轮各项（编号或名称）：") +
            BallotOrder(round));
      }
      continue;
    }
    if (cells.size() >= 1 && cells[0] == kUnreadable &&
        std::all_of(cells.begin() + 1, cells.end(),
                    [](const std::string& c) { return c.empty(); })) {
      ++sheet.unreadable;
      sheet.invalid.push_back(
          {row.row, Say(chinese, "unreadable", "无法辨认")});
      continue;
    }
    if (cells.size() != n) {
      return InvalidArgument(
          Where(chinese, row.row) + std::to_string(cells.size()) +
          Say(chinese, " cells, but the ballot has ", " 个单元格，但选票有 ") +
          std::to_string(n) +
          Say(chinese,
              " items (one column per item; write 无法辨认 in the "
              "first cell for an unreadable ballot)",
              " 项（每项一列；无法辨认的选票在第一格写“无法辨认”）"));
    }
    std::string ballot;
    bool invalid_mark = false;
    for (size_t i = 0; i < n; ++i) {
      const int mark = MarkOf(cells[i], round.rules.purpose);
      if (mark < 0) {
        return InvalidArgument(Where(chinese, row.row, i + 1, &round.items[i]) +
                               "\"" + cells[i] + "\"" +
                               Say(chinese, " is not a mark; accepted: ",
                                   " 不是有效的划写；可用：") +
                               AcceptedMarks(round.rules.purpose, chinese));
      }
      if (mark == 0) invalid_mark = true;
      ballot.push_back(static_cast<char>(mark));
    }
    if (!projections::BallotIsValid(round.rules, ballot)) {
      std::string why;
      if (invalid_mark) {
        why = Say(chinese, "a mark that cannot count (无效)",
                  "有无法计入的划写（无效）");
      } else {
        const auto approvals =
            std::count(ballot.begin(), ballot.end(),
                       static_cast<char>(projections::kMarkApprove));
        const uint32_t limit =
            round.rules.max_approvals == 0
                ? round.rules.seats
                : std::min(round.rules.max_approvals, round.rules.seats);
        why = chinese ? "赞成 " + std::to_string(approvals) +
                            " 项，超过本轮上限 " + std::to_string(limit) + " 项"
                      : "approves " + std::to_string(approvals) +
                            " items, more than the round's limit of " +
                            std::to_string(limit);
      }
      sheet.invalid.push_back({row.row, std::move(why)});
    }
    sheet.ballots.push_back(std::move(ballot));
  }
  if (!header_seen) {
    return InvalidArgument(
        Say(chinese, "the sheet is empty: it needs a header row naming ",
            "表格为空：需要一行表头，列出 ") +
        BallotOrder(round));
  }
  return sheet;
}

Result<std::vector<BallotPart>> SplitIntoParts(std::vector<std::string> ballots,
                                               size_t item_count,
                                               uint32_t unreadable) {
  std::sort(ballots.begin(), ballots.end());
  const size_t full = projections::BallotsPerPart(
      static_cast<uint32_t>(std::min<size_t>(item_count, UINT32_MAX)));
  const size_t parts = std::max<size_t>(1, (ballots.size() + full - 1) / full);
  if (parts > UINT16_MAX) {
    return InvalidArgument("the box holds too many ballots for one box (" +
                           std::to_string(ballots.size()) + ")");
  }
  std::vector<BallotPart> out(parts);
  for (size_t p = 0; p < parts; ++p) {
    out[p].part = static_cast<uint16_t>(p + 1);
    out[p].part_count = static_cast<uint16_t>(parts);
    const size_t end = std::min(ballots.size(), (p + 1) * full);
    for (size_t b = p * full; b < end; ++b) out[p].marks += ballots[b];
  }
  out.back().unreadable = unreadable;
  return out;
}

projections::BallotCount CountSheet(const SheetRound& round,
                                    const BallotSheet& sheet) {
  std::vector<uint64_t> refs;
  for (const BallotItem& item : round.items) refs.push_back(item.ref);
  projections::BallotCount count = projections::EmptyCount(refs);
  std::string marks;
  for (const std::string& b : sheet.ballots) marks += b;
  projections::CountBallots(round.rules, {marks, sheet.unreadable}, &count);
  return count;
}

void PrintCount(const SheetRound& round, const projections::BallotCount& count,
                bool chinese, std::ostream& out) {
  const bool satisfaction = round.rules.purpose == VotePurpose::kSatisfaction;
  out << Say(chinese, "ballots ", "选票 ") << count.read + count.unreadable
      << Say(chinese, ", valid ", "，有效 ") << count.valid
      << Say(chinese, ", invalid ", "，无效 ") << count.invalid
      << Say(chinese, " (unreadable ", "（无法辨认 ") << count.unreadable
      << Say(chinese, ")\n", "）\n");
  size_t width = 0;
  for (const BallotItem& item : round.items) {
    width = std::max(width, DisplayWidth(item.name));
  }
  for (size_t i = 0; i < round.items.size() && i < count.items.size(); ++i) {
    const BallotItem& item = round.items[i];
    const projections::ItemCount& c = count.items[i];
    out << "  " << i + 1 << ". " << item.name
        << std::string(width - DisplayWidth(item.name) + 2, ' ');
    if (satisfaction) {
      out << Say(chinese, "satisfied ", "满意 ") << c.approve
          << Say(chinese, "  basically ", "  基本满意 ") << c.oppose
          << Say(chinese, "  unsatisfied ", "  不满意 ") << c.abstain
          << Say(chinese, "  abstain ", "  弃权 ") << c.satisfaction_abstain;
    } else {
      out << Say(chinese, "approve ", "赞成 ") << c.approve
          << Say(chinese, "  oppose ", "  反对 ") << c.oppose
          << Say(chinese, "  abstain ", "  弃权 ") << c.abstain;
    }
    out << "\n";
  }
}

void PrintSheetTotals(const SheetRound& round, const BallotSheet& sheet,
                      bool chinese, std::ostream& out) {
  PrintCount(round, CountSheet(round, sheet), chinese, out);
  if (!sheet.invalid.empty()) {
    out << Say(chinese, "invalid ballots (废票), recorded as cast:\n",
               "废票（按原样记录，不计入有效票）：\n");
    for (const InvalidBallot& b : sheet.invalid) {
      out << "  " << Say(chinese, "row ", "第 ") << b.row
          << Say(chinese, ": ", " 行：") << b.why << "\n";
    }
  }
}

namespace {

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The ballotsRecorded command of one part, as `piaojue submit` reads it.
std::string PartCommand(const std::string& jurisdiction, uint64_t box,
                        size_t item_count, const BallotPart& part) {
  nlohmann::json j = {{"jurisdiction", jurisdiction},
                      {"event",
                       {{"ballotsRecorded",
                         {{"box", box},
                          {"part", part.part},
                          {"partCount", part.part_count},
                          {"itemCount", item_count},
                          {"marks", crypto::ToHex(crypto::AsBytes(part.marks))},
                          {"unreadable", part.unreadable}}}}}};
  return j.dump(1) + "\n";
}

}  // namespace

Status RecordBallotsFromSheet(const BallotsOptions& o, std::ostream& out) {
  const bool zh = o.chinese;
  if (o.submit == !o.out_dir.empty()) {
    return InvalidArgument(Say(zh, "give exactly one of --out DIR and --submit",
                               "--out 与 --submit 须且只能给一个"));
  }
  if (o.submit && o.key_file.empty()) {
    return InvalidArgument(Say(zh, "--submit needs the teller's --key FILE",
                               "--submit 需要计票人的 --key 密钥文件"));
  }
  ASSIGN_OR_RETURN(std::string csv, ReadTextFile(o.from));
  DataDir dir(o.data);
  ASSIGN_OR_RETURN(auto session, Session::Open(dir, /*read_only=*/!o.submit));
  ASSIGN_OR_RETURN(RoundInfo round, ReadRoundInfo(session->state(), o.round));
  const BoxInfo* box = nullptr;
  for (const BoxInfo& b : round.boxes) {
    if (b.ref == o.box) box = &b;
  }
  if (!box) {
    return NotFound((zh ? "第 " + std::to_string(o.box) + " 号记录不是第 " +
                              std::to_string(o.round) + " 号轮次的票箱"
                        : "entry " + std::to_string(o.box) +
                              " is not a ballot box of round " +
                              std::to_string(o.round)) +
                    BoxList(round, zh));
  }
  if (!box->opened) {
    return FailedPrecondition(
        zh ? "票箱“" + box->label + "”尚未开箱（监票人先记录开箱）"
           : "box \"" + box->label +
                 "\" is not opened yet (the monitors record its opening "
                 "first)");
  }
  if (box->parts_recorded > 0) {
    return FailedPrecondition(zh ? "票箱“" + box->label + "”的选票已经记录"
                                 : "the ballots of box \"" + box->label +
                                       "\" are already recorded");
  }
  ASSIGN_OR_RETURN(BallotSheet sheet, ReadBallotSheet(csv, round.sheet, zh));
  const size_t total = sheet.ballots.size() + sheet.unreadable;
  PrintSheetTotals(round.sheet, sheet, zh, out);
  if (total != box->collected) {
    return FailedPrecondition(
        zh ? "表格有 " + std::to_string(total) + " 张选票，票箱“" + box->label +
                 "”收回 " + std::to_string(box->collected) +
                 " 张：请核对后重录，未写入任何内容"
           : "the sheet holds " + std::to_string(total) + " ballots, box \"" +
                 box->label + "\" collected " + std::to_string(box->collected) +
                 ": check the sheet; nothing was written");
  }
  ASSIGN_OR_RETURN(std::vector<BallotPart> parts,
                   SplitIntoParts(std::move(sheet.ballots),
                                  round.sheet.items.size(), sheet.unreadable));
  std::vector<std::string> commands;
  for (const BallotPart& p : parts) {
    commands.push_back(
        PartCommand(round.jurisdiction, o.box, round.sheet.items.size(), p));
  }
  if (o.submit) {
    ASSIGN_OR_RETURN(note::SignerKey key, ReadKeyFile(o.key_file));
    for (size_t i = 0; i < commands.size(); ++i) {
      ASSIGN_OR_RETURN(
          ledger::SignedEvent event,
          SignCommand(commands[i], key.key_pair, session->ledger().origin()));
      ASSIGN_OR_RETURN(ledger::AppendResult r, session->ledger().Append(event));
      out << (zh ? "已记录第 " : "recorded part ") << i + 1 << "/"
          << commands.size() << (zh ? " 部分：条目 " : ": entry ") << r.index
          << "\n";
    }
    return session->SaveSnapshot();
  }
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return IOError("cannot create " + o.out_dir);
  for (size_t i = 0; i < commands.size(); ++i) {
    const std::string path = o.out_dir + "/ballots-box" +
                             std::to_string(o.box) + "-part" +
                             std::to_string(i + 1) + ".json";
    RETURN_IF_ERROR(WriteCommandFile(path, commands[i], o.key_file,
                                     session->ledger().origin()));
    out << (zh ? "已写出 " : "wrote ") << path << "\n";
  }
  return Status::Ok();
}

}  // namespace piaojue::cli
