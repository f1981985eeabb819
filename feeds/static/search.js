/* feeds: the search of the published releases, run by search/index.html. No dependencies, nothing sent anywhere.

   It reads search/shards.json (the index's shards, newest first; feeds/publish/searchindex.py says what an entry
   holds), then each shard in turn, once a visitor is about to type (the search box focused, or a query in the
   address: search/?q=flood), and searches what has arrived while the rest loads. A query's words must all be
   found in a release's title, summary, topics or organisation, accents and capitals folded away
   (normalize("NFD"), then the combining marks dropped); releases whose title holds them all come first, then
   the newest. The count is said in the status line, a live region that screen readers announce, in the
   site's language (the page gives each plural form). Results are built as DOM nodes (textContent), never as
   HTML: a title holding markup stays text. */
(() => {
  "use strict";
  const FORMAT = 1;
  const PAGE = 50;
  const SETTLE_MS = 400;

  const form = document.getElementById("search-form");
  const input = document.getElementById("search-words");
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  const more = document.getElementById("search-more");
  const fallback = document.getElementById("search-needs-script");
  if (!form || !input || !status || !list || !more) return;

  // The labels' language (the page's, unless its labels are in another: English where no catalogue covers it).
  const lang = status.lang || document.documentElement.lang || "en";
  const root = new URL(form.dataset.root || "../", location.href);
  const manifestUrl = new URL(form.dataset.index || "shards.json", location.href);
  const found = JSON.parse(status.dataset.found);
  const soFar = JSON.parse(status.dataset.soFar);
  // Dates as the pages write them: the language's long date (CLDR's, as Babel's on the pages), and in every
  // English "1 October 2026" (the pages' own English format; Intl's plain "en" is American).
  const dates = new Intl.DateTimeFormat(/^en(-|$)/i.test(lang) ? "en-GB" : lang, {
    day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
  });

  const entries = [];
  let loading = null;
  let complete = false;
  let failed = false;
  let shown = PAGE;
  let lastQuery = null;
  let settle = 0;

  const fold = (text) => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

  /* A count's sentence: the form the page's table gives for it (a count past the table: as 100 plus its last
     two digits, as every language's plural rule goes). */
  function counted(table, n) {
    const of = table.of;
    const which = Number(of[n < of.length ? n : 100 + (n % 100)]);
    return table.forms[which].replace("%(num)d", n.toLocaleString(lang));
  }

  function add(entry) {
    const [, title, summary, , organisation, topics] = entry;
    entries.push({
      entry,
      title: fold(title),
      text: fold([title, summary, organisation, ...topics].join("\n")),
    });
  }

  async function json(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    const data = await response.json();
    if (!data || data.format !== FORMAT) throw new Error(`${url}: not an index this script reads`);
    return data;
  }

  function load() {
    if (loading) return loading;
    loading = (async () => {
      try {
        const manifest = await json(manifestUrl);
        for (const [file] of manifest.shards) {
          const shard = await json(new URL(file, manifestUrl));
          shard.releases.forEach(add);
          search(false);
        }
      } catch (error) {
        failed = true;
        console.error("search:", error);
      }
      complete = true;
      search(false);
    })();
    return loading;
  }

  function card(entry, labels) {
    const [address, title, summary, day, organisation, topics, withdrawn, language] = entry;
    const item = document.createElement("li");
    if (language) {
      item.lang = language;
      item.dir = "auto";
    }
    const heading = document.createElement("h2");
    const link = document.createElement("a");
    link.href = new URL(address.includes(":") ? address : `releases/${address}/`, root).href;
    link.textContent = title;
    heading.append(link);
    const meta = document.createElement("p");
    meta.className = "meta";
    const time = document.createElement("time");
    time.dateTime = day;
    const [y, m, d] = day.split("-").map(Number);
    time.textContent = dates.format(new Date(Date.UTC(y, m - 1, d)));
    if (language) time.lang = lang;
    meta.append(time, ` · ${organisation}`);
    if (withdrawn) {
      const flag = document.createElement("strong");
      flag.className = "flag";
      flag.textContent = labels.withdrawn;
      if (language) flag.lang = lang;
      meta.append(" · ", flag);
    }
    item.append(heading, meta);
    if (summary) {
      const text = document.createElement("p");
      text.className = "summary";
      text.textContent = summary;
      item.append(text);
    }
    if (topics.length) {
      const line = document.createElement("p");
      line.className = "meta topics-line";
      line.textContent = topics.join(" · ");
      item.append(line);
    }
    return item;
  }

  /* The status line says `text` (about `query`, which it keeps in data-query: what its count is of). */
  function say(text, query, now) {
    const show = () => {
      status.textContent = text;
      status.dataset.query = query;
    };
    clearTimeout(settle);
    if (now) show();
    else settle = setTimeout(show, SETTLE_MS);  // (once the typing pauses: a screen reader is not read every key's)
  }

  function search(typed) {
    const query = input.value;
    const terms = fold(query).split(/\s+/).filter(Boolean);
    if (typed && query !== lastQuery) shown = PAGE;
    lastQuery = query;
    if (!terms.length) {
      list.replaceChildren();
      more.hidden = true;
      say("", query, true);
      return;
    }
    if (!loading) load();
    const hits = [];
    entries.forEach((x, position) => {
      if (terms.every((t) => x.text.includes(t))) {
        hits.push({ x, position, titled: terms.every((t) => x.title.includes(t)) ? 0 : 1 });
      }
    });
    hits.sort((a, b) => a.titled - b.titled || a.position - b.position);
    const labels = { withdrawn: status.dataset.withdrawn };
    list.replaceChildren(...hits.slice(0, shown).map((h) => card(h.x.entry, labels)));
    more.hidden = hits.length <= shown;
    let text;
    if (!complete) {
      text = entries.length ? counted(soFar, hits.length) : status.dataset.searching;
    } else {
      text = counted(found, hits.length) + (failed ? ` ${status.dataset.failed}` : "");
    }
    say(text, query, !typed);
  }

  function remember() {  // (the query in the address: a search can be bookmarked, shared and gone back to)
    const url = new URL(location.href);
    if (input.value.trim()) url.searchParams.set("q", input.value);
    else url.searchParams.delete("q");
    history.replaceState(null, "", url.href);
  }

  form.hidden = false;
  if (fallback) fallback.hidden = true;
  input.addEventListener("focus", load, { once: true });
  input.addEventListener("input", () => { search(true); remember(); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search(false);
    remember();
  });
  more.addEventListener("click", () => {
    const first = list.children.length;
    shown += PAGE;
    search(false);
    const next = list.children[first];
    if (next) next.querySelector("a").focus();
  });
  const asked = new URLSearchParams(location.search).get("q");
  if (asked) {
    input.value = asked;
    search(false);
  }
})();
