// `piaojue template KIND`: a complete example command for every event kind a
// clerk submits, as JSONC with explanations in Chinese (`//` comments, which
// the command reader ignores: api/cli/command_form.h). Each one parses as it
// is; a clerk replaces the example values. See docs/COMMANDS.md, "Templates".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/cli/messages.h"
#include "ledger/status.h"

namespace piaojue::cli {

// Every kind with a template, in the order of the cycle (genesis has none:
// `piaojue init` writes it).
const std::vector<std::string>& TemplateKinds();

// The template of `kind`. NotFound (in `lang`) names every kind there is.
Result<std::string> EventTemplate(std::string_view kind, Lang lang);

}  // namespace piaojue::cli
