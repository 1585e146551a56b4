// piaojue-bench: throughput figures for docs/PERFORMANCE.md. Prints ratios
// measured in one run, since absolute numbers on shared machines are noisy.
//
//   piaojue-bench append [--threads N] [--events N] [--no-sync]
//
// Appends pre-signed events (authors sign on their own machines) from 1
// thread and then from N threads, sync on, and reports entries/s for both and
// the group-commit speed-up.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "ledger/ledger.h"

namespace piaojue {
namespace {

crypto::KeyPair Key(uint8_t n) {
  std::array<uint8_t, crypto::kSeedSize> seed;
  seed.fill(n);
  return crypto::KeyPairFromSeed(seed);
}

ledger::SignedEvent Make(const crypto::KeyPair& key, std::string_view j,
                         const std::function<void(schema::Event::Builder)>& f) {
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Event>();
  f(e);
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  return std::move(ledger::SignEvent(key, "bench.local/piaojue", j, now_ms,
                                     e.asReader()))
      .value();
}

struct Run {
  double seconds;
  size_t entries;
};

Result<Run> AppendRun(const std::string& dir, int threads, size_t events,
                      bool sync) {
  auto root = Key(1), office = Key(2);
  ledger::LedgerOptions options;
  options.sync = sync;
  auto genesis = Make(root, "", [&](schema::Event::Builder e) {
    auto g = e.initGenesis();
    g.setOrigin("bench.local/piaojue");
    g.setRootKey(capnp::Data::Reader(root.public_key.data(), 32));
    g.setFormatVersion(ledger::kFormatVersion);
  });
  ASSIGN_OR_RETURN(auto ledger, ledger::Ledger::Create(dir, genesis, options));
  RETURN_IF_ERROR(ledger
                      ->Append(Make(root, "",
                                    [](schema::Event::Builder e) {
                                      auto j = e.initJurisdictionRegistered();
                                      j.setCode("610102");
                                      j.setLevel(schema::Level::COUNTY);
                                    }))
                      .status());
  RETURN_IF_ERROR(ledger
                      ->Append(Make(root, "",
                                    [&](schema::Event::Builder e) {
                                      auto k = e.initKeyRegistered();
                                      k.setKey(capnp::Data::Reader(
                                          office.public_key.data(), 32));
                                      k.setRole(schema::Role::PUBLIC_INTAKE);
                                      k.setJurisdiction("610102");
                                    }))
                      .status());
  // A realistic proposal (~600 bytes), signed ahead of the timed part.
  std::vector<ledger::SignedEvent> signed_events;
  signed_events.reserve(events);
  for (size_t i = 0; i < events; ++i) {
    signed_events.push_back(
        Make(office, "610102", [&](schema::Event::Builder e) {
          auto p = e.initProposalSubmitted();
          p.setCycle(3);
          auto d = p.initDetails();
          d.setTitle("关于在城东社区新建老年助餐点的建议");
          d.setDescription(
              "城东社区60岁以上老人约1200人，独居老人较多，就餐困难。建议利用"
              "社区服务中心闲置用房新建老年助餐点，提供午餐和晚餐，并为行动不"
              "便老人提供送餐服务。");
          d.setCategory(schema::Category::ELDERLY_CARE);
          d.setLocation("城东街道城东社区");
          d.setEstimatedInvestmentFen(80000000);
          d.setFundingSource(schema::FundingSource::OWN_BUDGET);
          p.setProposerType(schema::ProposerType::RESIDENT);
          p.setChannel(schema::Channel::WECHAT);
        }));
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < events;) {
        if (!ledger->Append(signed_events[i]).ok()) failed = true;
      }
    });
  }
  for (auto& th : pool) th.join();
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (failed) return IOError("an append failed during the benchmark");
  return Run{secs, events};
}

int AppendCommand(int threads, size_t events, bool sync) {
  if (!crypto::InitCrypto().ok()) return 2;
  auto tmp = std::filesystem::temp_directory_path() /
             ("piaojue-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(tmp);
  auto one = AppendRun((tmp / "one").string(), 1, events / 4 + 1, sync);
  auto many = AppendRun((tmp / "many").string(), threads, events, sync);
  std::filesystem::remove_all(tmp);
  if (!one.ok() || !many.ok()) {
    std::fprintf(stderr, "piaojue-bench: %s\n",
                 (!one.ok() ? one.status() : many.status()).ToString().c_str());
    return 1;
  }
  double r1 = one->entries / one->seconds;
  double rn = many->entries / many->seconds;
  std::printf("append, sync %s, pre-signed proposals (~600 B)\n",
              sync ? "on" : "off");
  std::printf("  1 thread : %zu entries in %.2f s = %.0f entries/s\n",
              one->entries, one->seconds, r1);
  std::printf("  %d threads: %zu entries in %.2f s = %.0f entries/s\n", threads,
              many->entries, many->seconds, rn);
  std::printf("  group commit speed-up (%d threads / 1 thread): %.1fx\n",
              threads, rn / r1);
  return 0;
}

}  // namespace
}  // namespace piaojue

int main(int argc, char** argv) {
  CLI::App app{"piaojue-bench: throughput figures for docs/PERFORMANCE.md"};
  app.require_subcommand(1);
  int threads = 8;
  size_t events = 20000;
  bool no_sync = false;
  auto* append = app.add_subcommand("append", "append throughput");
  append->add_option("--threads", threads, "concurrent appenders");
  append->add_option("--events", events, "events in the multi-thread run");
  append->add_flag("--no-sync", no_sync, "do not sync (for comparison only)");
  CLI11_PARSE(app, argc, argv);
  if (*append) return piaojue::AppendCommand(threads, events, !no_sync);
  return 2;
}
