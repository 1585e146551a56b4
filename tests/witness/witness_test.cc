#include "witness/witness.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "ledger/cosignature.h"
#include "tests/test_util.h"
#include "tests/witness/fake_log.h"
#include "witness/client.h"

namespace piaojue::witness {
namespace {

using testing::FakeLog;
using testing::TempDir;
using testing::TestKey;

constexpr char kLogOrigin[] = "ledger.qinghe.example/piaojue";
constexpr uint64_t kNow = 1764460800;

std::vector<std::string> EvidenceFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/evidence")) {
    out.push_back(e.path().string());
  }
  return out;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    dir_ = tmp_.Sub("witness");
    auto vkey = Init(dir_, "witness.audit.example");
    ASSERT_OK(vkey);
    vkey_ = *vkey;
    ASSERT_OK(AddLog(dir_, log_.vkey()));
    Reopen();
    log_.GrowTo(10);
  }

  void Reopen() {
    witness_.reset();
    auto w = Witness::Open(dir_, [] { return kNow; });
    ASSERT_OK(w);
    witness_ = std::move(w).value();
  }

  Reply Add(uint64_t old_size, const FakeLog& log, uint64_t size) {
    return witness_->AddCheckpoint(AddCheckpointBody(
        old_size,
        old_size == 0 || old_size > size ? std::vector<crypto::Hash>{}
                                         : log.Proof(old_size, size),
        log.Checkpoint(size)));
  }

  // The response body must be exactly one cosignature line by this witness
  // over `body`.
  void ExpectCosignature(const Reply& r, const std::string& body) {
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_FALSE(r.body.empty());
    EXPECT_EQ(r.body.back(), '\n');
    EXPECT_EQ(r.body.find('\n'), r.body.size() - 1) << "one line";
    auto key = cosignature::ParseVerifierKey(vkey_);
    ASSERT_OK(key);
    auto c = cosignature::ParseLine(r.body);
    ASSERT_OK(c);
    EXPECT_EQ(c->timestamp, kNow);
    EXPECT_TRUE(cosignature::Verify(body, *c, *key));
  }

  TempDir tmp_;
  std::string dir_;
  std::string vkey_;
  FakeLog log_{kLogOrigin, TestKey(3)};
  std::unique_ptr<Witness> witness_;
};

