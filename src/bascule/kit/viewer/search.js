// search.js — finding patients in the group identity index.
//
// The rules are those of src/bascule/kit/search.py, line for line: the tests run both on
// generated names and queries and compare. What differs is only the data structure: the
// index holds hundreds of thousands of people but far fewer distinct names and words, so
// matching runs over the dictionary of distinct words, then goes from words to names and
// from names to people through postings built once at load.

const MAX_RESULTS = 50;
const DATE_FR = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;
const DATE_ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const NIR_PATTERN = /^(?:[0-9]{13}[0-9]{2}|[0-9]{5}2[AB][0-9]{8})$/;
const EXACT = 2;
const NEAR = 1;

/** Lower case, accents and ligatures removed, punctuation turned into spaces. */
function normalise(text) {
  const unligatured = text
    .replace(/œ/g, "oe")
    .replace(/Œ/g, "OE")
    .replace(/æ/g, "ae")
    .replace(/Æ/g, "AE");
  const stripped = unligatured.normalize("NFD").replace(/\p{Mn}/gu, "");
  return stripped
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

// Three reusable rows for the distance: it runs thousands of times per keystroke.
const distanceRows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/**
 * Optimal string alignment distance (Damerau–Levenshtein without substring moves), or
 * `limit + 1` as soon as it is certain to exceed `limit`: the smallest value of a row
 * never decreases from one row to the next, transpositions included.
 */
function osaDistance(a, b, limit) {
  const n = b.length;
  if (Math.abs(a.length - n) > limit) return limit + 1;
  let [before, previous, current] =
    n < 64 ? distanceRows : [new Int32Array(n + 1), new Int32Array(n + 1), new Int32Array(n + 1)];
  for (let j = 0; j <= n; j += 1) previous[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    const ca = a.charCodeAt(i - 1);
    current[0] = i;
    let smallest = i;
    for (let j = 1; j <= n; j += 1) {
      const cb = b.charCodeAt(j - 1);
      let value = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (ca === cb ? 0 : 1),
      );
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) {
        value = Math.min(value, before[j - 2] + 1);
      }
      current[j] = value;
      if (value < smallest) smallest = value;
    }
    if (smallest > limit) return limit + 1;
    [before, previous, current] = [previous, current, before];
  }
  return previous[n];
}

/**
 * True when `word` starts with `query` or is at most one edit (two for queries of eight
 * characters or more) away from it, transpositions counting as one edit.
 */
function withinTypo(query, word) {
  if (word.startsWith(query)) return true;
  const length = query.length;
  if (length < 4) return false;
  const allowed = length >= 8 ? 2 : 1;
  // Both distances below are at least the length difference: skip hopeless words fast.
  if (word.length < length - allowed) return false;
  const candidate =
    Math.abs(word.length - length) > allowed ? word.slice(0, length + allowed) : word;
  return (
    osaDistance(query, candidate.slice(0, length), allowed) <= allowed ||
    osaDistance(query, candidate, allowed) <= allowed
  );
}

