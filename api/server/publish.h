// `piaojue publish`: everything a reader needs, written as plain files that
// any web server, object store or CDN can serve (docs/DEPLOY.md):
//
//   tlog/checkpoint                       the checkpoint /tlog/checkpoint
//                                         serves (with its stored witness
//                                         cosignatures), written last
//   tlog/tile/<L>/<N>[.p/<W>]             C2SP hash tiles, as the server
//   tlog/tile/entries/<N>[.p/<W>]         C2SP entry bundles (+ .gz)
//   v1/<path>.json                        GET /v1/<path> of the server, for
//                                         every view and record the portal
//                                         reads without a query string
//   v1/proof/consistency/<M>.json         GET /v1/proof/consistency?old=M,
//                                         from each earlier published size
//   index.html, assets/…, portal-config.json   the portal, in static mode
//
// Incremental: a file whose bytes are unchanged is not written again, and a
// full tile, full entry bundle or entry record covered by the checkpoint
// already published in OUT is never rewritten (nor read). Every file is
// written to a temporary name and renamed; the new files reach the disk
// (syncfs) before the checkpoint is renamed into place, so a reader never
// sees a checkpoint whose tiles are missing.
//
// Opens DIR read-only, so it runs beside `piaojue serve` on the same data
// (it then publishes the server's latest stored checkpoint). With no server
// running, a checkpoint of the whole log is signed first if the stored one
// is behind (as `piaojue checkpoint` would).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace piaojue::server {

struct PublishOptions {
  std::string data_dir;  // DIR
  std::string out_dir;   // WWW, created if missing
  // The public URL of a live `piaojue serve` for what files cannot do (time
  // travel, search, what-changed, the proposal form, live updates); the
  // static portal links there. Empty: those parts are hidden.
  std::string dynamic_url;
};

struct PublishReport {
  uint64_t tree_size = 0;           // the published checkpoint's size
  uint64_t previous_tree_size = 0;  // the one OUT held before (0 if none)
  // Paths (relative to OUT, '/'-separated) written by this run, .gz
  // siblings included; files left as they were are counted only.
  std::vector<std::string> written;
  uint64_t unchanged = 0;
};

// FailedPrecondition when OUT already holds a checkpoint of another log, of
// a larger tree, or one this log's tree does not extend (a fork): nothing is
// written then. NotFound when DIR has no ledger or no checkpoint yet.
Result<PublishReport> Publish(const PublishOptions& options);

}  // namespace piaojue::server
