// kit.js — reading bascule kit containers in the browser (docs/kit-format.md).
//
// Everything here is pure logic over bytes and WebCrypto: no DOM. Errors carry the French
// sentence the page shows, because the viewer has no other language and the person
// reading it may be alone at night with no one to translate a code.

const MAGIC = "BSCLKIT1";
const LENGTH_BYTES = 4;
const SIGNATURE_BYTES = 64;
const TAG_BYTES = 16;
const MAX_HEADER = 64 * 1024;
const FORMAT = "bascule-kit";
const VERSION = 1;
const KDF = "PBKDF2-HMAC-SHA256";
const MIN_ITERATIONS = 600000;
const CONTENT_SCHEMA = "bascule-kit-content/1";
const DELTA_SCHEMA = "bascule-kit-delta/1";
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** A refusal to show a kit; `kind` lets the page tell a bad passphrase from a bad file. */
class KitError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind; // "refused" | "passphrase" | "browser"
  }
}

/** `label` is the start of the sentence: "Kit refusé", "Mise à jour n°2 refusée". */
function refused(label, reason) {
  return new KitError("refused", `${label} : ${reason}`);
}

const utf8 = new TextEncoder();

function base64ToBytes(text) {
  // Uint8Array.fromBase64 is fast on 20 MB; atob is the fallback for older browsers.
  if (typeof Uint8Array.fromBase64 === "function") {
    return Uint8Array.fromBase64(text.trim());
  }
  const binary = atob(text.trim());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** First 16 hex digits of SHA-256 of the raw public key, as the header's `signer`. */
async function fingerprintOf(rawKey) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", rawKey));
  return hex(digest).slice(0, 16);
}

/** Fail early, with words, when the browser lacks what the kit needs. */
function checkBrowser() {
  const missing = [];
  if (!globalThis.crypto || !crypto.subtle) missing.push("WebCrypto");
  if (typeof DecompressionStream !== "function") missing.push("DecompressionStream");
  if (missing.length) {
    throw new KitError(
      "browser",
      `Ce navigateur ne peut pas ouvrir le kit (il manque : ${missing.join(", ")}). ` +
        "Utilisez une version récente de Edge, Chrome ou Firefox.",
    );
  }
}

async function importGroupKey(rawKey) {
  try {
    return await crypto.subtle.importKey("raw", rawKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (error) {
    if (error.name !== "NotSupportedError") {
      throw refused("Kit refusé", "la clé du groupe inscrite dans ce fichier est invalide");
    }
    throw new KitError(
      "browser",
      "Ce navigateur ne sait pas vérifier les signatures Ed25519 : utilisez une version " +
        "récente de Edge, Chrome ou Firefox.",
    );
  }
}

/** Check the Ed25519 signature over every byte but the last 64, before reading anything. */
async function verifySignature(bytes, groupKey, groupFingerprint, label) {
  if (bytes.length < MAGIC.length + LENGTH_BYTES + SIGNATURE_BYTES) {
    throw refused(label, "fichier tronqué — ce n'est pas un kit bascule complet");
  }
  const cut = bytes.length - SIGNATURE_BYTES;
  let valid = false;
  try {
    valid = await crypto.subtle.verify(
      { name: "Ed25519" },
      groupKey,
      bytes.subarray(cut),
      bytes.subarray(0, cut),
    );
  } catch (_malformed) {
    valid = false;
  }
  if (!valid) throw signatureRefusal(bytes, groupFingerprint, label);
}

/** The message for a signature that does not verify: altered, or signed by another key. */
function signatureRefusal(bytes, groupFingerprint, label) {
  // The header is read here only to name the foreign signer; nothing else is trusted.
  let signer = null;
  try {
    signer = parseContainer(bytes, label).header.signer;
  } catch (_ignored) {
    signer = null;
  }
  if (typeof signer === "string" && /^[0-9a-f]{16}$/.test(signer) && signer !== groupFingerprint) {
    return refused(
      label,
      `signé par une autre clé (${signer}) que celle du groupe (${groupFingerprint}) — ` +
        "ce fichier ne vient pas du groupe",
    );
  }
  return refused(label, "signature invalide — le fichier a été modifié ou ne vient pas du groupe");
}

const HEADER_FIELDS = {
  format: "string",
  version: "integer",
  type: "string",
  site: "string",
  seq: "integer",
  created_at: "string",
  signer: "string",
  nonce: "string",
  slots: "array",
};

function hasType(value, type) {
  if (type === "integer") return Number.isInteger(value);
  if (type === "array") return Array.isArray(value);
  return typeof value === type;
}

/** Split a container into header and parts, checking the layout (not the signature). */
function parseContainer(bytes, label) {
  const magic = String.fromCharCode(...bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) throw refused(label, "ce n'est pas un kit bascule (en-tête inconnu)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(MAGIC.length, false);
  const start = MAGIC.length + LENGTH_BYTES;
  if (length > MAX_HEADER || start + length + TAG_BYTES + SIGNATURE_BYTES > bytes.length) {
    throw refused(label, "fichier tronqué ou corrompu");
  }
  let header;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, start + length)),
    );
  } catch (_error) {
    throw refused(label, "en-tête illisible");
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw refused(label, "en-tête illisible");
  }
  for (const [field, type] of Object.entries(HEADER_FIELDS)) {
    if (!hasType(header[field], type))
      throw refused(label, `champ d'en-tête « ${field} » invalide`);
  }
  if (header.format !== FORMAT || header.version !== VERSION) {
    throw refused(label, `format ${header.format} version ${header.version} inconnu de ce lecteur`);
  }
  if (header.type !== "kit" && header.type !== "delta") {
    throw refused(label, `type de fichier « ${header.type} » inconnu`);
  }
  return { bytes, header, prefixLength: start + length, createdAt: parseInstant(header, label) };
}

