// piaojue-bench: the figures of docs/PERFORMANCE.md. Each verb runs one
// measurement and prints one final line of JSON (bench/verbs.h); scripts/bench
// runs them all and states each figure as a fraction of this machine's
// limits measured in the same run (`limits`).
#include <CLI/CLI.hpp>

#include "bench/verbs.h"

int main(int argc, char** argv) {
  using namespace piaojue::bench;
  CLI::App app{"piaojue-bench: the figures of docs/PERFORMANCE.md"};
  app.require_subcommand(1);

  AppendArgs append;
  auto* append_cmd = app.add_subcommand(
      "append", "C clients append N signed proposals through the ledger");
  append_cmd->add_option("--data", append.data, "data directory")->required();
  append_cmd->add_option("--entries", append.entries, "entries to append");
  append_cmd->add_option("--clients", append.clients, "concurrent appenders");
  append_cmd->add_option("--counties", append.counties,
                         "counties whose cycles receive the proposals");

  GenerateArgs generate;
  auto* generate_cmd = app.add_subcommand(
      "generate", "write a province's year as an export bundle");
  generate_cmd->add_option("--out", generate.out, "bundle file")->required();
  generate_cmd->add_option("--entries", generate.entries,
                           "at least this many entries");
  generate_cmd->add_option("--data", generate.data,
                           "keep the ledger in this data directory");
  generate_cmd->add_option(
      "--window", generate.window,
      "signed events held in memory at once (default 50000)");

  VerifyArgs verify;
  auto* verify_cmd =
      app.add_subcommand("verify", "the auditor's whole run on a bundle");
  verify_cmd->add_option("--bundle", verify.bundle, "bundle file")->required();
  verify_cmd->add_option("--vkey", verify.vkey, "pinned checkpoint key");
  verify_cmd->add_option("--threads", verify.threads, "0 = all cores");
  verify_cmd->add_flag("--no-signatures", verify.no_signatures,
                       "every check but the authors' signatures");

  RebuildArgs rebuild;
  auto* rebuild_cmd = app.add_subcommand(
      "rebuild", "open a ledger and rebuild every projection from entry 0");
  rebuild_cmd->add_option("--data", rebuild.data, "data directory")->required();

  OpenArgs open;
  auto* open_cmd = app.add_subcommand(
      "open", "open a ledger (read-only, or for writing as serve does)");
  open_cmd->add_option("--data", open.data, "data directory")->required();
  open_cmd->add_flag("--writable", open.writable,
                     "open for writing (changes the store: use a copy)");

  AsOfArgs asof;
  auto* asof_cmd = app.add_subcommand(
      "asof",
      "past states from states kept in memory every K entries (or stored "
      "projection snapshots), spread over the log");
  asof_cmd->add_option("--data", asof.data, "data directory")->required();
  asof_cmd->add_option("--queries", asof.queries, "past points");
  asof_cmd->add_option("--every", asof.every, "snapshot interval (entries)");
  asof_cmd->add_option("--cold", asof.cold,
                       "past points also rebuilt from entry 0");
  asof_cmd->add_flag("--stored", asof.stored,
                     "from projection snapshots in the store (written first "
                     "where missing) instead of past states kept in memory");
  asof_cmd->add_flag("--kept-cost", asof.kept_cost,
                     "bytes each kept state costs, by entry kind");

  HttpArgs http;
  auto* http_cmd = app.add_subcommand(
      "http", "reads and writes against `piaojue serve` over loopback");
  http_cmd->add_option("--data", http.data, "data directory")->required();
  http_cmd->add_option("--clients", http.clients, "keep-alive connections");
  http_cmd->add_option("--seconds", http.seconds, "per phase");
  http_cmd->add_option("--mode", http.mode, "writes, reads or both");
  http_cmd->add_option("--write-threads", http.write_threads,
                       "the server's write pool (0: serve's default)");
  http_cmd->add_option("--sse", http.sse,
                       "also measure the writes with N event-stream "
                       "listeners (0: not)");
  http_cmd->add_option("--asof-clients", http.asof_clients,
                       "with reads: connections asking for distinct as_of "
                       "sizes during a second run of the view phase");
  http_cmd->add_option("--replay-burst", http.replay_burst,
                       "the server's per-address replay burst (0: default)");
  http_cmd->add_option("--replay-rate", http.replay_per_minute,
                       "the server's per-address replays a minute (0: "
                       "default)");

  SignArgs sign;
  auto* sign_cmd = app.add_subcommand(
      "sign", "open cycles in a ledger and sign proposals for them to a file");
  sign_cmd->add_option("--data", sign.data, "data directory")->required();
  sign_cmd->add_option("--out", sign.out, "one request body per line")
      ->required();
  sign_cmd->add_option("--entries", sign.entries, "proposals to sign");
  sign_cmd->add_option("--counties", sign.counties,
                       "counties (cycles) that receive them");

  LimitsArgs limits;
  auto* limits_cmd =
      app.add_subcommand("limits", "this machine's ceilings, measured now");
  limits_cmd->add_option("--seconds", limits.seconds, "per measurement");

  CLI11_PARSE(app, argc, argv);
  if (*append_cmd) return RunAppend(append);
  if (*generate_cmd) return RunGenerate(generate);
  if (*verify_cmd) return RunVerify(verify);
  if (*rebuild_cmd) return RunRebuild(rebuild);
  if (*open_cmd) return RunOpen(open);
  if (*asof_cmd) return RunAsOf(asof);
  if (*http_cmd) return RunHttp(http);
  if (*sign_cmd) return RunSign(sign);
  if (*limits_cmd) return RunLimits(limits);
  return 2;
}
