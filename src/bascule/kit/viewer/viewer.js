// viewer.js — the page's life: verify the embedded files, ask for the passphrase, open the
// kit, then route between screens and keep the freshness banner up to date.
//
// bascule.kit.viewer inlines kit.js, search.js, common.js, patients.js, boards.js and this
// file, in that order, into one strict-mode function: nothing leaks into the page but
// `window.bascule`.

const FRESHNESS_REFRESH_MS = 30 * 1000;
const SCREENS = [
  "check",
  "refused",
  "unlock",
  "patients",
  "patient",
  "bloc",
  "lits",
  "annuaire",
  "fiches",
];
const DATA_SCREENS = ["patients", "patient", "bloc", "lits", "annuaire", "fiches"];
const SEARCH_DELAY_MS = 120;

const page = {
  config: null,
  groupKey: null,
  fingerprint: "",
  files: [],
  kit: null,
  refused: false,
  loadMilliseconds: 0,
  timings: {},
};

const $ = (id) => document.getElementById(id);

// The test and benchmark hook: `ready` resolves once the kit is open and searchable.
let announceReady;
let announceFailure;
const ready = new Promise((resolve, reject) => {
  announceReady = resolve;
  announceFailure = reject;
});
ready.catch(() => {}); // a refused kit is shown on the page; nobody has to await this
window.bascule = Object.freeze({
  ready,
  search: (query) =>
    page.kit ? page.kit.index.search(query).rows.map((row) => page.kit.index.ids[row]) : [],
  normalise,
  withinTypo,
  timings: () => ({ load: page.loadMilliseconds, ...page.timings }),
});

