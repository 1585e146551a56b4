// piaojue-bench limits
//
// This machine's ceilings, measured in the same run as the figures they
// bound (docs/PERFORMANCE.md states every figure as a fraction of one):
//  - Ed25519 verifications per second on all cores (libsodium, the same
//    crypto::Verify the ledger and the verifier call), over a typical
//    entry's ~600 signed bytes;
//  - SHA-256 of a typical entry (~700 bytes) on one core;
//  - the latency of one synced RocksDB write of a typical entry (what one
//    group commit costs at least), and its inverse;
//  - what plain RocksDB gives 8 clients that each write a typical entry
//    with sync and wait for it (RocksDB's own group commit, the ledger's
//    write-ahead log written over zeros, no signature, no rules): the
//    most the 8-client append row could reach on this disk.
#include <rocksdb/db.h>

#include <atomic>
#include <thread>

#include "bench/verbs.h"
#include "ledger/crypto.h"
#include "ledger/internal/zero_filled_log.h"

namespace piaojue::bench {

namespace {

double VerificationsPerSecond(unsigned threads, double seconds) {
  const crypto::KeyPair key = crypto::KeyPairFromSeed({});
  const std::string message(600, 'x');
  const crypto::Signature sig =
      crypto::Sign(key.secret_key, crypto::AsBytes(message));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> total{0};
  std::vector<std::thread> pool;
  const Clock::time_point start = Clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 64; ++i) {
          if (!crypto::Verify(key.public_key, crypto::AsBytes(message), sig)) {
            std::abort();  // a bug in the measurement, not a figure
          }
        }
        n += 64;
      }
      total += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  return total / SecondsSince(start);
}

double HashesPerSecond(double seconds) {
  std::string entry(700, 'e');
  uint64_t n = 0;
  const Clock::time_point start = Clock::now();
  while (SecondsSince(start) < seconds) {
    for (int i = 0; i < 256; ++i) {
      crypto::Hash h = crypto::Sha256(crypto::AsBytes(entry));
      entry[i % entry.size()] = static_cast<char>(h[0]);  // keep it live
    }
    n += 256;
  }
  return n / SecondsSince(start);
}

Result<std::vector<double>> SyncedWrites(const std::string& dir, int writes) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return IOError(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  const std::string value(700, 'v');
  std::vector<double> us;
  for (int i = 0; i < writes; ++i) {
    const Clock::time_point a = Clock::now();
    std::string key = "e";
    key += std::to_string(i);
    s = db->Put(sync, key, value);
    us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    if (!s.ok()) return IOError(s.ToString());
  }
  return us;
}

// `clients` threads, each putting `writes` entries of ~700 bytes with sync
// and waiting for each before the next, into one store whose write-ahead log
// is the ledger's (written over zeros). Returns entries per second.
Result<double> ConcurrentSyncedWrites(const std::string& dir, int clients,
                                      int writes) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.env = ledger::internal::ZeroFilledLogEnv();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return IOError(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::atomic<bool> failed{false};
  std::vector<std::thread> pool;
  const Clock::time_point start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    pool.emplace_back([&, c] {
      rocksdb::WriteOptions sync;
      sync.sync = true;
      const std::string value(700, 'v');
      for (int i = 0; i < writes && !failed; ++i) {
        std::string key = "e";
        key += std::to_string(c);
        key += '/';
        key += std::to_string(i);
        if (!db->Put(sync, key, value).ok()) failed = true;
      }
    });
  }
  for (auto& th : pool) th.join();
  if (failed) return IOError("a synced write failed");
  return clients * writes / SecondsSince(start);
}

}  // namespace

int RunLimits(const LimitsArgs& args) {
  const std::string verb = "limits";
  if (Status s = crypto::InitCrypto(); !s.ok()) return Fail(verb, s.ToString());
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  nlohmann::json out;
  out["verb"] = verb;
  out["cores"] = cores;
  out["ed25519_verify_per_s"] = VerificationsPerSecond(cores, args.seconds);
  out["ed25519_verify_per_s_one_core"] =
      VerificationsPerSecond(1, args.seconds);
  const double hashes = HashesPerSecond(args.seconds);
  out["sha256_entry_per_s"] = hashes;
  out["sha256_entry_us"] = 1e6 / hashes;
  ScratchDir scratch("limits");
  auto writes = SyncedWrites(scratch.path() + "/db", 200);
  if (!writes.ok()) return Fail(verb, writes.status().ToString());
  const Percentiles p = Summarise(*writes);
  AddPercentiles(out, p, "synced_write_");
  out["synced_writes_per_s"] = 1e6 / p.p50_us;
  auto eight = ConcurrentSyncedWrites(scratch.path() + "/db8", 8, 250);
  if (!eight.ok()) return Fail(verb, eight.status().ToString());
  out["rocksdb_8_clients_synced_per_s"] = *eight;
  return PrintResult(out);
}

}  // namespace piaojue::bench
