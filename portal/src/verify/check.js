// What the portal proves in the browser (docs/PORTAL.md, "Verification"):
// a proof bundle (docs/FORMAT.md, "Proof bundle") checked against the
// deployment's published checkpoint key, and the raw entries of a vote
// checked against a signed checkpoint and recounted (docs/RULES.md).
//
// Every function takes the schema `layout` and a `get(path)` that returns
// parsed JSON or text, so node's test runner drives the same code.
import { fromBase64, hex, equal } from './bytes.js';
import { decodeEntry } from './entry.js';
import { verifyAuthorSignature } from './entry.js';
import { leafHash, inclusionError, consistencyError } from './merkle.js';
import { openCheckpoint, parseVerifierKey } from './note.js';
import { checkCosignatures, cosignatureProblem } from './cosignature.js';
import { recountRound, compareWithPublished } from './recount.js';

// The tree size a checkpoint note states (its second line), unverified:
// only to ask the server for a consistency proof from it.
export function noteSize(note) {
  const m = /^[^\n]+\n(0|[1-9][0-9]{0,15})\n/.exec(note || '');
  return m ? Number(m[1]) : null;
}

// The URL of a record's proof bundle; with the checkpoint this browser
// kept, one that also holds the consistency proof from its tree size
// (GET /v1/proof/bundle/R?since=M, docs/API.md).
export function bundlePath(record, remembered) {
  const m = noteSize(remembered);
  return `/v1/proof/bundle/${record}` + (m ? `?since=${m}` : '');
}

// Of two checkpoint notes, the one of the larger tree (the one to keep).
export function newerNote(a, b) {
  if (!a) return b;
  if (!b) return a;
  return noteSize(b) > noteSize(a) ? b : a;
}

// Who may author what (docs/FORMAT.md, "Authorization").
const ROLES = {
  cycleOpened: ['governmentOffice'],
  proposalSubmitted: ['publicIntake', 'governmentOffice'],
  proposalsMerged: ['governmentOffice'],
  candidateListFixed: ['standingCommittee'], votingRulesAdopted: ['standingCommittee'],
  deliberationRecorded: ['secretariat'], roundOpened: ['secretariat'], resultAnnounced: ['presidium'], roundVoided: ['presidium', 'standingCommittee'],
  ballotBoxSealed: ['monitor'], ballotBoxOpened: ['monitor'], tallyCertified: ['monitor'],
  ballotsRecorded: ['teller'],
  implementationPlanned: ['governmentOffice', 'implementingAgency'],
  progressReported: ['implementingAgency'],
  inspectionRecorded: ['inspectionGroup'],
  supervisionNoticeIssued: ['standingCommittee'], adjustmentDecided: ['standingCommittee'], rectificationOrdered: ['standingCommittee'],
  acceptanceRecorded: ['governmentOffice'], operationReviewed: ['governmentOffice'],
  evaluationScored: ['evaluationGroup'],
  rectificationReported: ['implementingAgency', 'governmentOffice'],
};
const SCREENING_ROLES = { governmentReview: ['governmentOffice'], partyCommitteeApproval: ['partyCommittee'], standingCommitteeExamination: ['standingCommittee'] };
const REGISTRY = new Set(['jurisdictionRegistered', 'keyRegistered', 'keyRevoked']);

export function rolesFor(event) {
  const kind = event.$which;
  if (kind === 'screeningDecided') return SCREENING_ROLES[event.screeningDecided.stage] || [];
  return ROLES[kind] || [];
}