function show(screen) {
  for (const name of SCREENS) $(`screen-${name}`).hidden = name !== screen;
  for (const link of document.querySelectorAll("#nav a")) {
    const current =
      link.dataset.screen === screen ||
      (screen === "patient" && link.dataset.screen === "patients");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function refuse(error) {
  const message =
    error instanceof KitError ? error.message : `Kit refusé : erreur inattendue (${error})`;
  replaceChildren(
    $("screen-refused"),
    el("h1", {}, "✖ Ce kit ne peut pas être ouvert"),
    el("p", { class: "reason" }, message),
    el(
      "p",
      {},
      "N'utilisez pas ce fichier. Prévenez la cellule de crise ou le service informatique, " +
        "puis ouvrez une autre copie du kit (autre poste, clé USB) ou passez aux documents papier.",
    ),
  );
  // Whatever was drawn before the failure goes too: a refused kit shows nothing of itself.
  page.kit = null;
  page.refused = true;
  for (const name of DATA_SCREENS) replaceChildren($(`screen-${name}`));
  $("nav").hidden = true;
  $("stale").hidden = true;
  $("freshness").textContent = "Kit refusé";
  show("refused");
  announceFailure(error);
}

// --- step 1, at load: signatures and headers -------------------------------------------

async function verifyFiles() {
  const started = performance.now();
  checkBrowser();
  page.config = JSON.parse($("bascule-config").textContent);
  const rawKey = base64ToBytes(page.config.publicKey);
  page.fingerprint = await fingerprintOf(rawKey);
  $("fingerprint").textContent = page.fingerprint;
  page.groupKey = await importGroupKey(rawKey);
  const blocks = document.querySelectorAll(
    'script[type="application/octet-stream"][id^="bascule-file-"]',
  );
  if (!blocks.length)
    throw new KitError("refused", "Kit refusé : ce fichier ne contient aucun kit.");
  page.files = [];
  for (const [index, block] of [...blocks].entries()) {
    page.files.push(await verifyFile(block, index));
  }
  checkChain(page.files);
  if (page.files[0].header.site !== page.config.site) {
    throw refused(
      "Kit refusé",
      `il concerne le site ${page.files[0].header.site}, pas ${page.config.site}`,
    );
  }
  page.timings.verify = performance.now() - started;
}

async function verifyFile(block, index) {
  const label = index === 0 ? "Kit refusé" : `Mise à jour n°${index} refusée`;
  let bytes;
  try {
    bytes = base64ToBytes(block.textContent);
  } catch (_error) {
    throw refused(label, "données illisibles — le fichier a été modifié");
  }
  await verifySignature(bytes, page.groupKey, page.fingerprint, label);
  const file = parseContainer(bytes, label);
  return {
    ...file,
    index,
    label,
    title: index === 0 ? "le kit complet" : `la mise à jour n°${index}`,
  };
}

// --- step 2, on the passphrase: decrypt, apply deltas, index ------------------------------

async function unlock(passphrase) {
  const started = performance.now();
  const deriver = new KeyDeriver(passphrase);
  // Every file's key first: a wrong passphrase is told before the long decryption.
  const keys = [];
  for (const file of page.files) keys.push(await unwrapDataKey(file, deriver));
  page.timings.passphrase = performance.now() - started;
  await status("Déchiffrement du kit…");
  let mark = performance.now();
  const content = await openContent(page.files[0], keys[0].key);
  content.collections = collectionsAsMaps(content.collections);
  page.timings.decrypt = performance.now() - mark;
  mark = performance.now();
  const indexChanges = new IndexChanges();
  for (let i = 1; i < page.files.length; i += 1) {
    const delta = await openContent(page.files[i], keys[i].key);
    applyDelta(content, delta, page.files[i].label, indexChanges);
  }
  content.index = indexChanges.applyTo(content.index);
  page.timings.deltas = performance.now() - mark;
  await status("Préparation de la recherche…");
  mark = performance.now();
  const index = new PatientIndex(content.index);
  page.timings.index = performance.now() - mark;
  page.kit = new KitData(content, index);
  for (const file of page.files) file.bytes = null; // the ciphertext is no longer needed
  page.timings.open = performance.now() - started;
  return keys[0].slot;
}

/** Show progress and let the browser paint it before the next long step. */
async function status(text) {
  $("unlock-status").textContent = text;
  await new Promise((resolve) => setTimeout(resolve, 0));
}

function setUpUnlockForm() {
  const form = $("unlock-form");
  const input = $("passphrase");
  const error = $("unlock-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!input.value) return;
    error.hidden = true;
    $("unlock-button").disabled = true;
    input.disabled = true;
    try {
      await status("Vérification de la phrase secrète…");
      const slot = await unlock(input.value);
      input.value = "";
      opened(slot);
    } catch (failure) {
      if (failure instanceof KitError && failure.kind === "passphrase") {
        error.textContent = failure.message;
        error.hidden = false;
        $("unlock-status").textContent = "";
        input.disabled = false;
        $("unlock-button").disabled = false;
        input.select();
        input.focus();
      } else {
        refuse(failure);
      }
    }
  });
}

function opened(slot) {
  const kit = page.kit;
  $("site-name").textContent = kit.site.name || kit.site.id;
  document.title = `Kit de continuité — ${kit.site.name || kit.site.id}`;
  $("opened-with").textContent =
    slot === "group" ? "ouvert avec la phrase d'urgence du groupe" : "";
  $("nav").hidden = false;
  setUpSearch();
  refreshFreshness();
  route();
  window.addEventListener("hashchange", route);
  announceReady({
    patients: kit.index.size,
    millisecondsToReady: page.loadMilliseconds + page.timings.open,
    timings: { load: page.loadMilliseconds, ...page.timings },
  });
}

// --- screens ------------------------------------------------------------------------------

function setUpSearch() {
  const screen = $("screen-patients");
  const input = el("input", {
    id: "search",
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "ex. : le goff maelle, 03/05/1969, R0001234, 2 69 05…",
  });
  const results = el("div", { id: "results", "aria-live": "polite" });
  let timer = null;
  const run = () => {
    clearTimeout(timer);
    replaceChildren(
      results,
      resultsTable(page.kit, page.kit.index.search(input.value), input.value),
    );
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, SEARCH_DELAY_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") run();
  });
  replaceChildren(
    screen,
    el("h1", {}, "Rechercher un patient"),
    el(
      "div",
      { class: "search-box" },
      el("label", { for: "search" }, "Nom et prénom, date de naissance, IPP ou NIR"),
      input,
      el(
        "p",
        { class: "hint" },
        "Tout l'index du groupe est cherché. Accents, majuscules, traits d'union et une " +
          "faute de frappe sont tolérés.",
      ),
    ),
    results,
  );
  run();
}

