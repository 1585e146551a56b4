// Commands as a clerk writes them, read into the event form the ledger
// signs. See docs/COMMANDS.md, "Writing a command".
//
// A command is JSON, {"jurisdiction": "610102", "event": {"<kind>": {…}}},
// with these conveniences on top of the Cap'n Proto JSON mapping of the
// schema (ledger/event_json.h):
//  - comments: `// …` and `/* … */` anywhere (JSONC), and any object member
//    whose name starts with "//" (e.g. "//": "说明"), are ignored;
//  - dates (every `Date` field): {"year": 2025, "month": 6, "day": 15},
//    "2025-06-15" or "2025年6月15日";
//  - money (every `…Fen` field): a number of fen, or a string in yuan:
//    "3,000.50元", "12.5万元", "¥1,200";
//  - integers may be written as decimal strings ("12");
//  - a satisfaction tally item may use the view's words: satisfied,
//    basicallySatisfied, unsatisfied, abstain (instead of approve, oppose,
//    abstain, satisfactionAbstain, which are still accepted).
// Every error names the field (as a path, e.g. event.cycleOpened.level),
// what was given, and what is accepted (every enumerant), in the language
// asked for; no decoder text ever reaches the user.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/cli/messages.h"
#include "ledger/status.h"

namespace piaojue::cli {

struct Command {
  std::string jurisdiction;  // "" for deployment-level acts
  std::string event_json;    // the event in the schema's JSON mapping
};

// InvalidArgument (in `lang`) unless `text` is a command as described above.
Result<Command> ParseCommand(std::string_view text, Lang lang);

// "3,000.50元" -> 300050, "12.5万元" -> 12500000, "¥1,200" -> 120000.
// nullopt for anything else (no unit, more decimals than a fen, overflow).
std::optional<int64_t> ParseYuanToFen(std::string_view text);

struct CalendarDay {
  int year = 0, month = 0, day = 0;
};
// "2025-06-15" or "2025年6月15日" (a real calendar day); nullopt otherwise.
std::optional<CalendarDay> ParseCalendarDay(std::string_view text);

// The Chinese name of an enumerant, e.g. ("Level", "county") -> "县/市/区";
// "" when there is none.
std::string_view EnumerantZh(std::string_view enum_name,
                             std::string_view enumerant);

}  // namespace piaojue::cli