// The key registry replayed from registry entries (genesis first).
export class Registry {
  constructor() { this.root = null; this.origin = null; this.formatVersion = 1; this.jurisdictions = new Map(); this.keys = new Map(); }
  apply(e) {
    const ev = e.authored.event;
    if (ev.$which === 'genesis') {
      this.root = hex(ev.genesis.rootKey);
      this.origin = ev.genesis.origin;
      this.formatVersion = ev.genesis.formatVersion;
      this.checkpointKey = ev.genesis.checkpointKey;
      this.deploymentName = ev.genesis.deploymentName;
    } else if (ev.$which === 'jurisdictionRegistered') {
      this.jurisdictions.set(ev.jurisdictionRegistered.code, ev.jurisdictionRegistered);
    } else if (ev.$which === 'keyRegistered') {
      const k = hex(ev.keyRegistered.key);
      const rec = this.keys.get(k) || { grants: [], revoked: false };
      rec.grants.push({ role: ev.keyRegistered.role, jurisdiction: ev.keyRegistered.jurisdiction, holder: ev.keyRegistered.holder });
      this.keys.set(k, rec);
    } else if (ev.$which === 'keyRevoked') {
      const rec = this.keys.get(hex(ev.keyRevoked.key));
      if (rec) rec.revoked = true;
    }
  }
  holder(keyHex) {
    if (keyHex === this.root) return 'root';
    const rec = this.keys.get(keyHex);
    return rec && rec.grants.length ? rec.grants[0].holder : '';
  }
  // null when authorized, else why not.
  authorizationError(e, targetEvent) {
    const a = e.authored;
    const key = hex(a.authorKey);
    const kind = a.event.$which;
    if (kind === 'genesis') return e.index === 0 && key === hex(a.event.genesis.rootKey) ? null : 'genesis is entry 0, signed by its root key';
    if (REGISTRY.has(kind)) return key === this.root && a.jurisdiction === '' ? null : 'registry acts are signed by the root key';
    if (kind === null || kind === undefined) return 'an event kind this verifier does not know';
    const rec = this.keys.get(key);
    if (!rec) return 'the author key is not registered';
    if (rec.revoked) return 'the author key was revoked';
    let roles = rolesFor(a.event);
    let roles2 = null;
    if (kind === 'correction') {
      if (!targetEvent) return 'the corrected entry is not in the bundle';
      if (targetEvent.jurisdiction !== a.jurisdiction) return 'a correction stays in its target\'s jurisdiction';
      const tk = targetEvent.event.$which;
      if (tk === 'genesis' || tk === 'correction' || REGISTRY.has(tk)) return `a ${tk} cannot be corrected`;
      roles = rolesFor(targetEvent.event);
      const rep = a.event.correction.replacement;
      if (rep) {
        if (rep.$which !== tk) return 'a replacement is of the same kind as its target';
        roles2 = rolesFor(rep);
      }
    }
    const active = rec.grants.filter((g) => g.jurisdiction === a.jurisdiction);
    const ok = active.some((g) => roles.includes(g.role)) && (!roles2 || active.some((g) => roles2.includes(g.role)));
    return ok ? null : `the author holds no role allowed for ${kind} in ${a.jurisdiction || 'the deployment'}`;
  }
}

// The key the portal checks checkpoints with: the deployment's pinned key
// (portal-config.json, or ?vkey= from a printed notice), else genesis's.
export async function chooseKey(pinnedKey, genesisKey) {
  if (pinnedKey) return { vkey: pinnedKey, key: await parseVerifierKey(pinnedKey), pinned: true };
  if (!genesisKey) throw new Error('no verifier key: none pinned and genesis names none');
  return { vkey: genesisKey, key: await parseVerifierKey(genesisKey), pinned: false };
}

