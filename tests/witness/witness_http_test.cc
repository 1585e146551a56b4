#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "ledger/cosignature.h"
#include "tests/test_util.h"
#include "tests/witness/fake_log.h"
#include "tests/witness/running_witness.h"
#include "witness/client.h"
#include "witness/server.h"
#include "witness/witness.h"

namespace piaojue::witness {
namespace {

using std::chrono::milliseconds;
using testing::ClosedPort;
using testing::FakeLog;
using testing::RunningWitness;
using testing::SilentPort;
using testing::TempDir;
using testing::TestKey;

constexpr char kLogOrigin[] = "ledger.qinghe.example/piaojue";

class WitnessHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    log_.GrowTo(20);
  }

  CollectorOptions Options(std::vector<Endpoint> witnesses) {
    CollectorOptions o;
    o.witnesses = std::move(witnesses);
    o.consistency = [this](uint64_t a,
                           uint64_t b) -> Result<std::vector<crypto::Hash>> {
      return log_.Proof(a, b);
    };
    o.on_cosigned = [this](const std::string& note) {
      std::lock_guard<std::mutex> lock(mu_);
      cosigned_.push_back(note);
      cv_.notify_all();
    };
    o.timeout = milliseconds(300);
    o.min_backoff = milliseconds(50);
    o.max_backoff = milliseconds(200);
    return o;
  }

