// Shared test helpers: ASSERT_OK, deterministic keys, a registered deployment
// (genesis, one county, keys for every role) and event builders.
#pragma once

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "ledger/crypto.h"
#include "ledger/entry.h"
#include "ledger/schema/piaojue.capnp.h"
#include "ledger/status.h"

#define ASSERT_OK(expr)                                              \
  do {                                                               \
    const ::piaojue::Status _s = ::piaojue::testing::StatusOf(expr); \
    ASSERT_TRUE(_s.ok()) << _s.ToString();                           \
  } while (0)
#define EXPECT_OK(expr)                                              \
  do {                                                               \
    const ::piaojue::Status _s = ::piaojue::testing::StatusOf(expr); \
    EXPECT_TRUE(_s.ok()) << _s.ToString();                           \
  } while (0)

namespace piaojue::testing {

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// A deterministic key pair: seed = 32 bytes of `n`.
inline crypto::KeyPair TestKey(uint8_t n) {
  std::array<uint8_t, crypto::kSeedSize> seed;
  seed.fill(n);
  return crypto::KeyPairFromSeed(seed);
}

// A fresh temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "piaojue-test-XXXXXX")
            .string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline constexpr char kOrigin[] = "piaojue.test/log";

// Builds one Event with `fill` and signs it for the log named `origin`.
inline ledger::SignedEvent MakeEvent(
    const crypto::KeyPair& author, std::string_view jurisdiction,
    const std::function<void(schema::Event::Builder)>& fill,
    int64_t signed_at_ms = 1700000000000, std::string_view origin = kOrigin) {
  capnp::MallocMessageBuilder message;
  auto event = message.initRoot<schema::Event>();
  fill(event);
  auto signed_event = ledger::SignEvent(author, origin, jurisdiction,
                                        signed_at_ms, event.asReader());
  EXPECT_TRUE(signed_event.ok()) << signed_event.status().ToString();
  return std::move(signed_event).value();
}
inline constexpr char kCounty[] = "610102";

inline ledger::SignedEvent Genesis(const crypto::KeyPair& root) {
  return MakeEvent(root, "", [&](schema::Event::Builder e) {
    auto g = e.initGenesis();
    g.setOrigin(kOrigin);
    g.setRootKey(capnp::Data::Reader(root.public_key.data(), 32));
    g.setFormatVersion(ledger::kFormatVersion);
    g.setDeploymentName("测试账本");
  });
}

inline ledger::SignedEvent RegisterJurisdiction(const crypto::KeyPair& root,
                                                std::string code,
                                                std::string parent = "") {
  return MakeEvent(root, "", [&](schema::Event::Builder e) {
    auto j = e.initJurisdictionRegistered();
    j.setCode(code);
    j.setName("某县");
    j.setLevel(parent.empty() ? schema::Level::COUNTY
                              : schema::Level::TOWNSHIP);
    j.setParentCode(parent);
  });
}

inline ledger::SignedEvent RegisterKey(const crypto::KeyPair& root,
                                       const crypto::PublicKey& key,
                                       schema::Role role,
                                       std::string jurisdiction = kCounty,
                                       int64_t signed_at_ms = 1700000000000) {
  return MakeEvent(
      root, "",
      [&](schema::Event::Builder e) {
        auto k = e.initKeyRegistered();
        k.setKey(capnp::Data::Reader(key.data(), key.size()));
        k.setRole(role);
        k.setJurisdiction(jurisdiction);
        k.setHolder("某县发改局");
      },
      signed_at_ms);
}

inline ledger::SignedEvent RevokeKey(const crypto::KeyPair& root,
                                     const crypto::PublicKey& key) {
  return MakeEvent(root, "", [&](schema::Event::Builder e) {
    auto k = e.initKeyRevoked();
    k.setKey(capnp::Data::Reader(key.data(), key.size()));
    k.setReason("离任");
  });
}

// A small event any government-office key may author.
inline ledger::SignedEvent OpenCycle(const crypto::KeyPair& office,
                                     uint16_t year = 2025,
                                     std::string jurisdiction = kCounty,
                                     int64_t signed_at_ms = 1700000000000) {
  return MakeEvent(
      office, jurisdiction,
      [&](schema::Event::Builder e) {
        auto c = e.initCycleOpened();
        c.setYear(year);
        c.setLevel(schema::Level::COUNTY);
        c.setTitle("某县2025年民生实事项目");
        c.setBudgetFen(12'000'000'000);
        c.setProjectCount(10);
      },
      signed_at_ms);
}

// Canonical AuthoredEvent bytes built directly, without SignEvent's checks:
// for tests of what a hostile author can send.
inline std::string RawAuthored(
    const crypto::KeyPair& author, std::string_view jurisdiction,
    const std::function<void(schema::Event::Builder)>& fill,
    int64_t signed_at_ms = 1700000000000, std::string_view origin = kOrigin) {
  capnp::MallocMessageBuilder message;
  auto a = message.initRoot<schema::AuthoredEvent>();
  a.setAuthorKey(
      capnp::Data::Reader(author.public_key.data(), author.public_key.size()));
  std::array<uint8_t, ledger::kNonceSize> nonce;
  crypto::RandomBytes(nonce);
  a.setNonce(capnp::Data::Reader(nonce.data(), nonce.size()));
  a.setSignedAtMs(signed_at_ms);
  a.setJurisdiction(
      capnp::Text::Reader(jurisdiction.data(), jurisdiction.size()));
  fill(a.initEvent());
  a.setOrigin(capnp::Text::Reader(origin.data(), origin.size()));
  return ledger::CanonicalBytes(a.asReader());
}

// Signs `authored` exactly as given (any bytes at all).
inline ledger::SignedEvent SignRaw(const crypto::KeyPair& author,
                                   std::string authored) {
  ledger::SignedEvent out;
  out.authored = std::move(authored);
  std::string to_sign(ledger::kAuthoredEventContext);
  to_sign += out.authored;
  out.signature = crypto::Sign(author.secret_key, crypto::AsBytes(to_sign));
  return out;
}

// Overwrites the NUL terminator of the one text `text` in `bytes` with 'X',
// so that text is no longer NUL-terminated. The text's length must be 7
// modulo 8: its NUL then ends a word, and no padding follows to betray the
// change, so the message stays canonical.
inline std::string DropNulTerminator(std::string bytes, std::string_view text) {
  EXPECT_EQ(text.size() % 8, 7u) << "choose a text of 8k+7 bytes";
  std::string needle(text);
  needle.push_back('\0');
  const size_t at = bytes.find(needle);
  EXPECT_NE(at, std::string::npos) << "text not found in the bytes";
  EXPECT_EQ(bytes.find(needle, at + 1), std::string::npos) << "text twice";
  if (at != std::string::npos) bytes[at + text.size()] = 'X';
  return bytes;
}

}  // namespace piaojue::testing