// Checks a proof bundle (docs/FORMAT.md, "Proof bundle", "Checks").
// `remembered` is the signed checkpoint note this browser kept from an
// earlier visit to this log (or null): the bundle's checkpoint must then
// extend it, shown by the bundle's consistency proof from its size (check
// 7). Returns a report; report.ok is true only when everything held. Never
// throws for bad content: problems are reported.
//
// `witnesses` (or null: none required) is a witnessPolicy() result: the
// checkpoint must then carry valid cosignatures of at least `quorum` of
// them and no line in a witness's name that does not verify
// (report.witnesses says who cosigned and when, also when that fails).
export async function verifyProofBundle(bundle, { layout, pinnedKey, remembered = null, witnesses = null }) {
  const report = { ok: false, witnesses: null, record: bundle?.record, size: null, origin: null, pinned: !!pinnedKey, vkey: pinnedKey || null, keyId: null, entries: [], problems: [], checkpointNote: null, checkpointRecordedAtMs: null, consistentWith: null, rememberedIgnored: null };
  const fail = (msg) => { report.problems.push(msg); return report; };
  if (!bundle || bundle.format !== 'piaojue-proof/2') return fail('not a proof bundle (format piaojue-proof/2)');
  if (!Array.isArray(bundle.entries) || !bundle.entries.length) return fail('the bundle has no entries');
  const decoded = [];
  for (const row of bundle.entries) {
    let bytes, e;
    try {
      bytes = fromBase64(row.entry);
      e = decodeEntry(bytes, layout);
    } catch (err) {
      return fail(`entry ${row.index}: not a well-formed entry (${err.message})`);
    }
    if (e.index !== row.index) return fail(`entry ${row.index}: its bytes say index ${e.index}`);
    decoded.push({ row, bytes, e });
  }
  if (decoded[0].e.index !== 0 || decoded[0].e.kind !== 'genesis') return fail('the first entry is not genesis at index 0');
  const genesis = decoded[0].e.authored.event.genesis;
  let chosen;
  try {
    chosen = await chooseKey(pinnedKey, genesis.checkpointKey);
  } catch (err) {
    return fail('the verifier key: ' + err.message);
  }
  report.vkey = chosen.vkey;
  report.keyId = chosen.key.keyIdHex;
  report.pinned = chosen.pinned;
  if (chosen.pinned && genesis.checkpointKey && genesis.checkpointKey !== pinnedKey) {
    return fail('genesis names a different checkpoint key than the published one');
  }
  let cp;
  try {
    cp = await openCheckpoint(bundle.checkpoint, chosen.key);
  } catch (err) {
    return fail('checkpoint: ' + err.message);
  }
  report.size = cp.size;
  report.origin = cp.origin;
  if (cp.origin !== genesis.origin) return fail(`the checkpoint origin ${cp.origin} is not the log's origin ${genesis.origin}`);
  report.checkpointNote = bundle.checkpoint;
  // The witnesses' word on this very checkpoint (docs/PORTAL.md,
  // "Witnesses"): a quorum of the configured keys cosigned its body.
  if (witnesses && witnesses.witnesses.length) {
    let w;
    try {
      w = await checkCosignatures(bundle.checkpoint, witnesses.witnesses, witnesses.quorum);
    } catch (err) {
      return fail('witnesses: ' + err.message);
    }
    report.witnesses = { ...w, source: witnesses.source };
    if (!w.ok) return fail(cosignatureProblem(w));
  }
  // Check 6: "last" is the checkpoint's last entry, proven in its tree; its
  // recording time dates the checkpoint.
  const lastRow = bundle.last;
  if (!lastRow || typeof lastRow !== 'object' || !Number.isSafeInteger(lastRow.index)) return fail('the bundle has no "last" entry (piaojue-proof/2)');
  if (lastRow.index !== cp.size - 1) return fail(`"last" is entry ${lastRow.index}, not the checkpoint's last entry ${cp.size - 1}`);
  try {
    const bytes = fromBase64(lastRow.entry);
    const e = decodeEntry(bytes, layout);
    if (e.index !== lastRow.index) return fail(`entry ${lastRow.index} ("last"): its bytes say index ${e.index}`);
    let proof;
    try { proof = (lastRow.proof || []).map(fromBase64); } catch { proof = null; }
    const why = proof ? await inclusionError(e.index, cp.size, await leafHash(bytes), proof, cp.root) : 'malformed proof';
    if (why) return fail(`entry ${lastRow.index} ("last"): inclusion: ${why}`);
    report.checkpointRecordedAtMs = Number(e.recordedAtMs);
  } catch (err) {
    return fail(`entry ${lastRow.index} ("last"): not a well-formed entry (${err.message})`);
  }
  // Check 7: the checkpoint this browser kept from an earlier visit. The log
  // only grows: the same size must have the same root, a larger one must
  // extend it (the bundle's consistency proof from that size), and a smaller
  // one is an older state than this browser has already seen.
  if (!Array.isArray(bundle.consistency)) return fail('"consistency" is not a list (piaojue-proof/2)');
  if (remembered) {
    let kept = null;
    try {
      kept = await openCheckpoint(remembered, chosen.key);
      if (kept.origin !== cp.origin) throw new Error(`it is of another log (${kept.origin})`);
    } catch (err) {
      // Not a checkpoint of this log under this key (the key changed, or the
      // browser's storage is damaged): nothing to compare with.
      report.rememberedIgnored = err.message;
      kept = null;
    }
    if (kept) {
      const m = kept.size;
      if (m > cp.size) {
        return fail(`consistency: this browser already saw a signed checkpoint of tree size ${m}; the server now shows the older tree size ${cp.size} (an earlier state of the log, or another log under the same key)`);
      }
      if (m === cp.size) {
        if (!equal(kept.root, cp.root)) return fail(`consistency: the log forked: tree size ${m} has another root than the one this browser saw earlier`);
      } else {
        const entry = bundle.consistency.find((c) => c && c.oldSize === m);
        if (!entry) return fail(`consistency: the bundle has no consistency proof from tree size ${m}, the checkpoint this browser saw earlier, so it cannot show that the log only grew since`);
        let proof;
        try { proof = (entry.proof || []).map(fromBase64); } catch { return fail(`consistency: the proof from tree size ${m} is malformed`); }
        const why = await consistencyError(m, cp.size, kept.root, cp.root, proof);
        if (why) return fail(`consistency: the checkpoint of tree size ${cp.size} does not extend the one of tree size ${m} this browser saw earlier (${why}): the log was rewritten or forked`);
      }
      report.consistentWith = m;
    }
  }
  const registry = new Registry();
  const byIndex = new Map();
  let last = -1;
  for (const { row, bytes, e } of decoded) {
    const r = { index: e.index, kind: e.kind, jurisdiction: e.authored.jurisdiction, recordedAtMs: e.recordedAtMs, included: false, signed: false, authorized: false, holder: '', problem: null };
    report.entries.push(r);
    if (e.index <= last) { r.problem = 'entries out of order'; return fail(`entry ${e.index}: ${r.problem}`); }
    last = e.index;
    if (e.index >= cp.size) { r.problem = 'beyond the checkpoint'; return fail(`entry ${e.index}: ${r.problem}`); }
    let proof;
    try { proof = (row.proof || []).map(fromBase64); } catch { proof = null; }
    const why = proof ? await inclusionError(e.index, cp.size, await leafHash(bytes), proof, cp.root) : 'malformed proof';
    if (why) { r.problem = 'inclusion: ' + why; return fail(`entry ${e.index}: ${r.problem}`); }
    r.included = true;
    const version = e.index === 0 ? e.authored.event.genesis.formatVersion : registry.formatVersion;
    if (!(await verifyAuthorSignature(e, version))) { r.problem = "the author's signature does not verify"; return fail(`entry ${e.index}: ${r.problem}`); }
    r.signed = true;
    // The clock rule (docs/FORMAT.md, "Authored events"): no author signs
    // more than 5 minutes after the log recorded the entry.
    if (Number(e.authored.signedAtMs) > Number(e.recordedAtMs) + 300000) {
      r.problem = 'signed more than 5 minutes after it was recorded'; return fail(`entry ${e.index}: ${r.problem}`);
    }
    if (version >= 2 && Number(e.authored.signedAtMs) < Number(e.recordedAtMs) - 2592000000) {
      r.problem = 'signed more than 30 days before it was recorded'; return fail(`entry ${e.index}: ${r.problem}`);
    }
    if (version >= 2 && e.authored.origin !== undefined && e.authored.origin !== genesis.origin) {
      r.problem = 'the event names another origin'; return fail(`entry ${e.index}: ${r.problem}`);
    }
    const target = e.kind === 'correction' ? byIndex.get(e.authored.event.correction.target) : null;
    const authz = registry.authorizationError(e, target);
    if (authz) { r.problem = 'authorization: ' + authz; return fail(`entry ${e.index}: ${r.problem}`); }
    r.authorized = true;
    r.holder = registry.holder(hex(e.authored.authorKey));
    registry.apply(e);
    byIndex.set(e.index, e.authored);
    r.event = e.authored.event;
  }
  if (!byIndex.has(bundle.record)) return fail(`the record's own entry ${bundle.record} is not in the bundle`);
  report.ok = true;
  return report;
}

