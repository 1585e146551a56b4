// `piaojue serve --witness`: a real server and real witnesses on loopback
// ports, the cosigned checkpoint it publishes and stores, and what export
// and prove then write.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "api/cli/commands.h"
#include "api/cli/data_dir.h"
#include "api/server/server.h"
#include "ledger/bundle.h"
#include "ledger/cosignature.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "tests/test_util.h"
#include "tests/witness/running_witness.h"
#include "verifier/proof_bundle.h"
#include "verifier/verify.h"
#include "witness/client.h"
#include "witness/server.h"
#include "witness/witness.h"

namespace piaojue::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;
using testing::RunningWitness;
using testing::SilentPort;
using testing::TempDir;

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Reply {
  int status = 0;
  std::string body;
};

Reply Send(uint16_t port, http::verb verb, const std::string& target,
           const std::string& body = "") {
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return {static_cast<int>(res.result_int()), res.body()};
}

uint64_t CheckpointSize(const std::string& note_text) {
  auto parsed = note::ParseNote(note_text);
  if (!parsed.ok()) return 0;
  auto cp = note::ParseCheckpoint(parsed->text);
  return cp.ok() ? cp->size : 0;
}

class WitnessedServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(crypto::InitCrypto());
    data_ = tmp_.Sub("data");
    std::ostringstream out;
    // The root key is kept outside the data directory.
    const std::string root_key = tmp_.Sub("root.key");
    ASSERT_OK(cli::Init({data_, testing::kOrigin, "测试账本", root_key}, out));
    const std::string text = out.str();
    const size_t at = text.find("verifier key: ");
    ASSERT_NE(at, std::string::npos);
    log_vkey_ = text.substr(at + 14, text.find('\n', at) - at - 14);
    auto root = cli::ReadKeyFile(root_key);
    ASSERT_OK(root);
    root_ = root->key_pair;
  }

  void TearDown() override { server_.reset(); }

  void Start(std::vector<std::string> witnesses,
             milliseconds grace = milliseconds(3000)) {
    ServerOptions o;
    o.data_dir = data_;
    o.port = 0;
    o.checkpoint_delay = milliseconds(5);
    o.witnesses = std::move(witnesses);
    o.witness_grace = grace;
    auto s = Server::Start(o);
    ASSERT_OK(s);
    server_ = std::move(s).value();
  }

  // Appends one root-signed registry entry over HTTP.
  void Append() {
    const std::string code = std::to_string(610100 + ++appended_);
    ledger::SignedEvent e = testing::MakeEvent(
        root_, "",
        [&](schema::Event::Builder b) {
          auto j = b.initJurisdictionRegistered();
          j.setCode(code);
          j.setName("某县");
          j.setLevel(schema::Level::COUNTY);
        },
        NowMs());
    nlohmann::json wire = {
        {"authored", crypto::Base64Encode(crypto::AsBytes(e.authored))},
        {"signature", crypto::Base64Encode(crypto::AsBytes(e.signature))}};
    Reply r =
        Send(server_->port(), http::verb::post, "/v1/entries", wire.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }

  // Polls /tlog/checkpoint until it is of `size` entries with at least
  // `count` of `keys`' cosignatures; returns it ("" on timeout).
  std::string WaitForCheckpoint(
      uint64_t size, size_t count,
      const std::vector<cosignature::WitnessKey>& keys,
      milliseconds limit = milliseconds(10000)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      Reply r = Send(server_->port(), http::verb::get, "/tlog/checkpoint");
      if (r.status == 200 && CheckpointSize(r.body) == size) {
        auto found = cosignature::VerifyNote(r.body, keys);
        if (found.ok() && found->size() >= count) return r.body;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return "";
  }

  TempDir tmp_;
  std::string data_;
  std::string log_vkey_;
  crypto::KeyPair root_;
  std::unique_ptr<Server> server_;
  int appended_ = 0;
};

TEST_F(WitnessedServerTest, TwoWitnessesCosignEveryNewCheckpoint) {
  RunningWitness a(tmp_.Sub("audit"), "witness.audit.example", log_vkey_);
  RunningWitness b(tmp_.Sub("npc"), "witness.npc.example", log_vkey_);
  Start({a.Flag(), b.Flag()});
  const std::vector<cosignature::WitnessKey> keys = {a.key(), b.key()};
  std::string cp = WaitForCheckpoint(1, 2, keys);
  ASSERT_FALSE(cp.empty());
  // The log's own signature still opens it.
  EXPECT_OK(note::Open(cp, note::ParseVerifierKey(log_vkey_).value()));
  for (int i = 0; i < 3; ++i) Append();
  cp = WaitForCheckpoint(4, 2, keys);
  ASSERT_FALSE(cp.empty());
  // Exactly three signature lines: the log's and one per witness.
  auto parsed = note::ParseNote(cp);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->signatures.size(), 3u);

  // Stored with the checkpoint: export (after the server stops) writes it.
  server_.reset();
  std::ostringstream out;
  const std::string bundle = tmp_.Sub("export.bundle");
  ASSERT_OK(cli::Export({data_, bundle}, out));
  EXPECT_NE(out.str().find("cosigned by 2 witnesses"), std::string::npos)
      << out.str();
  std::ifstream in(bundle, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  EXPECT_NE(bytes.str().find(cp), std::string::npos)
      << "the bundle carries the cosigned checkpoint";
  // A proof bundle too.
  out.str("");
  const std::string proof = tmp_.Sub("proof.bundle");
  ASSERT_OK(cli::Prove({data_, 2, proof, {}}, out));
  EXPECT_NE(out.str().find("cosigned by 2 witnesses"), std::string::npos)
      << out.str();
}

TEST_F(WitnessedServerTest,
       ExportStopsAtTheCosignedCheckpointUnlessHeadIsAsked) {
  RunningWitness a(tmp_.Sub("audit"), "witness.audit.example", log_vkey_);
  Start({a.Flag()});
  ASSERT_FALSE(WaitForCheckpoint(1, 1, {a.key()}).empty());
  Append();
  ASSERT_FALSE(WaitForCheckpoint(2, 1, {a.key()}).empty());
  server_.reset();
  a.server->Shutdown();
  // Two more entries while the witness is away, then the server stops.
  Start({a.Flag()}, milliseconds(200));
  Append();
  Append();
  server_.reset();
  std::ostringstream out;
  ASSERT_OK(cli::Export({data_, tmp_.Sub("cosigned.bundle")}, out));
  EXPECT_NE(out.str().find("exported 2 entries"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("2 newer entries"), std::string::npos) << out.str();
  out.str("");
  cli::ExportOptions head{data_, tmp_.Sub("head.bundle")};
  head.head = true;
  ASSERT_OK(cli::Export(head, out));
  EXPECT_NE(out.str().find("exported 4 entries"), std::string::npos)
      << out.str();
  EXPECT_EQ(out.str().find("cosigned"), std::string::npos) << out.str();
}

// `piaojue export` while the server runs (the store opened read-only) makes
// the same choice as an export of a stopped server: the latest cosigned
// checkpoint, not the server's newer checkpoint the witnesses have not seen.
TEST_F(WitnessedServerTest, ExportBesideARunningServerWritesTheCosignedOne) {
  RunningWitness a(tmp_.Sub("audit"), "witness.audit.example", log_vkey_);
  Start({a.Flag()}, milliseconds(200));
  Append();
  const std::string cosigned = WaitForCheckpoint(2, 1, {a.key()});
  ASSERT_FALSE(cosigned.empty());
  // The witness goes away; two more entries get the log's signature only.
  a.server->Shutdown();
  Append();
  Append();
  ASSERT_FALSE(WaitForCheckpoint(4, 0, {}).empty());

  std::ostringstream out;
  const std::string bundle = tmp_.Sub("beside.bundle");
  ASSERT_OK(cli::Export({data_, bundle}, out));
  ASSERT_NE(server_, nullptr) << "the server was running all along";
  EXPECT_NE(out.str().find("exported 2 entries"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("cosigned by 1 witness"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("2 newer entries"), std::string::npos) << out.str();
  std::ifstream in(bundle, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  EXPECT_NE(bytes.str().find(cosigned), std::string::npos)
      << "the bundle carries the cosigned checkpoint";

  // --head: the server's latest checkpoint, all four entries.
  out.str("");
  cli::ExportOptions head{data_, tmp_.Sub("beside-head.bundle")};
  head.head = true;
  ASSERT_OK(cli::Export(head, out));
  EXPECT_NE(out.str().find("exported 4 entries"), std::string::npos)
      << out.str();
  EXPECT_EQ(out.str().find("cosigned"), std::string::npos) << out.str();
}

// While the newest checkpoint waits for its slowest witness, export and
// prove offer the newest one every witness cosigned: a verifier requiring
// all of them accepts it.
TEST_F(WitnessedServerTest,
       ExportAndProvePreferTheCheckpointAllWitnessesCosigned) {
  RunningWitness a(tmp_.Sub("audit"), "witness.audit.example", log_vkey_);
  RunningWitness b(tmp_.Sub("npc"), "witness.npc.example", log_vkey_);
  Start({a.Flag(), b.Flag()}, milliseconds(200));
  const std::vector<cosignature::WitnessKey> keys = {a.key(), b.key()};
  Append();
  const std::string both = WaitForCheckpoint(2, 2, keys);
  ASSERT_FALSE(both.empty());
  b.server->Shutdown();  // the slow witness
  Append();
  ASSERT_FALSE(WaitForCheckpoint(3, 1, {a.key()}).empty());
  // The portal's proof bundle too (/tlog/checkpoint still serves the newest).
  Reply bundle = Send(server_->port(), http::verb::get, "/v1/proof/bundle/1");
  ASSERT_EQ(bundle.status, 200) << bundle.body;
  EXPECT_EQ(nlohmann::json::parse(bundle.body)["checkpoint"], both);
  // A reader who holds the newer checkpoint gets that one (never older than
  // what it has).
  bundle = Send(server_->port(), http::verb::get, "/v1/proof/bundle/1?since=3");
  ASSERT_EQ(bundle.status, 200) << bundle.body;
  EXPECT_EQ(CheckpointSize(nlohmann::json::parse(bundle.body)["checkpoint"]),
            3u);
  server_.reset();
  {
    auto ledger = ledger::Ledger::Open(cli::DataDir(data_).ledger_path(), {});
    ASSERT_OK(ledger);
    EXPECT_EQ(CheckpointSize((*ledger)->LatestCosignedCheckpoint().value()),
              3u);
    EXPECT_EQ((*ledger)->LatestWitnessedCheckpoint().value(), both);
  }

  verifier::VerifyOptions v;
  v.vkey = log_vkey_;
  v.quiet = true;
  v.witnesses = {a.vkey, b.vkey};
  v.witness_quorum = 2;
  std::ostringstream out;
  v.path = tmp_.Sub("export.bundle");
  ASSERT_OK(cli::Export({data_, v.path}, out));
  EXPECT_NE(out.str().find("exported 2 entries"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("cosigned by 2 witnesses"), std::string::npos)
      << out.str();
  verifier::VerifyReport exported = verifier::Verify(v);
  EXPECT_EQ(exported.exit_code, verifier::kExitValid)
      << verifier::ReportToText(exported);

  out.str("");
  v.path = tmp_.Sub("record1.proof");
  ASSERT_OK(cli::Prove({data_, 1, v.path, {}}, out));
  EXPECT_NE(out.str().find("against checkpoint 2 cosigned by 2 witnesses"),
            std::string::npos)
      << out.str();
  verifier::VerifyReport proved = verifier::VerifyProofBundle(v);
  EXPECT_EQ(proved.exit_code, verifier::kExitValid)
      << verifier::ReportToText(proved);

  // Entry 2 is only in the newer checkpoint: its proof uses that one, with
  // the cosignature it has.
  out.str("");
  ASSERT_OK(cli::Prove({data_, 2, tmp_.Sub("record2.proof"), {}}, out));
  EXPECT_NE(out.str().find("against checkpoint 3 cosigned by 1 witness"),
            std::string::npos)
      << out.str();
}

TEST_F(WitnessedServerTest, ADownWitnessDelaysNoAppendAndNoCheckpoint) {
  RunningWitness good(tmp_.Sub("audit"), "witness.audit.example", log_vkey_);
  SilentPort hanging;
  const std::string hanging_key = cosignature::FormatVerifierKey(
      "witness.hanging.example", testing::TestKey(21).public_key);
  const std::string down_key = cosignature::FormatVerifierKey(
      "witness.down.example", testing::TestKey(22).public_key);
  Start(
      {"http://127.0.0.1:" + std::to_string(hanging.port()) + "=" + hanging_key,
       "http://127.0.0.1:1=" + down_key, good.Flag()},
      milliseconds(200));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) Append();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  // The checkpoint of all six entries is served, with the one cosignature
  // that could be had.
  std::string cp = WaitForCheckpoint(6, 1, {good.key()}, milliseconds(3000));
  ASSERT_FALSE(cp.empty());
  EXPECT_EQ(note::ParseNote(cp)->signatures.size(), 2u);
  // Shutting down waits at most the grace period for the lost witnesses.
  const auto stop = std::chrono::steady_clock::now();
  server_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - stop, milliseconds(3000));
}

TEST_F(WitnessedServerTest, ARestartedServerCatchesUpAWitnessThrough409) {
  RunningWitness a(tmp_.Sub("audit"), "witness.audit.example", log_vkey_);
  Start({a.Flag()});
  Append();
  ASSERT_FALSE(WaitForCheckpoint(2, 1, {a.key()}).empty());
  server_.reset();
  // The new process knows nothing of what the witness holds: it sends
  // "old 0", gets 409 "2", and re-sends with a proof from 2.
  Start({a.Flag()});
  Append();
  Append();
  EXPECT_FALSE(WaitForCheckpoint(4, 1, {a.key()}).empty());
}

TEST_F(WitnessedServerTest, TheLedgerStoresOnlyCheckpointsOfItsOwnLog) {
  RunningWitness a(tmp_.Sub("audit"), "witness.audit.example", log_vkey_);
  Start({a.Flag()});
  Append();
  Append();
  const std::string cp = WaitForCheckpoint(3, 1, {a.key()});
  ASSERT_FALSE(cp.empty());
  server_.reset();
  auto ledger = ledger::Ledger::Open(cli::DataDir(data_).ledger_path(), {});
  ASSERT_OK(ledger);
  auto stored = (*ledger)->LatestCosignedCheckpoint();
  ASSERT_OK(stored);
  EXPECT_EQ(CheckpointSize(*stored), 3u);
  // Smaller: refused, the larger stays.
  auto small = (*ledger)->RootAt(1);
  ASSERT_OK(small);
  note::SignerKey log_key =
      cli::ReadKeyFile(cli::DataDir(data_).log_key_path()).value();
  auto one = note::Sign(
      note::FormatCheckpoint({testing::kOrigin, 1, *small, {}}), log_key);
  ASSERT_OK(one);
  EXPECT_EQ((*ledger)->StoreCosignedCheckpoint(*one).code(),
            StatusCode::kFailedPrecondition);
  // Another root, another origin, a size beyond the log: refused.
  auto wrong_root = note::Sign(
      note::FormatCheckpoint(
          {testing::kOrigin, 3, crypto::Sha256(crypto::AsBytes("x")), {}}),
      log_key);
  EXPECT_EQ((*ledger)->StoreCosignedCheckpoint(*wrong_root).code(),
            StatusCode::kInvalidArgument);
  auto other = note::Sign(
      note::FormatCheckpoint({"other.example/log", 3, *small, {}}), log_key);
  EXPECT_EQ((*ledger)->StoreCosignedCheckpoint(*other).code(),
            StatusCode::kInvalidArgument);
  auto beyond = note::Sign(
      note::FormatCheckpoint({testing::kOrigin, 9, *small, {}}), log_key);
  EXPECT_EQ((*ledger)->StoreCosignedCheckpoint(*beyond).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(*(*ledger)->LatestCosignedCheckpoint(), *stored);
}

}  // namespace
}  // namespace piaojue::server
