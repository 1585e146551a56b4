// What the command line says to a clerk, in the language of the locale:
// Chinese when LC_ALL / LC_MESSAGES / LANG name zh_CN (or any zh locale),
// English otherwise. The names of event kinds and roles as the seeds say
// them, and the Chinese text of the rules a clerk meets most.
// See docs/COMMANDS.md, "Language".
#pragma once

#include <string>
#include <string_view>

#include "ledger/status.h"

namespace piaojue::cli {

enum class Lang { kEnglish, kChinese };

// The first of LC_ALL, LC_MESSAGES, LANG that is set and not empty decides:
// a value starting with "zh" is Chinese, anything else English.
Lang LangFromEnvironment();

// "cycleOpened" -> "开启年度民生实事项目周期" (kChinese) or the kind itself
// (kEnglish). Unknown kinds are returned unchanged.
std::string EventKindLabel(std::string_view kind, Lang lang);

// "teller" -> "计票人" (kChinese) or the role itself (kEnglish).
std::string RoleLabel(std::string_view role, Lang lang);

// Picks the text for `lang`.
inline const char* Say(Lang lang, const char* english, const char* chinese) {
  return lang == Lang::kChinese ? chinese : english;
}

// The Chinese explanation of a rule of the cycle (docs/RULES.md), by rule
// id ("proposal.window"); "" when the table has none.
std::string_view RuleTextZh(std::string_view rule_id);

// A status as the user should read it: in kChinese, a refusal by a rule
// ("rule proposal.window: …") keeps its rule id and English detail and
// gains the rule's Chinese explanation; the common codes are named in
// Chinese. In kEnglish the status is returned unchanged.
Status Localize(const Status& status, Lang lang);

}  // namespace piaojue::cli