function parseInstant(header, label) {
  const found = INSTANT.exec(header.created_at);
  if (!found) throw refused(label, "date de création illisible");
  const [, y, mo, d, h, mi, s, fraction] = found;
  const millis = Number((fraction || "0").padEnd(3, "0").slice(0, 3));
  return new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, millis));
}

/**
 * Check that files form one chain: a full kit of one site, then deltas each starting at
 * the sequence number the previous file reached.
 */
function checkChain(files) {
  const [first, ...deltas] = files;
  if (first.header.type !== "kit") {
    throw refused(first.label, "le premier fichier est une mise à jour, pas un kit complet");
  }
  let previous = first;
  for (const file of deltas) {
    const header = file.header;
    if (header.type !== "delta") throw refused(file.label, "un kit complet ne peut suivre un kit");
    if (header.site !== first.header.site) {
      throw refused(file.label, `il concerne le site ${header.site}, pas ${first.header.site}`);
    }
    if (header.base_seq !== previous.header.seq) {
      throw refused(
        file.label,
        `il part de la séquence ${header.base_seq} alors que les données précédentes sont ` +
          `à la séquence ${previous.header.seq} — une mise à jour manque`,
      );
    }
    previous = file;
  }
}

function slotFields(slot, label) {
  const ok =
    slot !== null &&
    typeof slot === "object" &&
    typeof slot.name === "string" &&
    slot.kdf === KDF &&
    Number.isInteger(slot.iterations) &&
    slot.iterations >= MIN_ITERATIONS &&
    ["salt", "nonce", "wrapped_key"].every((field) => typeof slot[field] === "string");
  if (!ok) throw refused(label, "emplacement de clé mal formé");
  try {
    return {
      name: slot.name,
      iterations: slot.iterations,
      salt: base64ToBytes(slot.salt),
      nonce: base64ToBytes(slot.nonce),
      wrapped: base64ToBytes(slot.wrapped_key),
    };
  } catch (_error) {
    throw refused(label, "emplacement de clé mal formé");
  }
}

/**
 * Derives key-encryption keys, once per (salt, iterations): the key store keeps one salt
 * per slot, so a kit and all its deltas share them and PBKDF2 (the slow part) runs once.
 */
class KeyDeriver {
  constructor(passphrase) {
    this.passphrase = utf8.encode(passphrase);
    this.keys = new Map();
  }

  kek(slot) {
    const id = `${slot.iterations}:${hex(slot.salt)}`;
    if (!this.keys.has(id)) this.keys.set(id, this.derive(slot));
    return this.keys.get(id);
  }

