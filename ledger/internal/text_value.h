// The rule of a text field's value (CheckTextValue, text_validation.h) in two
// implementations: a fast yes/no for the decoders' fast paths, and the
// reference, which decodes code point by code point and words a refusal.
// tests/ledger/text_value_test.cc holds them to the same answer on every
// string of up to three bytes, every Unicode scalar and random mixes.
#pragma once

#include <string_view>

#include "ledger/status.h"
#include "ledger/text_validation.h"

namespace piaojue::ledger::internal {

// True exactly when CheckTextValue(text, lines) is OK. Decodes no code point:
// ASCII eight bytes at a time, and each multi-byte sequence checked by its
// bytes against the ranges the rule allows. Thread-safe; never allocates.
bool TextValueAllowed(std::string_view text, TextLines lines);

// The rule, code point by code point: what CheckTextValue answers (it asks
// TextValueAllowed first and this only for a text it refuses, for the
// message naming the first offending byte).
Status CheckTextValueByCodePoint(std::string_view text, TextLines lines);

}  // namespace piaojue::ledger::internal
