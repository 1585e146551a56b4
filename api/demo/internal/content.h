// The cast and the material of the demo's story: places, people, proposal
// templates and the proposals that pass government review. Private to
// api/demo/; the story (story.cc) turns them into events.
#pragma once

#include <string>
#include <vector>

#include "ledger/schema/piaojue.capnp.h"

namespace piaojue::demo::internal {

using schema::Category;
using schema::Channel;
using schema::FundingSource;
using schema::ProposerType;
using schema::ReasonCode;

// A jurisdiction of the story: the county (0) and its two townships (1, 2).
struct Place {
  const char* code;
  const char* name;
  const char* congress_now;   // the congress that votes in January 2025
  const char* congress_next;  // the one that rates in January 2026
  const char* receipt_prefix;
};

extern const Place kPlaces[3];
extern const char* const kTowns[8];        // the county's townships
extern const char* const kVillages[30];    // village names (村)
extern const char* const kCommunities[8];  // the county town's communities
extern const char* const kDeputies[20];    // deputies' names
extern const char* const kCppcc[8];        // CPPCC members' names

// An ordinary proposal comes from a template and is turned down at
// government review (审核) with the template's reason.
struct Template {
  const char* title;  // {p} = the place
  const char* description;
  char place_kind;  // 'v' village, 'c' community, 't' township
  Category category;
  int wan;  // estimated investment, 万元
  FundingSource funding;
  ReasonCode reason;
  const char* reason_text;
};

inline constexpr int kTemplateCount = 24;
extern const Template kTemplates[kTemplateCount];

// One source proposal as received.
struct Source {
  std::string title;
  std::string description;
  ProposerType proposer;
  std::string proposer_name;
  Channel channel;
};

Source Deputy(std::string title, std::string desc, std::string who,
              std::string level = "县");
Source Cppcc(std::string title, std::string desc, std::string who);
Source Resident(std::string title, std::string desc, Channel channel,
                std::string who = "");
Source Department(std::string title, std::string desc, std::string who);
Source Township(std::string title, std::string desc, std::string who);

enum class Fate {
  kCandidate,
  kRejectedAtParty,     // 审定
  kRejectedAtStanding,  // 审查
};

// A proposal that passes government review: a candidate, or one that drops
// out at the party committee or the standing committee.
struct Core {
  std::string name;
  std::string location;
  Category category;
  int wan;
  std::string agency;
  std::string leader;
  std::string content;
  std::string requirements;
  std::vector<Source> sources;  // 1 = the proposal itself; more = merged
  Fate fate = Fate::kCandidate;
  ReasonCode reason = ReasonCode::MEETS_CRITERIA;
  std::string reason_text;
};

// The county's core proposals: the 12 candidates in ballot order, then the
// 3 turned down by the party committee and the 1 by the standing committee.
std::vector<Core> CountyCores();
// A township's (1 = 柳林镇, 2 = 石门乡): candidates in ballot order, then one
// turned down at each later review.
std::vector<Core> TownshipCores(int which);

}  // namespace piaojue::demo::internal