  async derive(slot) {
    const base = await crypto.subtle.importKey("raw", this.passphrase, "PBKDF2", false, [
      "deriveKey",
    ]);
    return crypto.subtle.deriveKey(
      { name: "PBKDF2", hash: "SHA-256", salt: slot.salt, iterations: slot.iterations },
      base,
      { name: "AES-GCM", length: 256 },
      false,
      ["decrypt"],
    );
  }
}

/** The file's data key, from the first slot the passphrase opens. */
async function unwrapDataKey(file, deriver) {
  const slots = file.header.slots.map((slot) => slotFields(slot, file.label));
  // Start every derivation at once: WebCrypto runs them in parallel, so the group
  // passphrase (second slot) costs no more than the site one.
  const keks = slots.map((slot) => deriver.kek(slot));
  for (let i = 0; i < slots.length; i += 1) {
    const slot = slots[i];
    try {
      const raw = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: slot.nonce,
          additionalData: utf8.encode(`bascule-kit-slot:${slot.name}`),
        },
        await keks[i],
        slot.wrapped,
      );
      return {
        slot: slot.name,
        key: await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["decrypt"]),
      };
    } catch (_wrongPassphrase) {
      // AES-GCM only says "does not authenticate": try the next slot.
    }
  }
  const message =
    file.index === 0
      ? "Phrase secrète incorrecte."
      : `Phrase secrète incorrecte pour ${file.title} : elle a peut-être été ` +
        "changée depuis le kit complet. Essayez la phrase d'urgence du groupe.";
  throw new KitError("passphrase", message);
}

/**
 * Gunzip and decode in one streaming pass: decoding chunk by chunk as they come out of
 * the decompressor avoids copying tens of MB into one buffer first (measured: a quarter
 * less time than Response.arrayBuffer() then TextDecoder).
 */
async function gunzipJson(compressed, label) {
  const parts = [];
  try {
    const gunzip = new DecompressionStream("gzip");
    const writer = gunzip.writable.getWriter();
    // Errors surface through the reader below; these promises only need a handler.
    writer.write(new Uint8Array(compressed)).catch(() => {});
    writer.close().catch(() => {});
    const reader = gunzip.readable.getReader();
    const decoder = new TextDecoder("utf-8", { fatal: true });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(decoder.decode(value, { stream: true }));
    }
    parts.push(decoder.decode());
  } catch (_error) {
    throw refused(label, "contenu illisible (décompression impossible)");
  }
  try {
    return JSON.parse(parts.join(""));
  } catch (_error) {
    throw refused(label, "contenu illisible (JSON invalide)");
  }
}

/** Decrypt, decompress and parse one verified file's content with its data key. */
async function openContent(file, dataKey) {
  let compressed;
  try {
    const { bytes, prefixLength } = file;
    compressed = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: base64ToBytes(file.header.nonce),
        additionalData: bytes.subarray(0, prefixLength),
      },
      dataKey,
      bytes.subarray(prefixLength, bytes.length - SIGNATURE_BYTES),
    );
  } catch (_error) {
    throw refused(file.label, "le contenu ne se déchiffre pas — le fichier a été modifié");
  }
  const content = await gunzipJson(compressed, file.label);
  checkContent(file, content);
  return content;
}

function checkContent(file, content) {
  const schema = file.header.type === "kit" ? CONTENT_SCHEMA : DELTA_SCHEMA;
  const ok =
    content !== null &&
    typeof content === "object" &&
    content.schema === schema &&
    content.site &&
    content.site.id === file.header.site &&
    content.seq === file.header.seq &&
    content.collections &&
    typeof content.collections === "object" &&
    content.index &&
    typeof content.index === "object";
  if (!ok) throw refused(file.label, "contenu incohérent avec son en-tête");
}

// --- applying deltas --------------------------------------------------------------------

const REPLACED_FIELDS = ["site", "seq", "built_at", "as_of", "horizon", "downtime_ids"];
const INDEX_COLUMNS = ["id", "family", "used", "given", "birth", "nir", "local"];

/**
 * Collections as Maps: record ids come from hospital systems and must never be able to
 * reach an object's prototype (an id "__proto__" would, with plain objects).
 */
