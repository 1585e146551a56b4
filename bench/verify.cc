// piaojue-bench verify --bundle FILE [--vkey KEY] [--threads N]
//
// The auditor's whole run (verifier::Verify, what piaojue-verify does) on a
// bundle: signatures, chain, tree, checkpoint, the cycle's rules replayed and
// every vote recounted.
#include "verifier/verify.h"

#include <malloc.h>

#include "bench/verbs.h"
#include "verifier/prefault.h"

namespace piaojue::bench {

int RunVerify(const VerifyArgs& args) {
  const std::string verb = "verify";
#ifdef __GLIBC__
  // What piaojue-verify's main does (verifier/main.cc): one malloc arena for
  // every thread, so that this verb measures the auditor's own run. Without
  // it the rules' state and the batches grow in arenas of their own.
  mallopt(M_ARENA_MAX, 1);
#endif
  // And its heap's new pages made present ahead of malloc, as there.
  (void)verifier::PrefaultHeap(1 << 20);
  verifier::VerifyOptions options;
  options.path = args.bundle;
  options.vkey = args.vkey;
  options.threads = args.threads;
  options.quiet = true;
  options.check_signatures = !args.no_signatures;
  const Clock::time_point start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  verifier::VerifyReport report = verifier::Verify(options);
  const double seconds = SecondsSince(start);
  const double cpu_seconds = ProcessCpuSeconds() - cpu_start;
  if (report.exit_code != verifier::kExitValid &&
      report.exit_code != verifier::kExitValidUnpinned) {
    return Fail(verb, verifier::Verdict(report.exit_code) + ": " +
                          verifier::ReportToText(report));
  }
  nlohmann::json out;
  out["verb"] = verb;
  out["verdict"] = verifier::Verdict(report.exit_code);
  out["signatures"] = !args.no_signatures;
  out["entries"] = report.entries;
  out["seconds"] = seconds;
  out["entries_per_s"] = report.entries / seconds;
  out["cpu_seconds"] = cpu_seconds;
  // All cores busy: what the machine would do if it were ours alone.
  out["entries_per_cpu_s"] = report.entries / cpu_seconds;
  out["peak_rss_mib"] = PeakRssMiB();
  return PrintResult(out);
}

}  // namespace piaojue::bench
