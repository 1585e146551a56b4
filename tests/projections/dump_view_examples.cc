// Prints every view of the CycleBuilder fixture as JSON, the source of the
// examples in docs/VIEWS.md:
//   build/<dir>/bin/dump_view_examples > /tmp/views.json
// Not a test; built with the tests because it uses their fixture.
#include <iostream>

#include "projections/diff.h"
#include "projections/replay.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"

int main() {
  using piaojue::testing::CycleBuilder;
  namespace projections = piaojue::projections;
  CycleBuilder b;
  if (auto s = b.BuildAll(); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  const auto& r = b.refs();
  nlohmann::json out;
  out["refs"] = {{"cycle", r.cycle},
                 {"canteen", r.canteen},
                 {"barriers", r.barriers},
                 {"vote", r.vote},
                 {"round", r.round},
                 {"satisfactionVote", r.satisfaction_vote},
                 {"industrialPark", r.industrial_park}};
  auto add = [&](const std::string& key, const projections::State& state,
                 const std::string& view, projections::ViewQuery q) {
    auto v = projections::View(state, view, q);
    out[key] = v.ok() ? *v : nlohmann::json(v.status().ToString());
  };
  projections::ViewQuery cycle;
  cycle.cycle = r.cycle;
  add("cycles", b.state(), "cycles", {});
  add("funnel", b.state(), "funnel", cycle);
  add("candidates", b.state(), "candidates", cycle);
  projections::ViewQuery vote;
  vote.record = r.vote;
  add("tally", b.state(), "tally", vote);
  projections::ViewQuery satisfaction;
  satisfaction.record = r.satisfaction_vote;
  add("tallySatisfaction", b.state(), "tally", satisfaction);
  projections::ViewQuery project;
  project.record = r.barriers;
  add("projects", b.state(), "projects", project);
  auto aug = projections::ReplayAsOf(
      b.ledger(), *projections::ParseInstantMs("2025-08-05"));
  if (aug.ok()) add("projectsAug5", *aug, "projects", project);
  projections::ViewQuery audit;
  audit.record = r.industrial_park;
  add("audit", b.state(), "audit", audit);
  // What the standing committee's examination changed in the funnel.
  auto before = projections::ReplayTo(b.ledger(), r.standing_committee.front());
  auto after =
      projections::ReplayTo(b.ledger(), r.standing_committee.back() + 1);
  if (before.ok() && after.ok()) {
    auto from = projections::View(*before, "funnel", cycle);
    auto to = projections::View(*after, "funnel", cycle);
    if (from.ok() && to.ok()) out["diff"] = projections::Diff(*from, *to);
  }
  // An erratum by the government office after the vote (VIEWS.md
  // "Conventions"), appended last so that it changes no other example.
  auto fix = b.Submit(b.keys().office, [&](piaojue::schema::Event::Builder e) {
    auto c = e.initCorrection();
    c.setTarget(r.canteen);
    c.setReason("描述中的地址有笔误");
    capnp::MallocMessageBuilder scratch;
    auto event = scratch.initRoot<piaojue::schema::Event>();
    auto original =
        piaojue::ledger::EntryView::Parse(*b.ledger().ReadEntry(r.canteen));
    if (!original.ok()) return;
    event.setProposalSubmitted(original->event().getProposalSubmitted());
    event.getProposalSubmitted().getDetails().setDescription(
        "城东街道建设老年助餐食堂");
    c.setReplacement(event.asReader());
  });
  if (fix.ok()) {
    auto funnel = projections::View(b.state(), "funnel", cycle);
    if (funnel.ok()) {
      for (const auto& p : (*funnel)["proposals"]) {
        if (p["ref"] == r.canteen) out["correction"] = p["correctionHistory"];
      }
    }
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}
