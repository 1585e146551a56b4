// The text rule (ledger/text_validation.h, docs/FORMAT.md "Text fields"):
// the fast check of a text's bytes (ledger/internal/text_value.h) against
// the code point loop it replaced, which stays as the reference. The bytes
// are one text, checked as a single-line and as a multi-line field.
#include <cstddef>
#include <cstdint>

#include "ledger/internal/text_value.h"
#include "ledger/text_validation.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace piaojue::ledger;
  piaojue::fuzz::InitOnce();
  const std::string_view text = piaojue::fuzz::AsText(data, size);
  for (TextLines lines : {TextLines::kSingle, TextLines::kMulti}) {
    const piaojue::Status reference =
        internal::CheckTextValueByCodePoint(text, lines);
    FUZZ_CHECK(internal::TextValueAllowed(text, lines) == reference.ok(),
               "the fast check answers as the code point loop: " +
                   reference.ToString());
    const piaojue::Status checked = CheckTextValue(text, lines);
    FUZZ_CHECK(checked.code() == reference.code() &&
                   checked.message() == reference.message(),
               "CheckTextValue words a refusal as the code point loop");
  }
  return 0;
}