// Recounts one round from its raw entries. `round` is the tally view's
// round (it names the records: the round and its boxes); `voteRef` the
// votingRulesAdopted entry. The entries come from the proof bundles of the
// vote, the round and every box (/v1/proof/bundle/R: paths that a static
// publication can serve as files), each verified in full with
// verifyProofBundle (checkpoint under the published key, inclusion,
// signatures, authorization) before a single ballot is read from them.
// Returns {ok, size, recount, diffs, tally, result, entriesChecked}; throws
// Error with the first failure.
export async function recountFromLog(voteRef, round, { get, layout, pinnedKey, remembered = null, witnesses = null }) {
  const events = new Map();
  const sizes = [];
  // Each bundle must extend the newest checkpoint seen so far (the one this
  // browser kept, then those of the bundles before it).
  let kept = remembered;
  let vkey = null;
  let witnessed = null;
  for (const record of [voteRef, round.ref, ...round.boxes.map((b) => b.ref)]) {
    const bundle = await get(bundlePath(record, kept));
    const report = await verifyProofBundle(bundle, { layout, pinnedKey, remembered: kept, witnesses });
    if (!report.ok) {
      const err = new Error(report.problems.join('; '));
      err.witnesses = report.witnesses;
      throw err;
    }
    // The witnesses of the smallest checkpoint used (every one met the quorum).
    if (report.witnesses && (!witnessed || report.size <= witnessed.size)) witnessed = { ...report.witnesses, size: report.size };
    kept = report.rememberedIgnored ? report.checkpointNote : newerNote(kept, report.checkpointNote);
    vkey = report.vkey;
    sizes.push(report.size);
    for (const e of report.entries) events.set(e.index, e.event);
  }
  const ev = (i, kind) => {
    const e = events.get(i);
    if (!e || e.$which !== kind) throw new Error(`entry ${i} is not a proven ${kind}`);
    return e[kind];
  };
  const rules = ev(voteRef, 'votingRulesAdopted');
  const opened = ev(round.ref, 'roundOpened');
  if (opened.vote !== voteRef) throw new Error(`round ${round.ref} belongs to vote ${opened.vote}, not ${voteRef}`);
  const boxes = [];
  const parts = [];
  for (const b of round.boxes) {
    const sealed = ev(b.ref, 'ballotBoxSealed');
    if (sealed.round !== round.ref) throw new Error(`box ${b.ref} is not of round ${round.ref}`);
    if (!b.opened) continue;
    const o = ev(b.opened, 'ballotBoxOpened');
    if (o.box !== b.ref) throw new Error(`entry ${b.opened} opens another box`);
    boxes.push({ ref: b.ref, issued: o.issued, collected: o.collected });
    for (const p of b.parts) {
      const part = ev(p, 'ballotsRecorded');
      if (part.box !== b.ref) throw new Error(`entry ${p} records ballots of another box`);
      parts.push(part);
    }
  }
  const recount = recountRound(rules, opened, boxes, parts);
  // A round declared void (format 2's roundVoided, in the round's bundle)
  // has no result, whatever its boxes hold.
  for (const e of events.values()) {
    if (e && e.$which === 'roundVoided' && e.roundVoided.round === round.ref) {
      recount.void = true;
      recount.voidReason = e.roundVoided.reason;
      recount.outcome = null;
    }
  }
  const tally = round.certified ? ev(round.certified.entry, 'tallyCertified') : null;
  const result = round.announced ? ev(round.announced.entry, 'resultAnnounced') : null;
  if (tally && tally.round !== round.ref) throw new Error('the certified tally is of another round');
  if (result && result.round !== round.ref) throw new Error('the announced result is of another round');
  const diffs = compareWithPublished(recount, tally, result);
  const checked = 2 + round.boxes.reduce((a, b) => a + 1 + (b.opened ? 1 : 0) + b.parts.length, 0) + (tally ? 1 : 0) + (result ? 1 : 0);
  return { ok: diffs.length === 0, size: Math.min(...sizes), recount, diffs, tally, result, entriesChecked: checked, checkpointNote: kept, vkey, witnesses: witnessed };
}
