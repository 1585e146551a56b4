// The projections snapshot's binary records (docs/FORMAT.md, "Projection
// snapshots"), without the consistency check State::ReadSnapshot adds. For
// projections/ and the tests that damage a snapshot's contents on purpose.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "ledger/status.h"
#include "projections/internal/model.h"
#include "projections/state.h"

namespace piaojue::projections::internal {

// The first bytes of every snapshot of this version.
inline constexpr std::string_view kSnapshotMagic =
    "piaojue-projections-snapshot/3\n";

// Writes `m` as a snapshot, record by record, to `out` (called with chunks
// of about 1 MiB; its first error stops the writing and is returned).
Status WriteModel(const Model& m,
                  const std::function<Status(std::string_view)>& out);

// Reads one snapshot from `in` into `*m` (which must be a default Model).
// Corruption for anything that is not a well-formed snapshot of this version
// (its message says what and at which byte); IOError from `in`. Does not
// check that references name existing records (CheckConsistent does).
Status ReadModel(SnapshotSource& in, Model* m);

// Every index within the log and every reference naming a record of the
// right kind; Corruption otherwise.
Status CheckConsistent(const Model& m);

}  // namespace piaojue::projections::internal
