// piaojue-bench sign --data DIR --entries N --out FILE [--counties K]
//
// Prepares writes for a driver outside this process (scripts/torture): makes
// sure DIR holds a ledger, registers K new counties and opens their cycles
// (workload.h, through the rules), then signs N proposals for those cycles
// and writes each one as the body of a `POST /v1/entries` request, one JSON
// object per line, to FILE. The bodies are independent of one another: any
// number of clients may post them in any order, and each is accepted once
// (a second post of the same body is 409 `duplicate`).
#include <fstream>

#include "api/cli/data_dir.h"
#include "api/cli/session.h"
#include "bench/verbs.h"
#include "bench/workload.h"
#include "ledger/crypto.h"

namespace piaojue::bench {

int RunSign(const SignArgs& args) {
  const std::string verb = "sign";
  if (args.counties < 1) return Fail(verb, "--counties must be positive");
  if (Status s = crypto::InitCrypto(); !s.ok()) return Fail(verb, s.ToString());
  if (Status s = EnsureLedger(args.data); !s.ok()) {
    return Fail(verb, s.ToString());
  }
  Result<Intake> intake = Internal("unset");
  uint64_t size = 0;
  {
    auto session = cli::Session::Open(cli::DataDir(args.data));
    if (!session.ok()) return Fail(verb, session.status().ToString());
    intake = OpenIntake(**session, args.counties);
    if (!intake.ok()) return Fail(verb, intake.status().ToString());
    size = (*session)->ledger().size();
  }
  const Clock::time_point start = Clock::now();
  auto events = SignProposals(*intake, args.entries);
  if (!events.ok()) return Fail(verb, events.status().ToString());
  const double seconds = SecondsSince(start);
  std::ofstream out_file(args.out, std::ios::trunc);
  for (const auto& e : *events) {
    nlohmann::json body;
    body["authored"] = crypto::Base64Encode(crypto::AsBytes(e.authored));
    body["signature"] = crypto::Base64Encode(crypto::AsBytes(e.signature));
    out_file << body.dump() << '\n';
  }
  out_file.close();
  if (!out_file) return Fail(verb, "cannot write " + args.out);
  nlohmann::json out;
  out["verb"] = verb;
  out["entries"] = args.entries;
  out["origin"] = intake->origin;
  out["jurisdictions"] = intake->jurisdictions;
  out["cycles"] = intake->cycles;
  out["log_size"] = size;
  out["sign_seconds"] = seconds;
  return PrintResult(out);
}

}  // namespace piaojue::bench