function collectionsAsMaps(collections) {
  const maps = {};
  for (const [name, records] of Object.entries(collections)) {
    maps[name] = new Map(Object.entries(records || {}));
  }
  return maps;
}

/**
 * Apply a delta to a full content in place, exactly as docs/kit-format.md says, except
 * for the identity index: its changes are only recorded in `indexChanges`, to be merged
 * into the index once for the whole chain (a kit may carry dozens of minute deltas, and
 * rebuilding half a million rows for each would cost seconds).
 */
function applyDelta(content, delta, label, indexChanges) {
  if (delta.site.id !== content.site.id) {
    throw refused(label, `il concerne le site ${delta.site.id}, pas ${content.site.id}`);
  }
  if (delta.base_seq !== content.seq) {
    throw refused(
      label,
      `il part de la séquence ${delta.base_seq}, les données sont à la séquence ${content.seq}`,
    );
  }
  for (const field of REPLACED_FIELDS) content[field] = delta[field];
  indexChanges.record(delta.index);
  for (const [name, change] of Object.entries(delta.collections)) {
    if (!content.collections[name]) content.collections[name] = new Map();
    applyCollectionDelta(content.collections[name], change);
  }
}

function applyCollectionDelta(records, change) {
  if (Object.hasOwn(change, "keep")) {
    const keep = new Set(change.keep);
    for (const id of [...records.keys()]) {
      if (!keep.has(id)) records.delete(id);
    }
  }
  for (const id of change.deletes || []) records.delete(id);
  for (const [id, record] of Object.entries(change.upserts || {})) records.set(id, record);
}

function lowerBound(sorted, id) {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < id) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The index changes of a chain of deltas: for each patient id, the row of its last upsert,
 * or null when its last change was a delete (each delta: upserts, then deletes).
 */
class IndexChanges {
  constructor() {
    this.rows = new Map();
  }

  record(change) {
    for (const row of change.upserts) this.rows.set(row[0], row);
    for (const id of change.deletes) this.rows.set(id, null);
  }

  /** The index with every change applied; rows stay ordered by id. */
  applyTo(index) {
    if (!this.rows.size) return index;
    // A new code per upserted name, even when the name is already in the dictionary: a
    // repeated name is harmless to the search and saves mapping every known name first.
    const code = (name) => index.names.push(name) - 1;
    const encode = (row) => ({
      id: row[0],
      family: code(row[1]),
      used: row[2] ? code(row[2]) : -1,
      given: code(row[3]),
      birth: row[4],
      sex: row[5],
      nir: row[6],
      status: row[7],
      local: row[8],
    });
    // Replacements in place; what is added or removed is merged in one pass below.
    const sex = index.sex.split("");
    const status = index.status.split("");
    const added = [];
    const removed = new Set();
    for (const [id, row] of this.rows) {
      const at = lowerBound(index.id, id);
      const present = index.id[at] === id;
      if (row === null) {
        if (present) removed.add(at);
      } else if (present) {
        const encoded = encode(row);
        for (const column of INDEX_COLUMNS) index[column][at] = encoded[column];
        sex[at] = encoded.sex;
        status[at] = encoded.status;
      } else {
        added.push(encode(row));
      }
    }
    index.sex = sex.join("");
    index.status = status.join("");
    return added.length || removed.size ? mergeRows(index, added, removed) : index;
  }
}

/** The index with `added` rows inserted in id order and the `removed` rows left out. */
function mergeRows(index, added, removed) {
  added.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // order[j] >= 0: row j of the result is that existing row; < 0: it is added[-order[j] - 1].
  const order = [];
  let next = 0;
  for (let row = 0; row < index.id.length; row += 1) {
    while (next < added.length && added[next].id < index.id[row]) order.push(-++next);
    if (!removed.has(row)) order.push(row);
  }
  while (next < added.length) order.push(-++next);
  const column = (name, existing) =>
    order.map((source) => (source >= 0 ? existing[source] : added[-source - 1][name]));
  const merged = { names: index.names };
  for (const name of INDEX_COLUMNS) merged[name] = column(name, index[name]);
  merged.sex = column("sex", index.sex).join("");
  merged.status = column("status", index.status).join("");
  return merged;
}
