// piaojue-bench generate --out FILE --entries N [--data DIR]
//
// A province's year as an export bundle: the demo's story told by as many
// counties as N entries need (demo::WriteProvince), every entry appended
// through the ledger with the cycle's rules, then exported with the log's
// signed checkpoint, exactly as `piaojue export` writes it.
#include <filesystem>
#include <optional>

#include "api/cli/data_dir.h"
#include "api/demo/province.h"
#include "bench/verbs.h"
#include "ledger/bundle.h"
#include "ledger/entry.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/text_validation.h"

namespace piaojue::bench {

int RunGenerate(const GenerateArgs& args) {
  const std::string verb = "generate";
  if (args.out.empty()) return Fail(verb, "--out is required");
  const uint64_t story = demo::ProvinceSize(1);
  if (story < 2) return Fail(verb, "the demo story could not be told");
  const int counties = static_cast<int>(
      std::max<uint64_t>(1, (args.entries + story - 3) / (story - 1)));
  std::optional<ScratchDir> scratch;
  std::string data = args.data;
  if (data.empty()) {
    scratch.emplace("generate");
    data = scratch->path() + "/data";  // its keys folder goes beside it
  }
  const Clock::time_point start = Clock::now();
  demo::ProvinceOptions options;
  options.data = data;
  options.counties = counties;
  if (args.window > 0) options.window_entries = args.window;
  if (Status s = demo::WriteProvince(options); !s.ok()) {
    return Fail(verb, s.ToString());
  }
  const double write_seconds = SecondsSince(start);
  // Before the export: the window of signed events, the ledger and the
  // projections' state (and the snapshot the province writes at its end).
  const double write_peak_rss = PeakRssMiB();

  const cli::DataDir dir(data);
  auto ledger = ledger::Ledger::Open(dir.ledger_path(), {}, true);
  if (!ledger.ok()) return Fail(verb, ledger.status().ToString());
  auto note = (*ledger)->LatestCheckpoint();
  if (!note.ok()) return Fail(verb, note.status().ToString());
  const uint64_t size = (*ledger)->size();
  if (Status s = ledger::WriteBundle(
          args.out, *note, size,
          [&](uint64_t i) { return (*ledger)->ReadEntry(i); });
      !s.ok()) {
    return Fail(verb, s.ToString());
  }
  std::string vkey;
  if (auto genesis = (*ledger)->ReadEntry(0); genesis.ok()) {
    if (auto view = ledger::EntryView::Parse(*genesis); view.ok()) {
      vkey = ledger::TextString(view->event().getGenesis().getCheckpointKey());
    }
  }
  std::error_code ec;
  nlohmann::json out;
  out["verb"] = verb;
  out["entries"] = size;
  out["counties"] = counties;
  out["jurisdictions"] = 3 * counties;
  out["seconds"] = SecondsSince(start);
  out["write_seconds"] = write_seconds;
  out["entries_per_s"] = size / write_seconds;
  out["bundle_bytes"] = std::filesystem::file_size(args.out, ec);
  out["vkey"] = vkey;
  out["peak_rss_mib"] = PeakRssMiB();
  out["write_peak_rss_mib"] = write_peak_rss;
  out["cpu_seconds"] = ProcessCpuSeconds();
  return PrintResult(out);
}

}  // namespace piaojue::bench
