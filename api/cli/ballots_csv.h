// Ballots entered from paper: the tellers' CSV sheet of one ballot box read
// into ballot marks, split into the ballotsRecorded parts the rules require,
// and counted for the tellers to compare with their paper tally sheet.
// See docs/COMMANDS.md, "piaojue ballots", for the sheet's format.
//
// The sheet (UTF-8, an optional BOM, comma-separated, RFC 4180 quoting,
// LF or CRLF line ends):
//
//   header    = cell *("," cell)      ; one column per item, ballot order:
//                                     ; the item's ref ("14"), its name on
//                                     ; the candidate list, or "14 name"
//   ballot    = cell *("," cell)      ; one row per ballot, same columns
//   selection marks:     赞成 ○ 〇 1  |  反对 × ✕ 2  |  弃权 空 3 (or empty)
//   satisfaction marks:  满意 1 | 基本满意 2 | 不满意 3 | 弃权 4 (or empty)
//   any purpose:         无效  -- a mark that cannot count (two marks, a
//                                   scribble): recorded as byte 0, so the
//                                   ballot is invalid (废票), FORMAT.md
//   a whole row:         无法辨认 in the first cell, the others empty --
//                        an unreadable ballot (counted in `unreadable`)
//
// Lines that are empty, or whose first cell starts with "#", are skipped.
// Rows are numbered as a spreadsheet shows them (the header is row 1).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "projections/tally.h"

namespace piaojue::cli {

// One item of the round's ballot, in ballot order.
struct BallotItem {
  uint64_t ref = 0;
  std::string name;
};

// What reading a sheet needs to know about the round.
struct SheetRound {
  projections::TallyRules rules;
  std::vector<BallotItem> items;  // ballot order
};

// A ballot that is recorded but does not count (废票), with its sheet row.
struct InvalidBallot {
  size_t row = 0;
  std::string why;
};

struct BallotSheet {
  // The readable ballots, each items.size() mark bytes, in sheet order.
  std::vector<std::string> ballots;
  uint32_t unreadable = 0;
  // Every invalid ballot (unreadable ones included), by row.
  std::vector<InvalidBallot> invalid;
};

// Reads a sheet. InvalidArgument naming the row (and column) for anything
// that is not a ballot as described above: a header that does not list the
// round's items in ballot order, a row with the wrong number of cells, a
// cell that is not a mark. Such an error is the sheet's, not the deputy's:
// nothing is recorded until it is fixed. `chinese` selects the language of
// the messages.
Result<BallotSheet> ReadBallotSheet(std::string_view csv,
                                    const SheetRound& round, bool chinese);

// One ballotsRecorded part of a box.
struct BallotPart {
  uint16_t part = 1;
  uint16_t part_count = 1;
  std::string marks;  // sorted ascending (canonical order)
  uint32_t unreadable = 0;
};

// Sorts `ballots` canonically and splits them into parts as RULES.md
// ("ballots.parts_full") requires: max(1, ceil(B / F(n))) parts, every part
// but the last holding exactly F(n) = projections::BallotsPerPart(n)
// ballots. The unreadable ballots go with the last part. InvalidArgument
// if the box needs more than 65535 parts.
Result<std::vector<BallotPart>> SplitIntoParts(std::vector<std::string> ballots,
                                               size_t item_count,
                                               uint32_t unreadable);

// The count of a sheet, by the recount's own code (projections/tally.h), so
// the totals shown equal what the ledger will recount.
projections::BallotCount CountSheet(const SheetRound& round,
                                    const BallotSheet& sheet);

// Prints a count: ballots, valid, invalid, and per item (ballot order, by
// name) its marks.
void PrintCount(const SheetRound& round, const projections::BallotCount& count,
                bool chinese, std::ostream& out);

// Prints the per-item totals and the invalid ballots for the tellers.
void PrintSheetTotals(const SheetRound& round, const BallotSheet& sheet,
                      bool chinese, std::ostream& out);

struct BallotsOptions {
  std::string data;
  uint64_t round = 0;
  uint64_t box = 0;
  std::string from;      // the CSV sheet
  std::string key_file;  // the teller's key: sign (with --out) or --submit
  std::string out_dir;   // write one command file per part here
  bool submit = false;   // append the parts to DIR's ledger
  bool chinese = false;
};
// `piaojue ballots`: reads the sheet of box `box` of round `round`, checks
// it against the box (its round, opened, not yet recorded, as many ballots
// as it collected), prints the totals and writes (or submits) one
// ballotsRecorded command per part.
Status RecordBallotsFromSheet(const BallotsOptions& o, std::ostream& out);

}  // namespace piaojue::cli
