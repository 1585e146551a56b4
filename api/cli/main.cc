// piaojue: the command-line tool for a piaojue ledger. See docs/COMMANDS.md.
#include <kj/exception.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "api/cli/clerk_cli.h"
#include "api/cli/commands.h"
#include "api/cli/messages.h"
#include "api/cli/publish_cli.h"
#include "api/cli/templates.h"
#include "api/demo/demo.h"
#include "api/server/server.h"
#include "ledger/crypto.h"
#include "ledger/text_validation.h"
#include "witness/server.h"
#include "witness/witness.h"

namespace {

// Exit codes: 0 success, 1 refused or failed, 2 bad usage.
int Report(const piaojue::Status& status) {
  if (status.ok()) return 0;
  const piaojue::Status s =
      piaojue::cli::Localize(status, piaojue::cli::LangFromEnvironment());
  std::cerr << "piaojue: " << s.ToString() << "\n";
  return s.code() == piaojue::StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace piaojue::cli;
  if (!piaojue::crypto::InitCrypto().ok()) {
    std::cerr << "piaojue: libsodium failed to initialize\n";
    return 1;
  }
  CLI::App app{"piaojue: the audit ledger of livelihood-project votes (票决)"};
  app.require_subcommand(1);
  std::string data;
  auto add_data = [&](CLI::App* c) {
    c->add_option("--data", data, "data directory")->required();
  };

  InitOptions init;
  auto* init_cmd = app.add_subcommand("init", "create a ledger and its keys");
  add_data(init_cmd);
  init_cmd
      ->add_option("--origin", init.origin,
                   "checkpoint origin, e.g. ledger.example.gov.cn/piaojue")
      ->required();
  init_cmd->add_option("--name", init.deployment_name, "deployment name");
  init_cmd
      ->add_option("--root-key-out", init.root_key_out,
                   "where to write the new root key (outside DIR; keep it "
                   "offline, docs/KEYS.md)")
      ->required();

  JurisdictionOptions jur;
  auto* jur_cmd =
      app.add_subcommand("jurisdiction", "register a jurisdiction (root key)");
  add_data(jur_cmd);
  jur_cmd->add_option("--code", jur.code, "administrative code")->required();
  jur_cmd->add_option("--name", jur.name, "name, e.g. 清河县")->required();
  jur_cmd->add_option("--level", jur.level, "county | township")->required();
  jur_cmd->add_option("--parent", jur.parent, "parent jurisdiction code");
  jur_cmd->add_option("--root-key", jur.root_key, "the root key file")
      ->required();

  // Keys (docs/KEYS.md): each office creates its own key (`key new`) and
  // hands the public key to the root, which registers it.
  KeyOptions key;
  KeyNewOptions key_new_opts;
  auto* key_cmd = app.add_subcommand("key", "create, register or revoke keys");
  key_cmd->require_subcommand(1);
  auto* key_new = key_cmd->add_subcommand(
      "new", "create a key file on this machine; prints its public key");
  key_new->add_option("--out", key_new_opts.out_file, "key file (mode 0600)")
      ->required();
  key_new->add_option("--holder", key_new_opts.holder, "office holding it")
      ->required();
  auto* key_register = key_cmd->add_subcommand(
      "register", "grant a role in a jurisdiction to a public key (root key)");
  add_data(key_register);
  key_register->add_option("--public-key", key.public_key, "64 hex digits")
      ->required();
  key_register->add_option("--role", key.role, "role, e.g. teller")->required();
  key_register->add_option("--jurisdiction", key.jurisdiction, "code")
      ->required();
  key_register->add_option("--holder", key.holder, "office holding it")
      ->required();
  auto* key_add = key_cmd->add_subcommand(
      "add",
      "create the public intake's key in DIR/keys and register it (root key)");
  add_data(key_add);
  key_add->add_option("--role", key.role, "publicIntake")->required();
  key_add->add_option("--jurisdiction", key.jurisdiction, "code")->required();
  key_add->add_option("--holder", key.holder, "the intake channel")->required();
  auto* key_revoke =
      key_cmd->add_subcommand("revoke", "revoke a key from now on (root key)");
  add_data(key_revoke);
  key_revoke->add_option("--public-key", key.public_key, "64 hex digits");
  key_revoke->add_option("--role", key.role, "(intake key in DIR/keys) role");
  key_revoke->add_option("--jurisdiction", key.jurisdiction,
                         "(intake key in DIR/keys) code");
  key_revoke->add_option("--reason", key.reason, "why")->required();
  for (CLI::App* c : {key_register, key_add, key_revoke}) {
    c->add_option("--root-key", key.root_key, "the root key file")->required();
  }

  SubmitOptions submit;
  auto* submit_cmd =
      app.add_subcommand("submit", "sign a command (JSON) and append it");
  add_data(submit_cmd);
  submit_cmd->add_option("--key", submit.key_file, "sign with this key file");
  submit_cmd->add_option("--signed", submit.signed_file,
                         "a signed envelope (piaojue sign)");
  submit_cmd->add_option("--as", submit.as_role,
                         "sign with DIR/keys/ROLE@J.key (publicIntake)");
  submit_cmd->add_option("file", submit.file, "command JSON file, - for stdin");

  SignOptions sign;
  auto* sign_cmd = app.add_subcommand(
      "sign", "sign a command with a key file into a signed envelope");
  sign_cmd->add_option("--key", sign.key_file, "key file")->required();
  sign_cmd->add_option("--origin", sign.origin, "the log's origin")->required();
  sign_cmd->add_option("--out", sign.out_file, "envelope file to write");
  sign_cmd->add_flag("--dry-run", sign.dry_run,
                     "show what would be signed; sign nothing");
  sign_cmd->add_option("file", sign.file, "command JSON file, - for stdin")
      ->required();

  std::string template_kind;
  auto* template_cmd = app.add_subcommand(
      "template", "print an example command for an event kind (JSONC)");
  template_cmd
      ->add_option("kind", template_kind, "event kind, e.g. cycleOpened")
      ->required();

  auto* cp_cmd =
      app.add_subcommand("checkpoint", "sign and print a checkpoint");
  add_data(cp_cmd);

  auto* reindex_cmd = app.add_subcommand(
      "reindex",
      "rebuild the store's nonce and registry indexes from the entries "
      "(when writes are refused because they disagree with the head), and "
      "check every projection snapshot against a fold of the log");
  add_data(reindex_cmd);
  uint64_t reindex_every = 0;  // as serve: off by default
  reindex_cmd
      ->add_option("--snapshot-every", reindex_every,
                   "projection snapshot interval (0: do not check them)")
      ->capture_default_str();

  ExportOptions exp;
  auto* export_cmd = app.add_subcommand(
      "export", "write every entry and a checkpoint to a file");
  add_data(export_cmd);
  export_cmd->add_option("--out", exp.out_file, "bundle file")->required();
  export_cmd->add_flag("--head", exp.head,
                       "export up to the head even if the witnesses have not "
                       "cosigned it yet (signed by the log only)");

  uint64_t entry_index = 0;
  auto* entry_cmd = app.add_subcommand("entry", "print one entry as JSON");
  add_data(entry_cmd);
  entry_cmd->add_option("index", entry_index, "entry index")->required();

  ProveOptions prove;
  auto* prove_cmd = app.add_subcommand(
      "prove", "write an offline proof bundle of one record");
  add_data(prove_cmd);
  prove_cmd->add_option("record", prove.record, "record ref (entry index)")
      ->required();
  prove_cmd->add_option("--out", prove.out_file, "proof bundle file")
      ->required();
  prove_cmd->add_option(
      "--since-checkpoint", prove.since_checkpoints,
      "a checkpoint file the auditor kept: include a consistency proof from "
      "it to the new checkpoint (repeatable)");
  prove_cmd->add_flag("--head", prove.head,
                      "prove against a checkpoint of the head signed now, "
                      "not the latest cosigned one");

  ShowOptions show;
  auto* show_cmd = app.add_subcommand("show", "show a view of the ledger");
  add_data(show_cmd);
  show_cmd
      ->add_option("view", show.view,
                   "cycles | funnel | candidates | tally | projects | audit | "
                   "corrections")
      ->required();
  show_cmd->add_option("--cycle", show.cycle, "cycle ref (entry index)");
  show_cmd->add_option("--record", show.record, "record ref (entry index)");
  show_cmd->add_option("--round", show.round, "round ref (entry index)");
  show_cmd->add_option("--as-of", show.as_of,
                       "entry count N, or time 2025-07-31T12:00:00+08:00");
  show_cmd->add_option("--diff-from", show.diff_from,
                       "show what changed since this point (N or time)");
  show_cmd->add_flag("--json", show.json, "machine-readable JSON");

  piaojue::server::ServerOptions serve;
  std::string listen = "127.0.0.1:8080";
  auto* serve_cmd =
      app.add_subcommand("serve", "serve the HTTP API (docs/API.md)");
  add_data(serve_cmd);
  serve_cmd->add_option("--listen", listen, "HOST:PORT")->capture_default_str();
  serve_cmd
      ->add_option("--max-connections", serve.max_connections,
                   "connections open at once, beyond which new ones get 503 "
                   "(0: three quarters of the open-file limit)")
      ->capture_default_str();
  serve_cmd
      ->add_option("--max-event-streams", serve.max_event_streams,
                   "GET /v1/events streams open at once, beyond which new "
                   "ones get 503")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve_cmd
      ->add_option("--event-backlog", serve.event_backlog,
                   "events a stream's client may fall behind before the "
                   "stream is closed (it reconnects with Last-Event-ID)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve_cmd
      ->add_option("--intake-global-rate", serve.intake_global_per_minute,
                   "public intake: proposals a minute from all addresses "
                   "together")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve_cmd
      ->add_option("--intake-global-burst", serve.intake_global_burst,
                   "public intake: proposals at once from all addresses")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  serve_cmd
      ->add_option("--replay-threads", serve.replay_threads,
                   "threads rebuilding past states (as_of, diff), apart from "
                   "ordinary reads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve_cmd
      ->add_option("--replay-queue", serve.replay_queue,
                   "past states waiting for those threads, beyond which 503")
      ->capture_default_str();
  serve_cmd
      ->add_option("--replay-burst", serve.replay_burst,
                   "past states one address may ask for at once (then 429)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve_cmd
      ->add_option("--replay-rate", serve.replay_per_minute,
                   "past states a minute one address may ask for")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve_cmd
      ->add_option("--snapshot-every", serve.snapshot_every,
                   "keep a projection snapshot every this many entries (0: "
                   "none written)")
      ->capture_default_str();
  uint64_t view_max_age_ms = 5000;
  serve_cmd
      ->add_option("--view-max-age", view_max_age_ms,
                   "milliseconds: a view of now may show a state published "
                   "this long before the request while the server is busy "
                   "computing it (0: always the latest; docs/API.md Views)")
      ->capture_default_str();
  serve_cmd
      ->add_option("--past-states-every", serve.past_states_every,
                   "keep the state at every multiple of this many entries "
                   "in memory, so as_of folds fewer (0: none kept; the state "
                   "is then loaded from DIR/state.snapshot at start)")
      ->capture_default_str();
  serve_cmd
      ->add_option("--past-states-budget-mib", serve.past_states_budget_mib,
                   "the memory of the whole server, in MiB: thin the past "
                   "states kept (every second dropped) while its heap plus "
                   "the room its caches and tree may still take is above "
                   "it (docs/VIEWS.md Memory)")
      ->capture_default_str();
  serve_cmd
      ->add_option("--as-of-cache-mib", serve.as_of_cache_mib,
                   "cache the past states rebuilt for readers up to about "
                   "this many MiB (0: none)")
      ->capture_default_str();
  serve_cmd->add_option(
      "--witness", serve.witnesses,
      "URL=VKEY: send each new checkpoint to this C2SP witness and publish "
      "its cosignatures (repeatable; docs/WITNESS.md)");

  auto* witness_cmd = app.add_subcommand(
      "witness", "run a C2SP witness that cosigns logs' checkpoints");
  witness_cmd->require_subcommand(1);
  std::string witness_name, log_vkey, witness_listen = "127.0.0.1:7001";
  auto* witness_init = witness_cmd->add_subcommand(
      "init", "create a witness's key and state in --data");
  add_data(witness_init);
  witness_init
      ->add_option("--name", witness_name,
                   "the witness's key name, e.g. witness.audit.example")
      ->required();
  auto* witness_add_log = witness_cmd->add_subcommand(
      "add-log", "trust a log: cosign checkpoints signed by this key");
  add_data(witness_add_log);
  witness_add_log
      ->add_option("--vkey", log_vkey,
                   "the log's verifier key (printed by piaojue init)")
      ->required();
  auto* witness_serve = witness_cmd->add_subcommand(
      "serve", "serve POST /add-checkpoint (c2sp.org/tlog-witness)");
  add_data(witness_serve);
  witness_serve->add_option("--listen", witness_listen, "HOST:PORT")
      ->capture_default_str();

  piaojue::demo::Options demo;
  auto* demo_cmd = app.add_subcommand(
      "demo", "build or resume the 清河县 demo ledger (docs/DEMO.md)");
  add_data(demo_cmd);
  demo_cmd->add_option(
      "--until", demo.until,
      "stop after stage collection|screening|vote|supervision|evaluation");

  ClerkCommands clerk(app, data);
  PublishCommand publish(app, data);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto dispatch = [&]() -> int {
    std::ostream& out = std::cout;
    if (*init_cmd) return (init.data = data, Report(Init(init, out)));
    if (*jur_cmd) return (jur.data = data, Report(AddJurisdiction(jur, out)));
    if (*key_new) return Report(NewKey(key_new_opts, out));
    if (*key_register) return (key.data = data, Report(RegisterKey(key, out)));
    if (*key_add) return (key.data = data, Report(AddKey(key, out)));
    if (*key_revoke) return (key.data = data, Report(RevokeKey(key, out)));
    if (*submit_cmd) {
      submit.data = data;
      submit.lang = LangFromEnvironment();
      return Report(Submit(submit, out));
    }
    if (*sign_cmd)
      return (sign.lang = LangFromEnvironment(), Report(Sign(sign, out)));
    if (*template_cmd) {
      auto text = EventTemplate(template_kind, LangFromEnvironment());
      if (text.ok()) out << *text;
      return Report(text.status());
    }
    if (*cp_cmd) return Report(Checkpoint(data, out));
    if (auto s = clerk.Run(out)) return Report(*s);
    if (auto s = publish.Run(out)) return Report(*s);
    if (*reindex_cmd) return Report(Reindex(data, out, reindex_every));
    if (*export_cmd) return (exp.data = data, Report(Export(exp, out)));
    if (*entry_cmd) return Report(PrintEntry(data, entry_index, out));
    if (*prove_cmd) return (prove.data = data, Report(Prove(prove, out)));
    if (*show_cmd) return (show.data = data, Report(Show(show, out)));
    if (*demo_cmd)
      return (demo.data = data, Report(piaojue::demo::Run(demo, out)));
    if (*witness_init) {
      auto vkey = piaojue::witness::Init(data, witness_name);
      if (!vkey.ok()) return Report(vkey.status());
      out << "created witness " << witness_name << " in " << data << "\n"
          << "verifier key: " << *vkey << "\n";
      return 0;
    }
    if (*witness_add_log) {
      auto origin = piaojue::witness::AddLog(data, log_vkey);
      if (!origin.ok()) return Report(origin.status());
      out << "trusting log " << *origin << "\n";
      return 0;
    }
    if (*witness_serve) {
      piaojue::server::ServerOptions where;
      piaojue::Status parsed =
          piaojue::server::ParseListenAddress(witness_listen, &where);
      if (!parsed.ok()) return Report(parsed);
      piaojue::witness::ServerOptions options;
      options.address = where.address;
      options.port = where.port;
      return Report(piaojue::witness::Serve(data, options, out));
    }
    if (*serve_cmd) {
      serve.data_dir = data;
      piaojue::Status parsed =
          piaojue::server::ParseListenAddress(listen, &serve);
      if (!parsed.ok()) return Report(parsed);
      serve.view_max_age = std::chrono::milliseconds(view_max_age_ms);
      return Report(piaojue::server::Serve(serve, out));
    }
    return 2;
  };
  // Commands return errors as values; an exception is a bug, and still gets
  // a message and exit 2 rather than an abort.
  try {
    return dispatch();
  } catch (const kj::Exception& e) {
    std::cerr << "piaojue: internal error (please report it): "
              << piaojue::ledger::DescribeException(e) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "piaojue: internal error (please report it): "
              << piaojue::ledger::PrintableAscii(e.what()) << "\n";
  }
  return 2;
}
