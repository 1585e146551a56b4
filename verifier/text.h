// Text the verifier prints comes from the input (file names, event texts,
// parser messages) and may be any bytes. These make it safe to print: the
// JSON report must never abort on invalid UTF-8, and the text report must
// never send a terminal control sequence.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace piaojue::verifier {

// `text` with every byte that is not part of a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF)
// replaced by U+FFFD. Valid text is returned unchanged.
std::string ValidUtf8(std::string_view text);

// ValidUtf8(text), and every control character but '\n' (C0, DEL, C1)
// shown as "\xNN" (C1 as the escape of its UTF-8 bytes), for a terminal.
std::string PrintableText(std::string_view text);

// j.dump(indent), with invalid UTF-8 in strings replaced by U+FFFD instead
// of throwing.
std::string DumpJson(const nlohmann::json& j, int indent = -1);

// Appends to *out what DumpJson(nlohmann::json(text)) writes: `text` as a
// JSON string, quoted and escaped, invalid UTF-8 replaced by U+FFFD. For
// reports written as text without building a document (the recount).
void AppendJsonString(std::string* out, std::string_view text);

// What DumpJson(j, indent) would write for the document whose compact text
// (DumpJson(j)) is `compact`, as the value of a member `depth` levels deep
// in an indented document: the same bytes as parsing `compact` and dumping
// it again, without building the document (the recount of a province is
// ~11 MB of JSON). `compact` must be DumpJson's output.
std::string IndentCompactJson(std::string_view compact, int depth, int indent);

}  // namespace piaojue::verifier