  // Waits until a cosigned note for `size` carries `count` cosignatures.
  std::string WaitForCosigned(
      uint64_t size, size_t count,
      const std::vector<cosignature::WitnessKey>& keys) {
    std::unique_lock<std::mutex> lock(mu_);
    std::string found;
    cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const std::string& n : cosigned_) {
        if (n.find(log_.Body(size)) != 0) continue;
        auto v = cosignature::VerifyNote(n, keys);
        if (v.ok() && v->size() >= count) {
          found = n;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  TempDir tmp_;
  FakeLog log_{kLogOrigin, TestKey(3)};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> cosigned_;
};

TEST_F(WitnessHttpTest, TheServerSpeaksTlogWitnessOverHttp) {
  RunningWitness w(tmp_.Sub("w"), "witness.audit.example", log_.vkey());
  Endpoint e = w.endpoint();
  auto ok = PostAddCheckpoint(e, AddCheckpointBody(0, {}, log_.Checkpoint(5)),
                              milliseconds(2000));
  ASSERT_OK(ok);
  EXPECT_EQ(ok->status, 200);
  auto line = cosignature::ParseLine(ok->body);
  ASSERT_OK(line);
  EXPECT_TRUE(cosignature::Verify(log_.Body(5), *line, e.key));

  auto conflict = PostAddCheckpoint(
      e, AddCheckpointBody(0, {}, log_.Checkpoint(6)), milliseconds(2000));
  ASSERT_OK(conflict);
  EXPECT_EQ(conflict->status, 409);
  EXPECT_EQ(conflict->content_type, "text/x.tlog.size");
  EXPECT_EQ(conflict->body, "5\n");

  Endpoint elsewhere = e;
  elsewhere.path = "/nothing";
  auto missing = PostAddCheckpoint(elsewhere, "", milliseconds(2000));
  ASSERT_OK(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(WitnessHttpTest, EndpointFlagsAreParsedStrictly) {
  const std::string vkey = cosignature::FormatVerifierKey(
      "witness.audit.example", TestKey(8).public_key);
  auto e = ParseEndpoint("http://127.0.0.1:7001/w1/=" + vkey);
  ASSERT_OK(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, "7001");
  EXPECT_EQ(e->path, "/w1/add-checkpoint");
  EXPECT_EQ(e->key.name, "witness.audit.example");
  auto v6 = ParseEndpoint("http://[::1]:7002=" + vkey);
  ASSERT_OK(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->path, "/add-checkpoint");
  EXPECT_FALSE(ParseEndpoint("http://127.0.0.1:7001").ok());      // no key
  EXPECT_FALSE(ParseEndpoint("https://w.example=" + vkey).ok());  // TLS
  EXPECT_FALSE(ParseEndpoint("http://127.0.0.1:99999=" + vkey).ok());
  EXPECT_FALSE(ParseEndpoint("http://127.0.0.1:7001=" +
                             FakeLog(kLogOrigin, TestKey(3)).vkey())
                   .ok());  // a log key is not a witness key
}

TEST_F(WitnessHttpTest, CollectorGathersTwoWitnessesAndRecoversFrom409) {
  RunningWitness a(tmp_.Sub("a"), "witness.audit.example", log_.vkey());
  RunningWitness b(tmp_.Sub("b"), "witness.npc.example", log_.vkey());
  // Witness a already cosigned size 4 (say, before the log restarted): the
  // collector's first request (old 0) gets 409 "4", then it re-sends with
  // a proof from 4.
  ASSERT_EQ(
      a.witness->AddCheckpoint(AddCheckpointBody(0, {}, log_.Checkpoint(4)))
          .status,
      200);
  std::vector<cosignature::WitnessKey> keys = {a.endpoint().key,
                                               b.endpoint().key};
  Collector collector(Options({a.endpoint(), b.endpoint()}));
  collector.Submit(log_.Checkpoint(7));
  std::string note = WaitForCosigned(7, 2, keys);
  ASSERT_FALSE(note.empty());
  EXPECT_TRUE(note.starts_with(log_.Checkpoint(7)));
  EXPECT_OK(note::Open(note, note::ParseVerifierKey(log_.vkey()).value()));
  EXPECT_TRUE(collector.WaitIdle(milliseconds(2000)));
  for (const WitnessState& s : collector.states()) {
    EXPECT_TRUE(s.known);
    EXPECT_EQ(s.cosigned_size, 7u);
    EXPECT_EQ(s.last_error, "");
  }
  // The next checkpoint goes with a proof from 7.
  collector.Submit(log_.Checkpoint(12));
  EXPECT_FALSE(WaitForCosigned(12, 2, keys).empty());
  // A smaller one is not sent (the log never goes back).
  collector.Submit(log_.Checkpoint(9));
  EXPECT_TRUE(collector.WaitIdle(milliseconds(2000)));
  EXPECT_EQ(collector.states()[0].cosigned_size, 12u);
}

TEST_F(WitnessHttpTest, ADownOrHangingWitnessDelaysNothing) {
  RunningWitness good(tmp_.Sub("good"), "witness.audit.example", log_.vkey());
  SilentPort hanging;
  const std::string k1 = cosignature::FormatVerifierKey(
      "witness.hanging.example", TestKey(11).public_key);
  const std::string k2 = cosignature::FormatVerifierKey("witness.down.example",
                                                        TestKey(12).public_key);
  Collector collector(Options({
      ParseEndpoint("http://127.0.0.1:" + std::to_string(hanging.port()) + "=" +
                    k1)
          .value(),
      ParseEndpoint("http://127.0.0.1:" + std::to_string(ClosedPort()) + "=" +
                    k2)
          .value(),
      good.endpoint(),
  }));
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t size = 1; size <= 20; ++size) {
    collector.Submit(log_.Checkpoint(size));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(100));
  EXPECT_FALSE(WaitForCosigned(20, 1, {good.endpoint().key}).empty());
  EXPECT_FALSE(collector.WaitIdle(milliseconds(400)));
  auto states = collector.states();
  EXPECT_NE(states[0].last_error, "");
  EXPECT_NE(states[1].last_error, "");
  EXPECT_EQ(states[2].last_error, "");
  EXPECT_EQ(states[2].cosigned_size, 20u);
  // Stopping does not wait longer than one request's timeout.
  const auto stop_start = std::chrono::steady_clock::now();
  collector.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_start, milliseconds(1500));
}

TEST_F(WitnessHttpTest, AWitnessThatStartsLateIsCaughtUpOnRetry) {
  const std::string dir = tmp_.Sub("late");
  const std::string vkey = Init(dir, "witness.late.example").value();
  ASSERT_OK(AddLog(dir, log_.vkey()));
  auto witness = Witness::Open(dir).value();
  // Learn a free port, then start nothing on it yet.
  const uint16_t port = ClosedPort();
  Collector collector(Options(
      {ParseEndpoint("http://127.0.0.1:" + std::to_string(port) + "=" + vkey)
           .value()}));
  collector.Submit(log_.Checkpoint(3));
  std::this_thread::sleep_for(milliseconds(150));
  EXPECT_NE(collector.states()[0].last_error, "");
  ServerOptions so;
  so.port = port;
  auto server = Server::Start(*witness, so);
  ASSERT_OK(server);
  collector.Submit(log_.Checkpoint(8));
  auto key = cosignature::ParseVerifierKey(vkey).value();
  EXPECT_FALSE(WaitForCosigned(8, 1, {key}).empty());
}

}  // namespace
}  // namespace piaojue::witness
