/*! newsdesk embed: the latest items of one feed, on any page.
 *  <script src="https://news.example.org/embed.js" data-feed="research" data-limit="5" async></script>
 *  Optional: data-target="#some-id" (render there instead of after the tag), data-lang="fr".
 *  Feed content is only ever inserted as text; links must be http(s). Style it with the newsdesk-*
 *  classes; the built-in rules have the lowest specificity so any partner CSS wins.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var feed = script.getAttribute("data-feed") || "all";
  if (!/^[a-z0-9][a-z0-9-]*$/.test(feed)) { return; }
  var limit = parseInt(script.getAttribute("data-limit") || "5", 10);
  if (!(limit > 0)) { limit = 5; }
  limit = Math.min(limit, 50);
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || undefined;
  var base = script.src.replace(/[^\/]*$/, "");

  var container = document.createElement("div");
  container.className = "newsdesk-embed";
  container.setAttribute("data-feed", feed);
  var targetSelector = script.getAttribute("data-target");
  var target = targetSelector ? document.querySelector(targetSelector) : null;
  if (target) {
    target.appendChild(container);
  } else {
    script.parentNode.insertBefore(container, script.nextSibling);
  }

  if (!document.getElementById("newsdesk-embed-style")) {
    var style = document.createElement("style");
    style.id = "newsdesk-embed-style";
    style.textContent =
      ":where(.newsdesk-list){list-style:none;margin:0;padding:0}" +
      ":where(.newsdesk-item){padding:.5em 0;border-bottom:1px solid #ddd}" +
      ":where(.newsdesk-title){font-weight:600}" +
      ":where(.newsdesk-date){display:block;color:#777;font-size:.85em}" +
      ":where(.newsdesk-summary){margin:.2em 0 0}";
    document.head.appendChild(style);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    if (text) { node.textContent = String(text); }
    return node;
  }

  function webUrl(value) {
    try {
      var url = new URL(String(value), base);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function dayText(year, month, day) {
    var when = new Date(Date.UTC(year, month - 1, day));
    var options = { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" };
    try {
      return when.toLocaleDateString(lang, options);
    } catch (error) {  // a data-lang the browser does not know
      return when.toLocaleDateString(undefined, options);
    }
  }

  function render(data) {
    var list = element("ul", "newsdesk-list");
    var items = (data && Array.isArray(data.items)) ? data.items.slice(0, limit) : [];
    items.forEach(function (item) {
      var entry = element("li", "newsdesk-item");
      var href = item.url ? webUrl(item.url) : null;
      var title = element(href ? "a" : "span", "newsdesk-title", item.title || "");
      if (href) { title.href = href; title.rel = "noopener"; }
      entry.appendChild(title);
      if (item.language && data.language && item.language !== data.language) { entry.lang = item.language; }
      // Dates come written in the site's zone: the day is the one in the string, not the visitor's.
      var published = item.date_published ? String(item.date_published) : "";
      var day = /^(\d{4})-(\d{2})-(\d{2})/.exec(published);
      if (day) {
        var date = element("time", "newsdesk-date", dayText(+day[1], +day[2], +day[3]));
        date.setAttribute("datetime", published);
        entry.appendChild(date);
      }
      var summary = item.summary || item.content_text;
      if (summary) { entry.appendChild(element("p", "newsdesk-summary", summary)); }
      list.appendChild(entry);
    });
    container.textContent = "";
    container.appendChild(list);
  }

  fetch(base + feed + ".json", { credentials: "omit", mode: "cors" })
    .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
    .then(render)
    .catch(function () { container.textContent = "News are unavailable right now."; });
})();
