// A small reader of canonical Cap'n Proto messages (docs/FORMAT.md,
// "Canonical Cap'n Proto"), written for the portal's in-browser checks: one
// segment without a segment table, the root struct pointer first, objects in
// pre-order with no gaps, struct sections truncated, padding zero.
//
// checkCanonical() walks the whole message and refuses anything else;
// decodeStruct() turns a struct into plain JavaScript following a layout
// generated from ledger/schema/piaojue.capnp (scripts/gen-schema.mjs).

export class CapnpError extends Error {}

const MAX_BYTES = 65535;
const MAX_DEPTH = 32;

function word(view, w) {
  return view.getBigUint64(w * 8, true);
}

// Decodes a pointer word at word index `at`: {kind, target, ...}.
function pointer(view, at, nwords) {
  const lo = view.getUint32(at * 8, true);
  const hi = view.getUint32(at * 8 + 4, true);
  if (lo === 0 && hi === 0) return null;
  const kind = lo & 3;
  const offset = (lo | 0) >> 2; // signed 30-bit
  const target = at + 1 + offset;
  if (kind === 0) {
    const data = hi & 0xffff;
    const ptrs = hi >>> 16;
    if (target < 0 || target + data + ptrs > nwords) throw new CapnpError('struct pointer out of bounds');
    return { kind: 'struct', target, data, ptrs, offset };
  }
  if (kind === 1) {
    const size = hi & 7;
    const count = hi >>> 3;
    return { kind: 'list', target, size, count, offset };
  }
  throw new CapnpError(kind === 2 ? 'far pointers are not canonical' : 'unknown pointer kind');
}

const ELEMENT_BITS = [0, 1, 8, 16, 32, 64, 64];

function listWords(p) {
  if (p.size === 7) return p.count; // composite: word count, tag word extra
  return Math.ceil((p.count * ELEMENT_BITS[p.size]) / 64);
}