function isLeapYear(year) {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year, month) {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** `DD/MM/YYYY` or `YYYY-MM-DD` as ISO, or null when the query is not a real date. */
function parseBirthDate(query) {
  const text = query.trim();
  let year;
  let month;
  let day;
  let found = DATE_FR.exec(text);
  if (found) {
    [day, month, year] = found.slice(1).map(Number);
  } else if ((found = DATE_ISO.exec(text))) {
    [year, month, day] = found.slice(1).map(Number);
  } else {
    return null;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return null;
  }
  const pad = (value, width) => String(value).padStart(width, "0");
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** Compressed postings: the items of key k are items[start[k] .. start[k + 1]). */
function postings(keyCount, keys, items, length) {
  const start = new Int32Array(keyCount + 1);
  for (let i = 0; i < length; i += 1) start[keys[i] + 1] += 1;
  for (let k = 0; k < keyCount; k += 1) start[k + 1] += start[k];
  const cursor = start.slice(0, keyCount);
  const sorted = new Int32Array(length);
  for (let i = 0; i < length; i += 1) sorted[cursor[keys[i]]++] = items[i];
  return { start, items: sorted };
}

/**
 * A number per string ordered as its first two UTF-16 units, so that most comparisons
 * between names are one comparison of numbers; equal keys fall back to the strings.
 */
function prefixKeys(strings) {
  const keys = new Float64Array(strings.length);
  for (let i = 0; i < strings.length; i += 1) {
    const text = strings[i];
    const first = text.length > 0 ? text.charCodeAt(0) + 1 : 0;
    const second = text.length > 1 ? text.charCodeAt(1) + 1 : 0;
    keys[i] = first * 65537 + second;
  }
  return keys;
}

/** The best results so far, kept sorted; most candidates are rejected by one comparison. */
class BestResults {
  constructor(index, limit) {
    this.index = index;
    this.limit = limit;
    this.rows = [];
    this.exact = [];
  }

  offer(row, exact) {
    const size = this.rows.length;
    if (size === this.limit && !this.before(row, exact, size - 1)) return;
    let at = size === this.limit ? size - 1 : size;
    while (at > 0 && this.before(row, exact, at - 1)) at -= 1;
    this.rows.splice(at, 0, row);
    this.exact.splice(at, 0, exact);
    if (this.rows.length > this.limit) {
      this.rows.pop();
      this.exact.pop();
    }
  }

  /** Python's order: more exact words first, then birth name, given names, index order. */
  before(row, exact, position) {
    const other = this.rows[position];
    if (exact !== this.exact[position]) return exact > this.exact[position];
    const index = this.index;
    const byFamily = index.compareNames(index.family[row], index.family[other]);
    if (byFamily) return byFamily < 0;
    const byGiven = index.compareNames(index.given[row], index.given[other]);
    if (byGiven) return byGiven < 0;
    return row < other;
  }
}

const SPACE = 32;

function grow(array) {
  const larger = new Int32Array(array.length * 2);
  larger.set(array);
  return larger;
}

/**
 * Open-addressing table from a piece of a name (given as text[start..end) and its hash)
 * to the word codes of that piece, computed once by `wordsOf`. Looking a piece up compares
 * characters in place: no substring is made except for a piece seen for the first time.
 */
class PieceTable {
  constructor(wordsOf) {
    this.wordsOf = wordsOf;
    this.slots = new Int32Array(1 << 12); // piece number + 1; 0 is an empty slot
    this.hashes = [];
    this.texts = [];
    this.pieceWords = [];
  }

  words(text, start, end, hash) {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const piece = this.slots[slot] - 1;
      if (piece < 0) return this.add(text.slice(start, end), hash);
      if (this.hashes[piece] === hash && sameText(this.texts[piece], text, start, end)) {
        return this.pieceWords[piece];
      }
    }
  }

  add(piece, hash) {
    const number = this.texts.length;
    this.texts.push(piece);
    this.hashes.push(hash);
    this.pieceWords.push(this.wordsOf(piece));
    if (this.texts.length * 2 > this.slots.length) this.resize();
    else this.place(number);
    return this.pieceWords[number];
  }

  place(number) {
    const mask = this.slots.length - 1;
    let slot = this.hashes[number] & mask;
    while (this.slots[slot]) slot = (slot + 1) & mask;
    this.slots[slot] = number + 1;
  }

  resize() {
    this.slots = new Int32Array(this.slots.length * 2);
    for (let number = 0; number < this.texts.length; number += 1) this.place(number);
  }
}

function sameText(piece, text, start, end) {
  if (piece.length !== end - start) return false;
  for (let i = 0; i < piece.length; i += 1) {
    if (piece.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
  }
  return true;
}

/** The identity index of the whole group, ready to search. */
class PatientIndex {
  constructor(index) {
    this.names = index.names;
    this.ids = index.id;
    this.family = Int32Array.from(index.family);
    this.used = Int32Array.from(index.used);
    this.given = Int32Array.from(index.given);
    this.birth = index.birth;
    this.sex = index.sex;
    this.nir = index.nir;
    this.status = index.status;
    this.local = index.local;
    this.size = this.ids.length;
    this.stamps = new Int32Array(this.size);
    this.searches = 0;
    this.indexWords();
    this.indexPeople();
    this.indexLocalIds();
  }

  /**
   * Distinct normalised words, and for each the names that contain it. Names are made of
   * far fewer distinct space-separated pieces ("Jean", "Marie-Thérèse"): each piece is
   * normalised once (normalise() never joins across a space, so the words of a name are
   * those of its pieces), and pieces are looked up without cutting them out of the name.
   */
  indexWords() {
    const pieces = new PieceTable((piece) =>
      normalise(piece).split(" ").filter(Boolean).map(wordCode),
    );
    const codes = new Map();
    const wordCode = (word) => {
      let code = codes.get(word);
      if (code === undefined) {
        code = this.words.length;
        this.words.push(word);
        codes.set(word, code);
      }
      return code;
    };
    this.words = [];
    let words = new Int32Array(this.names.length * 4);
    let names = new Int32Array(this.names.length * 4);
    let pairs = 0;
    for (let name = 0; name < this.names.length; name += 1) {
      const text = this.names[name];
      let start = 0;
      let hash = 0;
      for (let i = 0; i <= text.length; i += 1) {
        const unit = i < text.length ? text.charCodeAt(i) : SPACE;
        if (unit !== SPACE) {
          hash = (Math.imul(hash, 31) + unit) | 0;
          continue;
        }
        if (i > start) {
          const pieceWords = pieces.words(text, start, i, hash);
          if (pairs + pieceWords.length > words.length) {
            words = grow(words);
            names = grow(names);
          }
          for (const word of pieceWords) {
            words[pairs] = word;
            names[pairs] = name;
            pairs += 1;
          }
        }
        start = i + 1;
        hash = 0;
      }
    }
    this.wordNames = postings(this.words.length, words, names, pairs);
    this.nameKeys = prefixKeys(this.names);
  }

  /** For each name, the people whose birth name, used name or given names it is. */
  indexPeople() {
    const capacity = this.size * 3;
    const names = new Int32Array(capacity);
    const rows = new Int32Array(capacity);
    let pairs = 0;
    for (let row = 0; row < this.size; row += 1) {
      names[pairs] = this.family[row];
      rows[pairs++] = row;
      if (this.used[row] >= 0) {
        names[pairs] = this.used[row];
        rows[pairs++] = row;
      }
      names[pairs] = this.given[row];
      rows[pairs++] = row;
    }
    this.namePeople = postings(this.names.length, names, rows, pairs);
  }

  /**
   * All local ids in one lower-case text, each row followed by a space, so that a search
   * is one indexOf over a few megabytes rather than a split of every row.
   */
  indexLocalIds() {
    const joined = `${this.local.join(" ")} `;
    let lowered = joined.toLowerCase();
    let rows = this.local;
    if (lowered.length !== joined.length) {
      // Some lower-case form is longer (e.g. İ): offsets must come from lowered rows.
      rows = this.local.map((text) => (text || "").toLowerCase());
      lowered = `${rows.join(" ")} `;
    }
    this.localStarts = new Int32Array(rows.length + 1);
    for (let row = 0; row < rows.length; row += 1) {
      this.localStarts[row + 1] = this.localStarts[row] + (rows[row] || "").length + 1;
    }
    this.localText = lowered;
  }

  /** Negative, zero or positive as names[a] sorts before, with or after names[b]. */
  compareNames(a, b) {
    if (a === b) return 0;
    const keyA = this.nameKeys[a];
    const keyB = this.nameKeys[b];
    if (keyA !== keyB) return keyA - keyB;
    const textA = this.names[a];
    const textB = this.names[b];
    return textA < textB ? -1 : textA > textB ? 1 : 0;
  }

  /** Row of a patient id, or -1 (ids are sorted). */
  rowOf(id) {
    const at = lowerBound(this.ids, id);
    return this.ids[at] === id ? at : -1;
  }

  /** The identity traits of one row. */
  person(row) {
    const used = this.used[row];
    return {
      id: this.ids[row],
      family: this.names[this.family[row]],
      used: used >= 0 ? this.names[used] : "",
      given: this.names[this.given[row]],
      birth: this.birth[row],
      sex: this.sex[row],
      nir: this.nir[row],
      status: this.status[row],
      local: this.local[row],
    };
  }

  /** Rows matching `query`, best first (at most 50), and how many matched in all. */
  search(query) {
    const text = query.trim();
    if (!text) return { rows: [], total: 0 };
    const compact = text.replace(/[\s.]/g, "").toUpperCase();
    const birth = parseBirthDate(text);
    if (birth !== null) return this.scan((row) => this.birth[row] === birth);
    if (NIR_PATTERN.test(compact)) return this.scan((row) => this.nir[row] === compact);
    const byLocal = this.byLocalId(compact.toLowerCase());
    if (byLocal.total) return byLocal;
    return this.byName(normalise(text).split(" ").filter(Boolean));
  }

  scan(matches) {
    const rows = [];
    let total = 0;
    for (let row = 0; row < this.size; row += 1) {
      if (matches(row)) {
        total += 1;
        if (rows.length < MAX_RESULTS) rows.push(row);
      }
    }
    return { rows, total };
  }

  byLocalId(wanted) {
    const rows = [];
    let total = 0;
    if (!wanted) return { rows, total };
    const needle = `:${wanted} `;
    let from = 0;
    for (;;) {
      const at = this.localText.indexOf(needle, from);
      if (at < 0) break;
      const row = upperBound(this.localStarts, at) - 1;
      if (this.hasLocalId(row, wanted)) {
        total += 1;
        if (rows.length < MAX_RESULTS) rows.push(row);
      }
      from = this.localStarts[row + 1];
    }
    return { rows, total };
  }

  /** The exact rule, as search.py: some `site:id` pair whose id equals `wanted`. */
  hasLocalId(row, wanted) {
    return (this.local[row] || "").split(/\s+/).some((pair) => {
      const colon = pair.indexOf(":");
      return colon >= 0 && pair.slice(colon + 1).toLowerCase() === wanted;
    });
  }

  /** For one query token: names holding an exact word (2), a near word (1), or none (0). */
  matchToken(token) {
    const flags = new Uint8Array(this.names.length);
    const matched = [];
    let people = 0;
    const { start, items } = this.wordNames;
    for (let word = 0; word < this.words.length; word += 1) {
      const text = this.words[word];
      const flag = text === token ? EXACT : withinTypo(token, text) ? NEAR : 0;
      if (!flag) continue;
      for (let k = start[word]; k < start[word + 1]; k += 1) {
        const name = items[k];
        if (flags[name] === 0) {
          matched.push(name);
          people += this.namePeople.start[name + 1] - this.namePeople.start[name];
        }
        if (flags[name] < flag) flags[name] = flag;
      }
    }
    return { flags, matched, people };
  }

  byName(tokens) {
    if (!tokens.length) return { rows: [], total: 0 };
    const matches = tokens.map((token) => this.matchToken(token));
    const flags = matches.map((match) => match.flags);
    // Candidates come from the rarest token; every token is then checked on each. When
    // even the rarest is common, reading every row in order beats jumping around memory.
    const rarest = matches.reduce((a, b) => (b.people < a.people ? b : a));
    const best = new BestResults(this, MAX_RESULTS);
    let total = 0;
    const consider = (row) => {
      const exact = this.exactWords(row, flags);
      if (exact >= 0) {
        total += 1;
        best.offer(row, exact);
      }
    };
    if (rarest.people > this.size / 16) {
      for (let row = 0; row < this.size; row += 1) consider(row);
    } else {
      const stamp = ++this.searches;
      const { start, items } = this.namePeople;
      for (const name of rarest.matched) {
        for (let k = start[name]; k < start[name + 1]; k += 1) {
          const row = items[k];
          if (this.stamps[row] !== stamp) {
            this.stamps[row] = stamp;
            consider(row);
          }
        }
      }
    }
    return { rows: best.rows, total };
  }

  /** How many tokens are exact words of the row's names, or -1 when one matches nothing. */
  exactWords(row, flags) {
    const family = this.family[row];
    const used = this.used[row];
    const given = this.given[row];
    let exact = 0;
    for (let token = 0; token < flags.length; token += 1) {
      const tokenFlags = flags[token];
      let flag = tokenFlags[family];
      if (used >= 0 && tokenFlags[used] > flag) flag = tokenFlags[used];
      if (tokenFlags[given] > flag) flag = tokenFlags[given];
      if (flag === 0) return -1;
      if (flag === EXACT) exact += 1;
    }
    return exact;
  }
}

function upperBound(sorted, value) {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}