TEST_F(WitnessTest, InitCreatesAPrivateKeyAndRefusesASecondInit) {
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/witness.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(vkey_.starts_with("witness.audit.example+"));
  EXPECT_OK(cosignature::ParseVerifierKey(vkey_));
  EXPECT_EQ(witness_->verifier_key(), vkey_);
  EXPECT_EQ(Init(dir_, "witness.audit.example").status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(Init(tmp_.Sub("other"), "has space").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(WitnessTest, AddLogNeedsAWitnessAndALogKey) {
  EXPECT_EQ(AddLog(tmp_.Sub("none"), log_.vkey()).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(AddLog(dir_, vkey_).status().code(),  // a witness key, 0x04
            StatusCode::kInvalidArgument);
  auto again = AddLog(dir_, log_.vkey());
  ASSERT_OK(again);
  EXPECT_EQ(*again, kLogOrigin);
}

TEST_F(WitnessTest, FirstCheckpointIsCosignedFromOldSizeZero) {
  ExpectCosignature(Add(0, log_, 4), log_.Body(4));
}

TEST_F(WitnessTest, AnExtensionWithAValidProofIsCosigned) {
  ASSERT_EQ(Add(0, log_, 4).status, 200);
  ExpectCosignature(Add(4, log_, 7), log_.Body(7));
  ExpectCosignature(Add(7, log_, 8), log_.Body(8));  // power of two
  // The same checkpoint again is cosigned again (empty proof).
  ExpectCosignature(Add(8, log_, 8), log_.Body(8));
}

TEST_F(WitnessTest, SplitViewOfOneSizeIsRefusedWith409AndKeptAsEvidence) {
  ASSERT_EQ(Add(0, log_, 6).status, 200);
  FakeLog fork(kLogOrigin, TestKey(3));  // same key, other entries
  fork.GrowTo(6, "rewritten");
  ASSERT_NE(fork.RootAt(6), log_.RootAt(6));
  Reply r = Add(6, fork, 6);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  auto files = EvidenceFiles(dir_);
  ASSERT_EQ(files.size(), 1u);
  const std::string evidence = Slurp(files[0]);
  EXPECT_NE(evidence.find(log_.Checkpoint(6)), std::string::npos);
  EXPECT_NE(evidence.find(fork.Checkpoint(6)), std::string::npos);
  // And the witness still holds the first view.
  ExpectCosignature(Add(6, log_, 9), log_.Body(9));
}

TEST_F(WitnessTest, ARewriteAtALargerSizeFailsItsProofWith422) {
  ASSERT_EQ(Add(0, log_, 5).status, 200);
  FakeLog fork(kLogOrigin, TestKey(3));
  fork.GrowTo(9, "rewritten");
  // The operator sends the rewritten log's own proof from 5 to 9: it does
  // not lead from the root the witness cosigned.
  Reply r = Add(5, fork, 9);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(EvidenceFiles(dir_).size(), 1u);
  // A proof with a flipped byte is refused too.
  auto proof = log_.Proof(5, 9);
  proof[0][0] ^= 1;
  r = witness_->AddCheckpoint(AddCheckpointBody(5, proof, log_.Checkpoint(9)));
  EXPECT_EQ(r.status, 422);
  // Old size zero takes no proof at all.
  Reply z = witness_->AddCheckpoint(
      AddCheckpointBody(0, {log_.RootAt(1)}, log_.Checkpoint(5)));
  EXPECT_EQ(z.status, 409);  // old 0 is not what it holds: the size first
  TempDir fresh;
  ASSERT_OK(Init(fresh.Sub("w"), "witness.two.example"));
  ASSERT_OK(AddLog(fresh.Sub("w"), log_.vkey()));
  auto w2 = Witness::Open(fresh.Sub("w"));
  ASSERT_OK(w2);
  EXPECT_EQ((*w2)
                ->AddCheckpoint(
                    AddCheckpointBody(0, {log_.RootAt(1)}, log_.Checkpoint(5)))
                .status,
            422);
}

TEST_F(WitnessTest, TruncationIsRefused) {
  ASSERT_EQ(Add(0, log_, 8).status, 200);
  // Claiming the old size the witness holds, with a smaller checkpoint.
  Reply r = Add(8, log_, 5);
  EXPECT_EQ(r.status, 400) << r.body;
  // Or claiming the smaller size as old: the witness says what it holds.
  r = Add(5, log_, 5);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "text/x.tlog.size");
  EXPECT_EQ(r.body, "8\n");
}

TEST_F(WitnessTest, AStaleOldSizeGets409WithTheSizeItHolds) {
  Reply r = Add(3, log_, 5);  // it holds nothing yet: size 0
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "text/x.tlog.size");
  EXPECT_EQ(r.body, "0\n");
  ASSERT_EQ(Add(0, log_, 5).status, 200);
  r = Add(0, log_, 7);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "5\n");
}

TEST_F(WitnessTest, UnknownOriginIs404AndUntrustedSignatureIs403) {
  FakeLog stranger("other.example/log", TestKey(3));
  stranger.GrowTo(2);
  EXPECT_EQ(Add(0, stranger, 2).status, 404);
  FakeLog impostor(kLogOrigin, TestKey(9));  // right origin, wrong key
  impostor.GrowTo(2);
  EXPECT_EQ(Add(0, impostor, 2).status, 403);
  // The log's own signature alongside an unknown one is enough.
  auto both = cosignature::AppendLines(
      log_.Checkpoint(2),
      impostor.Checkpoint(2).substr(impostor.Checkpoint(2).rfind("\n\n") + 2));
  ASSERT_OK(both);
  EXPECT_EQ(witness_->AddCheckpoint(AddCheckpointBody(0, {}, *both)).status,
            200);
  EXPECT_TRUE(EvidenceFiles(dir_).empty());
}

TEST_F(WitnessTest, ASecondTrustedKeyForAnOriginIsAccepted) {
  FakeLog rotated(kLogOrigin, TestKey(4));
  rotated.GrowTo(3);
  EXPECT_EQ(Add(0, rotated, 3).status, 403);
  ASSERT_OK(AddLog(dir_, rotated.vkey()));
  EXPECT_EQ(Add(0, rotated, 3).status, 200);
}

TEST_F(WitnessTest, MalformedRequestsAre400) {
  const std::string cp = log_.Checkpoint(4);
  const std::string h = crypto::Base64Encode(crypto::AsBytes(log_.RootAt(1)));
  for (const std::string& body : {
           std::string(""),
           "old 0\n" + cp,                         // no empty line
           "0\n\n" + cp,                           // no "old "
           "old 00\n\n" + cp,                      // leading zero
           "old -1\n\n" + cp,                      // sign
           "old 1x\n\n" + cp,                      // junk
           "old 18446744073709551616\n\n" + cp,    // 2^64
           "old 0\nnot base64\n\n" + cp,           // bad proof line
           "old 0\n" + h.substr(4) + "\n\n" + cp,  // short hash
           std::string("old 0\n\nhello\n\n"),      // not a note
           "old 0\n\n" + log_.Body(4),             // unsigned
       }) {
    Reply r = witness_->AddCheckpoint(body);
    EXPECT_EQ(r.status, 400) << body;
  }
  // 63 proof lines are allowed (the proof is then wrong: 422); 64 are not.
  std::string proof63, proof64;
  for (int i = 0; i < 63; ++i) proof63 += h + "\n";
  proof64 = proof63 + h + "\n";
  EXPECT_EQ(witness_->AddCheckpoint("old 0\n" + proof63 + "\n" + cp).status,
            422);
  EXPECT_EQ(witness_->AddCheckpoint("old 0\n" + proof64 + "\n" + cp).status,
            400);
  // Old size larger than the checkpoint's.
  EXPECT_EQ(witness_->AddCheckpoint("old 5\n\n" + cp).status, 400);
}

// The example request body of c2sp.org/tlog-witness, "add-checkpoint".
constexpr char kSpecRequest[] =
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n"
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\xe2\x80\x94 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\xe2\x80\x94 example.com/behind-the-sofa "
    "opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/"
    "V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";

TEST_F(WitnessTest, TheSpecExampleRequestIsWellFormed) {
  // Parsed past the grammar: its origin is unknown here (404, not 400).
  EXPECT_EQ(witness_->AddCheckpoint(kSpecRequest).status, 404);
  // Trusting some other key for that origin: none of its lines verify.
  FakeLog sofa("example.com/behind-the-sofa", TestKey(5));
  ASSERT_OK(AddLog(dir_, sofa.vkey()));
  EXPECT_EQ(witness_->AddCheckpoint(kSpecRequest).status, 403);
  // And the log's client writes exactly these bytes.
  const std::string request = kSpecRequest;
  const size_t note_at = request.find("example.com/");
  std::vector<crypto::Hash> proof;
  for (const char* line : {"PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=",
                           "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=",
                           "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=",
                           "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0="}) {
    auto bytes = crypto::Base64Decode(line);
    ASSERT_OK(bytes);
    crypto::Hash h;
    std::copy(bytes->begin(), bytes->end(), h.begin());
    proof.push_back(h);
  }
  EXPECT_EQ(AddCheckpointBody(20852014, proof, request.substr(note_at)),
            request);
}

TEST_F(WitnessTest, ARestartedWitnessKeepsItsState) {
  ASSERT_EQ(Add(0, log_, 6).status, 200);
  Reopen();
  Reply r = Add(0, log_, 7);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "6\n");
  FakeLog fork(kLogOrigin, TestKey(3));
  fork.GrowTo(6, "rewritten");
  EXPECT_EQ(Add(6, fork, 6).status, 409);  // the split view, after restart
  ExpectCosignature(Add(6, log_, 7), log_.Body(7));
  Reopen();
  EXPECT_EQ(Add(0, log_, 7).body, "7\n");
  // No temporary file is left behind.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_)) {
    EXPECT_FALSE(e.path().string().ends_with(".tmp")) << e.path();
  }
}

TEST_F(WitnessTest, ConcurrentRequestsNeverRollBack) {
  // tlog-witness's race: two requests from the same old size; only one may
  // win, and the stored size never goes down.
  ASSERT_EQ(Add(0, log_, 2).status, 200);
  std::vector<std::thread> threads;
  std::vector<int> statuses(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { statuses[i] = Add(2, log_, 3 + i).status; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 409), 7);
  const uint64_t won =
      3 + (std::find(statuses.begin(), statuses.end(), 200) - statuses.begin());
  EXPECT_EQ(Add(0, log_, 10).body, std::to_string(won) + "\n");
}

}  // namespace
}  // namespace piaojue::witness
