// common.js — what every screen uses: building DOM nodes, French words and formats, and
// the lookups over the opened content.
//
// Everything is drawn with DOM calls (never innerHTML): every string comes from the kit
// and is shown as text. Screens are redrawn from scratch on each visit; they are small.

/** `el("td", {class: "x"}, "text", child)`: an element with attributes and children. */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function replaceChildren(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== false));
}

// --- words and formats ------------------------------------------------------------------

const SPECIALTIES = {
  ambulatory: "Ambulatoire",
  cardiac: "Chirurgie cardiaque",
  digestive: "Chirurgie digestive",
  ent: "ORL",
  gynaecology: "Gynécologie",
  medicine: "Médecine",
  ophthalmology: "Ophtalmologie",
  orthopaedics: "Orthopédie",
  plastic: "Chirurgie plastique",
  thoracic: "Chirurgie thoracique",
  urology: "Urologie",
  vascular: "Chirurgie vasculaire",
};
const SEVERITY = { mild: "légère", moderate: "modérée", severe: "sévère" };
const IDENTITY_STATUS = {
  P: "Provisoire",
  V: "Validée",
  Q: "Qualifiée",
  PROV: "Provisoire",
  VALI: "Validée",
  QUAL: "Qualifiée",
};
const SEX = { M: "Homme", F: "Femme", U: "Indéterminé" };
const CASE_STATUS = {
  booked: "Programmé",
  done: "Réalisé",
  postponed: "Reporté",
  redirected: "Réorienté",
  cancelled: "Annulé",
};
const PRIORITY = {
  P1a: "sous 24 h",
  P1b: "sous 72 h",
  P2: "sous 4 semaines",
  P3: "sous 3 mois",
  P4: "plus de 3 mois",
};
const INSTANT_FORMAT = new Intl.DateTimeFormat("fr-FR", { dateStyle: "short", timeStyle: "short" });
const LONG_DAY = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});
const SHORT_DAY = new Intl.DateTimeFormat("fr-FR", {
  weekday: "short",
  day: "2-digit",
  month: "2-digit",
  timeZone: "UTC",
});
const byText = new Intl.Collator("fr", { numeric: true, sensitivity: "base" }).compare;

const specialty = (code) => SPECIALTIES[code] || code || "—";

/** "1969-05-03" → "03/05/1969", without going through a time zone. */
function frenchDate(iso) {
  if (typeof iso !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(iso)) return "—";
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}

function utcDay(iso) {
  return new Date(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)));
}

function instant(text) {
  if (!text) return "—";
  const moment = new Date(text);
  return Number.isNaN(moment.getTime()) ? text : INSTANT_FORMAT.format(moment);
}

function clock(minutes) {
  if (!Number.isInteger(minutes)) return "—";
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

function ageInYears(birth, today = new Date()) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(birth || "")) return null;
  const [year, month, day] = birth.split("-").map(Number);
  let age = today.getFullYear() - year;
  if (today.getMonth() + 1 < month || (today.getMonth() + 1 === month && today.getDate() < day)) {
    age -= 1;
  }
  return age;
}

function birthText(person) {
  const born = person.sex === "F" ? "Née" : person.sex === "M" ? "Né" : "Né(e)";
  const age = ageInYears(person.birth);
  return `${born} le ${frenchDate(person.birth)}${age === null ? "" : ` (${age} ans)`}`;
}

/** Used name (birth name in brackets when different), then given names; names upper case. */
function displayName(person) {
  const family = (person.family || "").toUpperCase();
  const used = (person.used || "").toUpperCase();
  const born = person.sex === "F" ? "née" : person.sex === "M" ? "né" : "né(e)";
  const surname = used && used !== family ? `${used} (${born} ${family})` : family;
  return `${surname} ${person.given || ""}`.trim();
}

/** "269052923215701" → "2 69 05 29 232 157 01", as printed on a carte Vitale. */
function spacedNir(nir) {
  if (typeof nir !== "string" || nir.length !== 15) return nir || "—";
  return [1, 2, 2, 2, 3, 3, 2]
    .reduce((parts, size, i, sizes) => {
      const start = sizes.slice(0, i).reduce((a, b) => a + b, 0);
      parts.push(nir.slice(start, start + size));
      return parts;
    }, [])
    .join(" ");
}

function surgeonName(kit, surgeonId) {
  const surgeon = surgeonId ? kit.staff.get(surgeonId) : null;
  if (!surgeon) return surgeonId || "—";
  return `Dr ${(surgeon.family_name || "").toUpperCase()} ${surgeon.given_name || ""}`.trim();
}

function theatreName(kit, theatreId) {
  const theatre = theatreId ? kit.theatres.get(theatreId) : null;
  return theatre ? theatre.name : theatreId || "Salle non attribuée";
}

function printButton(label) {
  return el(
    "button",
    { type: "button", class: "secondary no-print", onclick: () => window.print() },
    label,
  );
}

function table(caption, headings, rows, attributes = {}) {
  return el(
    "table",
    attributes,
    caption ? el("caption", {}, caption) : null,
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        headings.map((text) => el("th", { scope: "col" }, text)),
      ),
    ),
    el("tbody", {}, rows),
  );
}

function allergyFlag(record) {
  if (!record) return el("span", { class: "muted" }, "non connu");
  if (!record.allergies || !record.allergies.length)
    return el("span", { class: "muted" }, "aucune");
  return el(
    "span",
    { class: "allergy-flag" },
    "⚠ ",
    record.allergies
      .map((a) => `${a.substance} (${SEVERITY[a.severity] || a.severity})`)
      .join(", "),
  );
}

// --- the data behind the screens ------------------------------------------------------

/** Lookups over the opened content, computed once: screens only read them. */
class KitData {
  constructor(content, index) {
    this.content = content;
    this.index = index;
    this.site = content.site;
    const collection = (name) => content.collections[name] || new Map();
    this.patients = collection("patients");
    this.cases = collection("cases");
    this.stays = collection("stays");
    this.theatres = collection("theatres");
    this.wards = collection("wards");
    this.staff = collection("staff");
    this.oncall = collection("oncall");
    this.plans = collection("plans");
    this.casesByDay = groupBy(this.cases.values(), (c) => c.day);
    this.casesByPatient = groupBy(this.cases.values(), (c) => c.patient_id);
    this.stayByPatient = new Map([...this.stays.values()].map((s) => [s.patient_id, s]));
  }

  /** Identity of a patient: the full record when active here, else the index row. */
  person(patientId) {
    const record = this.patients.get(patientId);
    if (record) return record;
    const row = this.index.rowOf(patientId);
    return row >= 0 ? this.index.person(row) : null;
  }

  /** Every day of the horizon, in order (the days that have cases when it is missing). */
  days() {
    const days = [];
    const horizon = this.content.horizon || {};
    if (!horizon.from || !horizon.to) return [...this.casesByDay.keys()].sort();
    for (
      let day = utcDay(horizon.from);
      day <= utcDay(horizon.to);
      day.setUTCDate(day.getUTCDate() + 1)
    ) {
      days.push(day.toISOString().slice(0, 10));
    }
    return days;
  }
}

function groupBy(items, key) {
  const groups = new Map();
  for (const item of items) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(item);
  }
  return groups;
}

function priorityCell(priority) {
  return el(
    "span",
    { class: `priority p-${(priority || "").toLowerCase()}`, title: PRIORITY[priority] || "" },
    priority || "—",
  );
}

function byStart(a, b) {
  return (
    (a.day || "").localeCompare(b.day || "") ||
    (a.start_minute ?? 1e9) - (b.start_minute ?? 1e9) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}
