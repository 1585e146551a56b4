// Helpers for the rule tests: submit an event through a CycleBuilder and
// check that it is refused by a named rule with nothing appended.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>

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
