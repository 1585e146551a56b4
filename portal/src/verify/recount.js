// The recount of docs/RULES.md ("The recount", "Satisfaction grades"),
// implemented a second time for the browser from the document.
//
// rules: the decoded votingRulesAdopted; round: the decoded roundOpened;
// parts: decoded ballotsRecorded of every box of the round.

export const MARK = { approve: 1, oppose: 2, abstain: 3, satisfactionAbstain: 4 };

export function ballotIsValid(rules, round, ballot) {
  const satisfaction = rules.purpose === 'satisfaction';
  const highest = satisfaction ? 4 : 3;
  let approvals = 0;
  for (const m of ballot) {
    if (m < 1 || m > highest) return false;
    if (m === 1) approvals++;
  }
  if (!satisfaction) {
    // RULES.md "The recount" 1: more approvals than min(the round's
    // maxApprovals, the round's seats) make a ballot invalid, whatever the
    // round states (0 means the seats; a round of format 1 has none).
    const limit = Math.min(round.maxApprovals || rules.maxApprovals || round.seats, round.seats);
    if (approvals > limit) return false;
  }
  return true;
}

export function countBallots(rules, round, parts) {
  const width = round.items.length;
  const c = {
    read: 0, unreadable: 0, valid: 0, invalid: 0,
    items: round.items.map((item) => ({ item, approve: 0, oppose: 0, abstain: 0, satisfactionAbstain: 0 })),
  };
  for (const p of parts) {
    c.unreadable += p.unreadable;
    c.invalid += p.unreadable;
    if (width === 0) continue;
    for (let at = 0; at + width <= p.marks.length; at += width) {
      const ballot = p.marks.subarray(at, at + width);
      c.read++;
      if (!ballotIsValid(rules, round, ballot)) { c.invalid++; continue; }
      c.valid++;
      ballot.forEach((m, i) => {
        const it = c.items[i];
        if (m === 1) it.approve++;
        else if (m === 2) it.oppose++;
        else if (m === 3) it.abstain++;
        else it.satisfactionAbstain++;
      });
    }
  }
  return c;
}

export function passBase(rules, round, count) {
  switch (rules.passBase) {
    case 'present': return { kind: 'present', value: round.presentDeputies };
    case 'validBallots': return { kind: 'validBallots', value: count.valid };
    default: return { kind: 'entitled', value: rules.entitledDeputies };
  }
}

const moreThanHalf = (x, base, half) => (half ? 2 * x >= base : 2 * x > base);

export function decide(rules, round, count) {
  const base = passBase(rules, round, count);
  const out = { passBase: base, passThreshold: 0, ranking: [], elected: [], tiedAtCutoff: [], vacantSeats: 0, grades: [] };
  if (rules.purpose === 'satisfaction') {
    const half = !!rules.exactlyHalfPasses;
    out.passThreshold = half ? Math.ceil(base.value / 2) : Math.floor(base.value / 2) + 1;
    for (const c of count.items) {
      let grade = 'unsatisfied';
      if (moreThanHalf(c.approve, base.value, half)) grade = 'satisfied';
      else if (moreThanHalf(c.approve + c.oppose, base.value, half)) grade = 'basicallySatisfied';
      out.grades.push({ item: c.item, grade });
    }
    return out;
  }
  out.passThreshold = Math.floor(base.value / 2) + 1;
  const passing = count.items.filter((c) => moreThanHalf(c.approve, base.value, false));
  // Highest approvals first; equal approvals keep ballot order (stable sort).
  const ranked = passing.map((c, i) => ({ c, i })).sort((a, b) => b.c.approve - a.c.approve || a.i - b.i).map((x) => x.c);
  out.ranking = ranked.map((c) => ({ item: c.item, approve: c.approve }));
  const seats = round.seats;
  if (ranked.length <= seats) {
    out.elected = ranked.map((c) => c.item);
    out.vacantSeats = seats - ranked.length;
    return out;
  }
  if (seats === 0) return out;
  const cutoff = ranked[seats - 1].approve;
  const firstOut = ranked[seats].approve;
  if (cutoff > firstOut) {
    out.elected = ranked.slice(0, seats).map((c) => c.item);
    return out;
  }
  out.elected = ranked.filter((c) => c.approve > cutoff).map((c) => c.item);
  out.tiedAtCutoff = count.items.filter((c) => c.approve === cutoff && moreThanHalf(c.approve, base.value, false)).map((c) => c.item);
  return out;
}

// boxes: [{ref, issued, collected}] (from ballotBoxOpened).
export function recountRound(rules, round, boxes, parts) {
  const count = countBallots(rules, round, parts);
  const issued = boxes.reduce((a, b) => a + b.issued, 0);
  const collected = boxes.reduce((a, b) => a + b.collected, 0);
  const isVoid = boxes.some((b) => b.collected > b.issued);
  return { issued, collected, void: isVoid, ...count, outcome: isVoid ? null : decide(rules, round, count) };
}

// Compares a recount with a certified tally and an announced result (both
// decoded events, either may be null). Returns a list of differences, each
// {what, recounted, published}; empty when everything agrees.
export function compareWithPublished(recount, tally, result) {
  const diffs = [];
  const d = (what, recounted, published) => {
    if (JSON.stringify(recounted) !== JSON.stringify(published)) diffs.push({ what, recounted, published });
  };
  if (tally) {
    d('issued', recount.issued, tally.issued);
    d('collected', recount.collected, tally.collected);
    d('valid', recount.valid, tally.valid);
    d('invalid', recount.invalid, tally.invalid);
    recount.items.forEach((it, i) => {
      const t = tally.items[i] || {};
      d(`item ${it.item} item`, it.item, t.item);
      for (const k of ['approve', 'oppose', 'abstain', 'satisfactionAbstain']) d(`item ${it.item} ${k}`, it[k], t[k] ?? 0);
    });
    if (tally.items.length !== recount.items.length) d('items', recount.items.length, tally.items.length);
  }
  if (result && recount.outcome) {
    const o = recount.outcome;
    d('elected', o.elected, result.elected);
    d('tiedAtCutoff', [...o.tiedAtCutoff].sort(), [...result.tiedAtCutoff].sort());
    d('vacantSeats', o.vacantSeats, result.vacantSeats);
    const g = (list) => list.map((x) => `${x.item}:${x.grade}`).sort();
    d('grades', g(o.grades), g(result.grades));
  }
  return diffs;
}