// Walks the message in canonical pre-order. Throws CapnpError when the bytes
// are not the canonical form of *some* message (layout only: that the fields
// mean what the schema says is the decoder's job).
export function checkCanonical(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new CapnpError('not bytes');
  if (bytes.length === 0 || bytes.length % 8 !== 0) throw new CapnpError('length is zero or not a multiple of 8');
  if (bytes.length > MAX_BYTES) throw new CapnpError('message larger than 65535 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nwords = bytes.length / 8;
  let cursor = 1;
  let budget = nwords + 8;

  function visitPtr(at, depth) {
    if (depth > MAX_DEPTH) throw new CapnpError('nesting too deep');
    const p = pointer(view, at, nwords);
    if (p === null) return;
    if (p.kind === 'struct') {
      if (p.data === 0 && p.ptrs === 0) {
        // Cap'n Proto's canonical encoding writes offset -1, nothing else.
        if (p.offset !== -1) throw new CapnpError('empty struct not at offset -1');
        return;
      }
      if (p.target !== cursor) throw new CapnpError(`object at word ${p.target}, expected ${cursor} (not pre-order)`);
      cursor += p.data + p.ptrs;
      budget -= p.data + p.ptrs;
      if (budget < 0) throw new CapnpError('traversal limit exceeded');
      visitStructBody(p.target, p.data, p.ptrs, depth);
      return;
    }
    // list
    if (p.target !== cursor) throw new CapnpError(`list at word ${p.target}, expected ${cursor} (not pre-order)`);
    if (p.size === 7) {
      if (p.target + 1 > nwords) throw new CapnpError('list out of bounds');
      const tag = pointer(view, p.target, nwords + 1 + p.count) ;
      if (tag === null || tag.kind !== 'struct') throw new CapnpError('bad composite list tag');
      const n = (view.getUint32(p.target * 8, true) | 0) >> 2;
      const d = tag.data, ps = tag.ptrs;
      if (n < 0 || n * (d + ps) !== p.count) throw new CapnpError('composite list size mismatch');
      if (p.target + 1 + p.count > nwords) throw new CapnpError('list out of bounds');
      cursor += 1 + p.count;
      budget -= 1 + p.count;
      if (budget < 0) throw new CapnpError('traversal limit exceeded');
      const base = p.target + 1;
      // The element size is the largest truncated element size.
      if (n > 0 && d > 0) {
        let any = false;
        for (let i = 0; i < n; i++) if (word(view, base + i * (d + ps) + d - 1) !== 0n) any = true;
        if (!any) throw new CapnpError('composite list data not truncated');
      }
      if (n > 0 && ps > 0) {
        let any = false;
        for (let i = 0; i < n; i++) if (word(view, base + i * (d + ps) + d + ps - 1) !== 0n) any = true;
        if (!any) throw new CapnpError('composite list pointers not truncated');
      }
      for (let i = 0; i < n; i++) {
        const el = base + i * (d + ps);
        for (let j = 0; j < ps; j++) visitPtr(el + d + j, depth + 1);
      }
      return;
    }
    const words = listWords(p);
    if (p.target + words > nwords) throw new CapnpError('list out of bounds');
    cursor += words;
    budget -= words;
    if (budget < 0) throw new CapnpError('traversal limit exceeded');
    if (p.size === 6) {
      for (let i = 0; i < p.count; i++) visitPtr(p.target + i, depth + 1);
      return;
    }
    // Padding bits after the last element must be zero.
    const usedBits = p.count * ELEMENT_BITS[p.size];
    const start = p.target * 8;
    for (let bit = usedBits; bit < words * 64; bit++) {
      if ((bytes[start + (bit >> 3)] >> (bit & 7)) & 1) throw new CapnpError('non-zero list padding');
    }
  }

  function visitStructBody(at, d, ps, depth) {
    if (d > 0 && word(view, at + d - 1) === 0n) throw new CapnpError('struct data section not truncated');
    if (ps > 0 && word(view, at + d + ps - 1) === 0n) throw new CapnpError('struct pointer section not truncated');
    for (let j = 0; j < ps; j++) visitPtr(at + d + j, depth + 1);
  }

  visitPtr(0, 0);
  if (cursor !== nwords) throw new CapnpError(`message has ${nwords - cursor} unused words`);
}

// ---------------------------------------------------------------------------
// Decoding with a layout.

const PRIMITIVE_BITS = {
  Bool: 1, Int8: 8, UInt8: 8, Int16: 16, UInt16: 16, Int32: 32, UInt32: 32,
  Int64: 64, UInt64: 64, Float32: 32, Float64: 64,
};
const LIST_SIZE_FOR_BITS = { 1: 1, 8: 2, 16: 3, 32: 4, 64: 5 };

function int64(v) {
  return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v.toString();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// docs/FORMAT.md, "Text fields": no C0 control (NUL, TAB, CR, ...) but the
// line feed in a multi-line (`$multiline`) field, no DEL or C1 control, no
// U+2028/U+2029, no bidirectional embedding, override or isolate.
function forbidden(cp, multiline) {
  if (cp < 0x20) return !(cp === 0x0a && multiline);
  return (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029 ||
    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

function describe(cp) {
  const u = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  if (cp === 0x0a) return 'a line break (U+000A), but this field is a single line';
  if (cp === 0x0d) return 'a carriage return (U+000D); line breaks are a single U+000A';
  if (cp === 0) return 'a NUL character (U+0000)';
  if (cp >= 0x202a) return 'the bidirectional control ' + u;
  return 'the control character ' + u;
}

// Why a decoded text breaks the text rule ("contains ... at byte N", the
// byte offset in its UTF-8), or null.
export function textFault(text, multiline) {
  let at = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    if (forbidden(cp, multiline)) return `contains ${describe(cp)} at byte ${at}`;
    at += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return null;
}

export class Reader {
  constructor(bytes, layout) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.nwords = bytes.length / 8;
    this.layout = layout;
    this.path = []; // the field being read, for error messages
  }

  readPrimitive(type, byteBase, dataWords, bit) {
    const bits = PRIMITIVE_BITS[type];
    if (bit + bits > dataWords * 64) return type === 'Int64' || type === 'UInt64' ? 0 : (type === 'Bool' ? false : 0);
    const v = this.view;
    const o = byteBase + (bit >> 3);
    switch (type) {
      case 'Bool': return ((this.bytes[o] >> (bit & 7)) & 1) === 1;
      case 'Int8': return v.getInt8(o);
      case 'UInt8': return v.getUint8(o);
      case 'Int16': return v.getInt16(o, true);
      case 'UInt16': return v.getUint16(o, true);
      case 'Int32': return v.getInt32(o, true);
      case 'UInt32': return v.getUint32(o, true);
      case 'Int64': return int64(v.getBigInt64(o, true));
      case 'UInt64': return int64(v.getBigUint64(o, true));
      case 'Float32': return v.getFloat32(o, true);
      case 'Float64': return v.getFloat64(o, true);
    }
    throw new CapnpError('unknown primitive ' + type);
  }

  // The struct a pointer at word `at` names, as {base (word), data, ptrs} or null.
  structAt(at) {
    const p = pointer(this.view, at, this.nwords);
    if (p === null) return null;
    if (p.kind !== 'struct') throw new CapnpError('expected a struct pointer');
    return { base: p.target, data: p.data, ptrs: p.ptrs };
  }

  decodeRoot(structName) {
    const s = this.structAt(0);
    return this.decodeStruct(structName, s ?? { base: 0, data: 0, ptrs: 0 });
  }

  decodeStruct(name, s) {
    const layout = this.layout.structs[name];
    if (!layout) throw new CapnpError('unknown struct ' + name);
    const out = {};
    let tag = null;
    if (layout.unionTagBit !== undefined) tag = this.readPrimitive('UInt16', s.base * 8, s.data, layout.unionTagBit);
    // An active member this schema does not define occupies what it cannot
    // tell: rule 3 is then not applied to this struct (the event is refused
    // as unauthorized instead).
    if (layout.unionTagBit === undefined || layout.fields.some((f) => f.tag === tag)) {
      this.checkUnoccupied(layout, s, tag);
    }
    let sawMember = false;
    for (const f of layout.fields) {
      if (f.tag !== undefined) {
        if (f.tag !== tag) continue;
        sawMember = true;
        out.$which = f.name;
      }
      this.path.push(f.name);
      out[f.name] = this.readField(f, s);
      this.path.pop();
    }
    if (layout.unionTagBit !== undefined && !sawMember) {
      out.$which = null;
      out.$unknownTag = tag;
    }
    return out;
  }

  // docs/FORMAT.md, "Canonical Cap'n Proto", rule 3: every data bit and
  // pointer that neither a non-union field, the union's tag nor the active
  // member occupies is zero (this covers holes, an inactive member's bits or
  // pointer, and anything beyond the sections the schema gives the struct).
  checkUnoccupied(layout, s, tag) {
    const occupied = new Uint8Array(s.data * 8);
    const mark = (bit, n) => {
      for (let b = bit; b < bit + n && (b >> 3) < occupied.length; b++) occupied[b >> 3] |= 1 << (b & 7);
    };
    const pointers = new Set();
    if (layout.unionTagBit !== undefined) mark(layout.unionTagBit, 16);
    for (const f of layout.fields) {
      if (f.tag !== undefined && f.tag !== tag) continue;
      if (f.ptr !== undefined) pointers.add(f.ptr);
      else if (f.bit !== undefined && f.type !== 'Void') mark(f.bit, PRIMITIVE_BITS[f.type] ?? 16);
    }
    const where = this.where() ? `field ${this.where()}` : 'the root struct';
    const rule = ' (docs/FORMAT.md, "Canonical Cap\'n Proto", rule 3)';
    for (let i = 0; i < occupied.length; i++) {
      if ((this.bytes[s.base * 8 + i] & ~occupied[i]) === 0) continue;
      const w = i >> 3;
      let lo = -1, hi = -1;
      for (let b = 0; b < 64; b++) {
        const j = w * 8 + (b >> 3);
        if ((this.bytes[s.base * 8 + j] & ~occupied[j]) & (1 << (b & 7))) {
          if (lo < 0) lo = b;
          hi = b;
        }
      }
      throw new CapnpError(`${where}: bits ${lo}-${hi} of data word ${w} are not zero, but no field of the active union member occupies them${rule}`);
    }
    for (let p = 0; p < s.ptrs; p++) {
      if (pointers.has(p)) continue;
      const at = (s.base + s.data + p) * 8;
      if (this.view.getUint32(at, true) !== 0 || this.view.getUint32(at + 4, true) !== 0) {
        throw new CapnpError(`${where}: pointer ${p} is not null, but no field of the active union member occupies it${rule}`);
      }
    }
  }

  readField(f, s) {
    const t = f.type;
    if (t === 'Void') return null;
    if (f.bit !== undefined) {
      if (PRIMITIVE_BITS[t]) return this.readPrimitive(t, s.base * 8, s.data, f.bit);
      // an enum
      const n = this.readPrimitive('UInt16', s.base * 8, s.data, f.bit);
      const names = this.layout.enums[t];
      if (!names) throw new CapnpError('unknown type ' + t);
      return names[n] ?? `unknown(${n})`;
    }
    const at = f.ptr < s.ptrs ? s.base + s.data + f.ptr : -1;
    return this.readPointerValue(t, at, !!f.multiline);
  }

  readPointerValue(t, at, multiline = false) {
    const isNull = at < 0 || pointer(this.view, at, this.nwords) === null;
    if (t === 'Text') return isNull ? '' : this.readText(at, multiline);
    if (t === 'Data') return isNull ? new Uint8Array(0) : this.readBytes(at);
    let m;
    if ((m = /^List\((\w+)\)$/.exec(t))) return isNull ? [] : this.readList(m[1], at, multiline);
    if (this.layout.structs[t]) {
      if (isNull) return null;
      return this.decodeStruct(t, this.structAt(at));
    }
    throw new CapnpError('unsupported pointer type ' + t);
  }

  listAt(at) {
    const p = pointer(this.view, at, this.nwords);
    if (p.kind !== 'list') throw new CapnpError('expected a list pointer');
    return p;
  }

  readBytes(at) {
    const p = this.listAt(at);
    if (p.size !== 2) throw new CapnpError('expected a byte list');
    if (p.target * 8 + p.count > this.bytes.length) throw new CapnpError('list out of bounds');
    return this.bytes.subarray(p.target * 8, p.target * 8 + p.count);
  }

  readText(at, multiline) {
    const b = this.readBytes(at);
    if (b.length === 0 || b[b.length - 1] !== 0) throw new CapnpError('text without NUL terminator');
    let text;
    try {
      text = utf8.decode(b.subarray(0, b.length - 1));
    } catch {
      throw new CapnpError(`${this.where()}: not valid UTF-8`);
    }
    const fault = textFault(text, multiline);
    if (fault) throw new CapnpError(`${this.where()}: ${fault}`);
    return text;
  }

  where() {
    return this.path.join('.').replace(/\.\[/g, '[');
  }

  readList(elem, at, multiline = false) {
    const p = this.listAt(at);
    const out = [];
    if (PRIMITIVE_BITS[elem] || this.layout.enums[elem]) {
      const bits = PRIMITIVE_BITS[elem] ?? 16;
      if (p.size !== LIST_SIZE_FOR_BITS[bits]) throw new CapnpError('list element size mismatch');
      if (p.target + Math.ceil((p.count * bits) / 64) > this.nwords) throw new CapnpError('list out of bounds');
      for (let i = 0; i < p.count; i++) {
        if (PRIMITIVE_BITS[elem]) out.push(this.readPrimitive(elem, p.target * 8, Infinity, i * bits));
        else out.push(this.layout.enums[elem][this.view.getUint16(p.target * 8 + i * 2, true)]);
      }
      return out;
    }
    if (elem === 'Text' || elem === 'Data') {
      if (p.size !== 6) throw new CapnpError('expected a pointer list');
      for (let i = 0; i < p.count; i++) {
        this.path.push(`[${i}]`);
        out.push(this.readPointerValue(elem, p.target + i, multiline));
        this.path.pop();
      }
      return out;
    }
    if (this.layout.structs[elem]) {
      if (p.size !== 7) throw new CapnpError('expected a composite list');
      const n = (this.view.getUint32(p.target * 8, true) | 0) >> 2;
      const hi = this.view.getUint32(p.target * 8 + 4, true);
      const d = hi & 0xffff, ps = hi >>> 16;
      for (let i = 0; i < n; i++) {
        this.path.push(`[${i}]`);
        out.push(this.decodeStruct(elem, { base: p.target + 1 + i * (d + ps), data: d, ptrs: ps }));
        this.path.pop();
      }
      return out;
    }
    throw new CapnpError('unsupported list element ' + elem);
  }
}

// Checks `bytes` are canonical, then decodes the root as `structName`.
export function decodeCanonical(bytes, structName, layout) {
  checkCanonical(bytes);
  return new Reader(bytes, layout).decodeRoot(structName);
}
