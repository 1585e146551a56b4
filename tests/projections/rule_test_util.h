// Helpers for the rule tests: submit an event through a CycleBuilder and
// check that it is refused by a named rule with nothing appended.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>

#include "projections/replay.h"
#include "tests/cycle_builder.h"

namespace piaojue::testing {

using Fill = std::function<void(schema::Event::Builder)>;

// Submits `fill` signed by `author` and expects a refusal with `code` whose
// message names `rule` ("rule <id>: "), with the ledger and the rules state
// unchanged (the same size, the same head).
inline ::testing::AssertionResult RefusedBy(
    CycleBuilder& b, const crypto::KeyPair& author, const Fill& fill,
    StatusCode code, std::string_view rule,
    std::string jurisdiction = kCounty) {
  const uint64_t size = b.size();
  const auto head = b.ledger().head().last_entry_hash;
  const std::string before = b.state().Serialize();
  // The same event before a rules-only state (what the verifier keeps,
  // State::KeepViewData(false)) replayed from the ledger: the very verdict,
  // word for word, of the full state.
  {
    projections::State lean;
    lean.KeepViewData(false);
    if (Status s = projections::CatchUp(b.ledger(), size, &lean); !s.ok()) {
      return ::testing::AssertionFailure()
             << "rules-only replay: " << s.ToString();
    }
    auto bytes = ledger::EncodeEntry(size, head, b.now_ms(),
                                     b.Sign(author, fill, jurisdiction));
    if (bytes.ok()) {
      auto view = ledger::EntryView::Parse(*bytes);
      if (view.ok()) {
        const Status full = b.state().Check(*view);
        const Status thin = lean.Check(*view);
        if (full.code() != thin.code() || full.message() != thin.message()) {
          return ::testing::AssertionFailure()
                 << "a rules-only state judges otherwise: full state "
                 << full.ToString() << ", rules-only " << thin.ToString();
        }
      }
    }
  }
  auto r = b.Submit(author, fill, std::move(jurisdiction));
  if (r.ok()) {
    return ::testing::AssertionFailure()
           << "accepted as entry " << *r << ", expected rule " << rule;
  }
  const std::string want = "rule " + std::string(rule) + ": ";
  if (r.status().code() != code) {
    return ::testing::AssertionFailure()
           << "code " << StatusCodeName(r.status().code()) << ", expected "
           << StatusCodeName(code) << ": " << r.status().ToString();
  }
  if (r.status().message().find(want) == std::string::npos) {
    return ::testing::AssertionFailure() << "message does not name \"" << want
                                         << "\": " << r.status().message();
  }
  if (b.size() != size || b.ledger().head().last_entry_hash != head) {
    return ::testing::AssertionFailure() << "the ledger changed";
  }
  if (b.state().Serialize() != before) {
    return ::testing::AssertionFailure() << "the rules state changed";
  }
  return ::testing::AssertionSuccess() << r.status().message();
}

inline ::testing::AssertionResult Refused(CycleBuilder& b,
                                          const crypto::KeyPair& author,
                                          const Fill& fill,
                                          std::string_view rule,
                                          std::string jurisdiction = kCounty) {
  return RefusedBy(b, author, fill, StatusCode::kFailedPrecondition, rule,
                   std::move(jurisdiction));
}

inline ::testing::AssertionResult Malformed(
    CycleBuilder& b, const crypto::KeyPair& author, const Fill& fill,
    std::string_view rule, std::string jurisdiction = kCounty) {
  return RefusedBy(b, author, fill, StatusCode::kInvalidArgument, rule,
                   std::move(jurisdiction));
}

// What the rules alone (State::Check, as a verifier replays them) say of
// `fill` placed as the next entry, without the ledger's own checks.
inline Status CheckRulesAlone(CycleBuilder& b, const crypto::KeyPair& author,
                              const Fill& fill,
                              std::string jurisdiction = kCounty) {
  auto bytes =
      ledger::EncodeEntry(b.size(), b.ledger().head().last_entry_hash,
                          b.now_ms(), b.Sign(author, fill, jurisdiction));
  if (!bytes.ok()) return bytes.status();
  auto view = ledger::EntryView::Parse(*bytes);
  if (!view.ok()) return view.status();
  return b.state().Check(*view);
}

// The ledger refuses `fill` with `code` before the rules see it (nothing
// appended), and the rules alone refuse it too, naming `rule`.
inline ::testing::AssertionResult RefusedByLedgerAndRule(
    CycleBuilder& b, const crypto::KeyPair& author, const Fill& fill,
    StatusCode ledger_code, StatusCode rule_code, std::string_view rule) {
  const uint64_t size = b.size();
  auto r = b.Submit(author, fill);
  if (r.ok() || r.status().code() != ledger_code || b.size() != size) {
    return ::testing::AssertionFailure()
           << "the ledger did not refuse it with "
           << StatusCodeName(ledger_code) << ": "
           << (r.ok() ? "accepted" : r.status().ToString());
  }
  const Status alone = CheckRulesAlone(b, author, fill);
  if (alone.code() != rule_code ||
      alone.message().find("rule " + std::string(rule) + ": ") ==
          std::string::npos) {
    return ::testing::AssertionFailure()
           << "the rules alone say " << alone.ToString() << ", expected "
           << StatusCodeName(rule_code) << " naming " << rule;
  }
  return ::testing::AssertionSuccess();
}

// A correction of `target` (a replacement built by `replacement`, or a
// retraction when it is null).
inline Fill Correction(uint64_t target, std::string reason,
                       const Fill& replacement = nullptr) {
  return [=](schema::Event::Builder e) {
    auto c = e.initCorrection();
    c.setTarget(target);
    c.setReason(reason);
    if (replacement) {
      capnp::MallocMessageBuilder scratch;
      auto event = scratch.initRoot<schema::Event>();
      replacement(event);
      c.setReplacement(event.asReader());
    } else {
      c.setRetraction();
    }
  };
}

}  // namespace piaojue::testing
