// The context an event is checked and applied in (projections/internal/
// rules.h). Private to projections/: state.h includes it only so that a
// PreparedEntry holds its context by value (made on a decode thread, freed on
// another, it was one allocation an entry more).
#pragma once

#include <cstdint>
#include <string>

#include "ledger/crypto.h"
#include "projections/dates.h"

namespace piaojue::projections::internal {

struct Ctx {
  // Where the event stands: the new entry's index, or, for a correction's
  // replacement, the index of the entry it replaces.
  uint64_t index = 0;
  Date date;  // the CST date of that place
  std::string jurisdiction;
  bool replacing = false;
  uint64_t by = 0;  // the entry being applied (the correction, if replacing)
  Date by_date;     // the CST date of entry `by`
  crypto::PublicKey author{};  // the key of entry `by`'s author
};

}  // namespace piaojue::projections::internal
