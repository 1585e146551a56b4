// The browser's recount (src/verify/recount.js) against the worked examples
// and rules of docs/RULES.md, "The recount" and "Satisfaction grades".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recountRound, compareWithPublished, ballotIsValid } from '../../src/verify/recount.js';

const selection = { purpose: 'projectSelection', entitledDeputies: 30, passBase: 'entitled', maxApprovals: 0, exactlyHalfPasses: false };
const ballots = (rows) => ({ marks: Uint8Array.from(rows.flat()), unreadable: 0 });
// n copies of a ballot.
const times = (n, b) => Array.from({ length: n }, () => b);


// n ballots approving each item counts[i] times (greedy, so no ballot
// approves more than needed), opposing otherwise.
function build(n, counts) {
  const rows = Array.from({ length: n }, () => counts.map(() => 2));
  const load = new Array(n).fill(0);
  counts.forEach((k, item) => {
    const order = [...load.keys()].sort((a, b) => load[a] - load[b] || a - b).slice(0, k);
    for (const b of order) { rows[b][item] = 1; load[b]++; }
  });
  return rows;
}

test('the worked example: 4 candidates, 3 seats, one invalid ballot approving all four', () => {
  const round = { items: [13, 14, 15, 21], seats: 3, presentDeputies: 27 };
  const valid = build(26, [24, 22, 21, 8]);
  assert.ok(valid.every((r) => r.filter((m) => m === 1).length <= 3));
  const r = recountRound(selection, round, [{ ref: 1, issued: 14, collected: 14 }, { ref: 2, issued: 13, collected: 13 }],
    [ballots([...valid, [1, 1, 1, 1]])]);
  assert.equal(r.valid, 26);
  assert.equal(r.invalid, 1);
  assert.deepEqual(r.items.map((i) => i.approve), [24, 22, 21, 8]);
  assert.equal(r.outcome.passThreshold, 16);
  assert.deepEqual(r.outcome.elected, [13, 14, 15]);
  for (const it of r.items) assert.equal(it.approve + it.oppose + it.abstain, 26);
  assert.deepEqual(r.outcome.tiedAtCutoff, []);
});

test('a tie at the cut-off elects those above it and leaves the tied to a further round', () => {
  const round = { items: [1, 2, 3, 4], seats: 2, presentDeputies: 30 };
  const rows = build(35, [25, 20, 20, 3]);
  const r = recountRound(selection, round, [{ ref: 1, issued: 35, collected: 35 }], [ballots(rows)]);
  assert.equal(r.invalid, 0);
  assert.deepEqual(r.outcome.elected, [1]);
  assert.deepEqual(r.outcome.tiedAtCutoff, [2, 3]);
  assert.equal(r.outcome.vacantSeats, 0);
});

test('too few passing candidates leave seats vacant; exactly half does not pass', () => {
  const round = { items: [1, 2], seats: 2, presentDeputies: 30 };
  const r = recountRound(selection, round, [{ ref: 1, issued: 30, collected: 30 }],
    [ballots([...times(16, [1, 2]), ...times(14, [2, 1])])]);
  assert.equal(r.items[1].approve, 14);
  assert.deepEqual(r.outcome.elected, [1]);
  assert.equal(r.outcome.vacantSeats, 1);
  const half = recountRound(selection, round, [{ ref: 1, issued: 30, collected: 30 }], [ballots(times(15, [1, 1]))]);
  assert.deepEqual(half.outcome.elected, []);
  assert.equal(half.outcome.vacantSeats, 2);
});

test('a box that collected more than it issued voids the round', () => {
  const round = { items: [1], seats: 1, presentDeputies: 30 };
  const r = recountRound(selection, round, [{ ref: 1, issued: 10, collected: 11 }], [ballots(times(11, [1]))]);
  assert.equal(r.void, true);
  assert.equal(r.outcome, null);
});

test('ballot validity: unknown marks, and more approvals than seats or maxApprovals', () => {
  assert.equal(ballotIsValid(selection, { seats: 2 }, [1, 1, 2]), true);
  assert.equal(ballotIsValid(selection, { seats: 2 }, [1, 1, 1]), false);
  assert.equal(ballotIsValid(selection, { seats: 2 }, [0, 1, 2]), false);
  assert.equal(ballotIsValid(selection, { seats: 2 }, [4, 1, 2]), false);
  assert.equal(ballotIsValid({ ...selection, maxApprovals: 1 }, { seats: 2 }, [1, 1, 2]), false);
  // A further round for 1 seat: two approvals are too many even when the
  // round (breaking round.max_approvals) states a larger limit.
  assert.equal(ballotIsValid(selection, { seats: 1, maxApprovals: 3 }, [1, 1, 2]), false);
  assert.equal(ballotIsValid(selection, { seats: 1, maxApprovals: 1 }, [1, 2, 2]), true);
  assert.equal(ballotIsValid(selection, { seats: 3, maxApprovals: 2 }, [1, 1, 1]), false);
  assert.equal(ballotIsValid({ ...selection, purpose: 'satisfaction' }, { seats: 0 }, [4, 1, 3]), true);
});

test('satisfaction grades: the worked example, with and without exactlyHalfPasses', () => {
  const rules = { purpose: 'satisfaction', entitledDeputies: 30, passBase: 'entitled', exactlyHalfPasses: false };
  const round = { items: [13, 14, 15], seats: 0, presentDeputies: 28 };
  // canteen 20 satisfied; kindergarten 12 + 8 basically; barriers 0 + 15
  const rows = [];
  for (let i = 0; i < 28; i++) rows.push([i < 20 ? 1 : 3, i < 12 ? 1 : i < 20 ? 2 : 3, i < 15 ? 2 : i < 27 ? 3 : 4]);
  const r = recountRound(rules, round, [{ ref: 1, issued: 28, collected: 28 }], [ballots(rows)]);
  const g = Object.fromEntries(r.outcome.grades.map((x) => [x.item, x.grade]));
  assert.deepEqual(g, { 13: 'satisfied', 14: 'basicallySatisfied', 15: 'unsatisfied' });
  const r2 = recountRound({ ...rules, exactlyHalfPasses: true }, round, [{ ref: 1, issued: 28, collected: 28 }], [ballots(rows)]);
  assert.equal(r2.outcome.grades.find((x) => x.item === 15).grade, 'basicallySatisfied');
});

test('a published tally or result that differs is reported item by item', () => {
  const round = { items: [1, 2], seats: 1, presentDeputies: 30 };
  const r = recountRound(selection, round, [{ ref: 1, issued: 30, collected: 30 }], [ballots([...times(20, [1, 2]), ...times(10, [2, 1])])]);
  const tally = { issued: 30, collected: 30, valid: 30, invalid: 0, items: [{ item: 1, approve: 20, oppose: 10, abstain: 0 }, { item: 2, approve: 11, oppose: 19, abstain: 0 }] };
  const result = { elected: [2], tiedAtCutoff: [], vacantSeats: 0, grades: [] };
  const diffs = compareWithPublished(r, tally, result);
  assert.deepEqual(diffs.map((d) => d.what), ['item 2 approve', 'item 2 oppose', 'elected']);
  assert.deepEqual(compareWithPublished(r, { ...tally, items: [tally.items[0], { item: 2, approve: 10, oppose: 20, abstain: 0 }] }, { ...result, elected: [1] }), []);
});