/** `#patient/p1`, `#bloc/2026-12-07`, `#lits/ward`, `#annuaire`, `#fiches/sheet`. */
function route() {
  if (!page.kit) return;
  const [name, ...rest] = location.hash.replace(/^#/, "").split("/");
  const argument = rest.length ? decodeURIComponent(rest.join("/")) : "";
  const screens = {
    patient: () => patientSheet(page.kit, argument),
    bloc: () => scheduleScreen(page.kit, argument),
    lits: () => censusScreen(page.kit, argument),
    annuaire: () => directoryScreen(page.kit),
    fiches: () => plansScreen(page.kit, argument),
  };
  if (!screens[name]) {
    show("patients");
    $("search").focus();
    return;
  }
  replaceChildren($(`screen-${name}`), screens[name]());
  show(name);
  window.scrollTo(0, 0);
}

// --- freshness ----------------------------------------------------------------------------

function ageText(milliseconds) {
  const minutes = Math.floor(milliseconds / 60000);
  if (minutes < -2) return "date dans le futur : vérifiez l'horloge de ce poste";
  if (minutes < 1) return "à l'instant";
  if (minutes < 60) return `il y a ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `il y a ${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `il y a ${Math.floor(hours / 24)} jours`;
}

/** Age and sequence of the newest file, on every screen; a loud warning past the threshold. */
function refreshFreshness() {
  const newest = page.files[page.files.length - 1];
  if (!newest || page.refused) return;
  const age = Date.now() - newest.createdAt.getTime();
  const when = INSTANT_FORMAT.format(newest.createdAt);
  const sequence = newest.header.seq.toLocaleString("fr-FR");
  const site = page.kit ? page.kit.site.name || page.kit.site.id : newest.header.site;
  const updates = page.files.length - 1;
  replaceChildren(
    $("freshness"),
    el("span", {}, `Données du ${when} · `),
    el("strong", { class: "age" }, ageText(age)),
    el(
      "span",
      {},
      ` · séquence ${sequence}`,
      updates ? ` (kit + ${updates} mise${updates > 1 ? "s" : ""} à jour)` : "",
    ),
  );
  const threshold = page.config.staleAfterMinutes;
  const stale = age > threshold * 60000;
  document.body.classList.toggle("is-stale", stale);
  $("stale").hidden = !stale;
  if (stale) {
    replaceChildren(
      $("stale"),
      el("strong", {}, `⚠ KIT ANCIEN — ${ageText(age)}`),
      ` (données du ${when}, seuil ${threshold} min). Admissions, allergies et programmes ` +
        "récents peuvent manquer : vérifiez auprès du service, et signalez-le à l'informatique.",
    );
  }
  replaceChildren(
    $("print-head"),
    el("strong", {}, site),
    ` — kit du ${when} (${ageText(age)}, séquence ${sequence})`,
    stale ? el("strong", {}, " — KIT ANCIEN") : null,
    ` — imprimé le ${INSTANT_FORMAT.format(new Date())} — clé du groupe ${page.fingerprint}`,
  );
}

// --- start --------------------------------------------------------------------------------

async function start() {
  window.addEventListener("beforeprint", refreshFreshness);
  try {
    await verifyFiles();
  } catch (error) {
    refuse(error);
    return;
  }
  $("site-name").textContent = page.files[0].header.site;
  refreshFreshness();
  setInterval(refreshFreshness, FRESHNESS_REFRESH_MS);
  setUpUnlockForm();
  show("unlock");
  $("passphrase").focus();
  // From navigation start: parsing the page (tens of MB of base64) counts too.
  page.loadMilliseconds = performance.now();
}

start();
