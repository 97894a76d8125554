// Syndication plan panel: a live character count and preview of each planned post.
//
// Counts as each network counts (see channels/adapters): graphemes with Intl.Segmenter for
// Bluesky; for Mastodon (a spec with `url_weight`) as mastodon_length in adapters/mastodon.py does:
// every URL as `url_weight` characters, `@user@domain` as `@user`, then grapheme clusters (an emoji
// family or a flag is one); code points for the others, like Python's len(). The link is appended
// the way the adapter's `compose` appends it (the server gives each account's composition as a
// template). The server checks the same rules again on save; this is only a help while typing.
(function () {
  "use strict";

  // The same patterns as URL_RE and MENTION_RE in channels/adapters/mastodon.py.
  var URL_PATTERN = /https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'\u2019]/g;
  // \w of Python's regex module: letters, marks, decimal digits, connector punctuation.
  var MENTION_PATTERN =
    /(?<![\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\/])@([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}]+)@[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}.-]+[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}]/gu;
  var segmenter = null;
  if (typeof Intl !== "undefined" && typeof Intl.Segmenter === "function") {
    segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  }

  function countGraphemes(text) {
    if (!segmenter) return Array.from(text).length;
    var count = 0;
    var iterator = segmenter.segment(text)[Symbol.iterator]();
    while (!iterator.next().done) count += 1;
    return count;
  }

  function countText(text, spec) {
    if (spec.url_weight) {
      // Mastodon's way: links and remote mentions shortened, then user-perceived characters.
      var stand_in = new Array(spec.url_weight + 1).join("x");
      text = text.replace(URL_PATTERN, function () { return stand_in; });
      text = text.replace(MENTION_PATTERN, "@$1");
      return countGraphemes(text);
    }
    return spec.counted_as === "graphemes" ? countGraphemes(text) : Array.from(text).length;
  }

  function compose(text, link, spec) {
    if (!link || text.indexOf(link) !== -1) return text;
    var composed = spec.template.replace(/\{\{|\}\}|\{text\}|\{link\}/g, function (token) {
      if (token === "{text}") return text;
      if (token === "{link}") return link;
      return token.charAt(0);
    });
    return composed.trim();
  }

  function format(message, values) {
    return message.replace(/\{(\w+)\}/g, function (token, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : token;
    });
  }

  function field(root, suffix) {
    return root.querySelector("[name$='-" + suffix + "']");
  }

  function chosenImage(input) {
    if (!input) return null;
    var chooser = document.getElementById(input.id + "-chooser");
    if (!input.value || !chooser || chooser.classList.contains("blank")) return null;
    var image = chooser.querySelector("[data-chooser-image]");
    return image && image.getAttribute("src") ? image.getAttribute("src") : null;
  }

  function Panel(root) {
    this.root = root;
    try {
      this.accounts = JSON.parse(root.getAttribute("data-plan-accounts") || "{}");
    } catch (error) {
      this.accounts = {};
    }
    this.form = root.closest("form") || document;
  }

  Panel.prototype.summary = function () {
    var summary = this.form.querySelector("[name='summary']");
    return (summary ? summary.value : this.root.getAttribute("data-plan-summary") || "").trim();
  };

  Panel.prototype.heroAlt = function () {
    var alt = this.form.querySelector("[name='hero_image_alt']");
    return (alt ? alt.value : this.root.getAttribute("data-plan-hero-alt") || "").trim();
  };

  Panel.prototype.message = function (name, values) {
    return format(this.root.getAttribute("data-msg-" + name) || "", values || {});
  };

  Panel.prototype.updateAll = function () {
    var children = this.root.querySelectorAll("[data-inline-panel-child]");
    var summary = this.summary();
    for (var i = 0; i < children.length; i += 1) this.update(children[i], summary);
  };

  Panel.prototype.update = function (child, summary) {
    var preview = child.querySelector("[data-plan-preview]");
    var account = field(child, "account");
    var textarea = field(child, "text");
    if (!preview || !account || !textarea) return;
    if (textarea.getAttribute("placeholder") !== summary) textarea.setAttribute("placeholder", summary);
    var spec = this.accounts[account.value];
    var counter = preview.querySelector("[data-plan-counter]");
    var textOut = preview.querySelector("[data-plan-post-text]");
    var linkOut = preview.querySelector("[data-plan-post-link]");
    var imageOut = preview.querySelector("[data-plan-post-image]");
    this.showAvailability(child, account, spec);
    if (!spec) {
      counter.textContent = "";
      counter.classList.remove("plan-counter--over");
      textOut.textContent = "";
      linkOut.textContent = "";
      linkOut.removeAttribute("href");
      imageOut.textContent = "";
      return;
    }
    var campaign = field(child, "utm_campaign");
    var link = spec.link;
    if (campaign && campaign.value.trim()) {
      link = link.replace(/([?&]utm_campaign=)[^&]*/, "$1" + encodeURIComponent(campaign.value.trim()));
    }
    var text = textarea.value.trim() || summary;
    var composed = compose(text, link, spec);
    var length = countText(composed, spec);
    var over = length > spec.max_chars;
    var status = this.message("count", { count: length, max: spec.max_chars, unit: spec.unit });
    if (over) status += " — " + this.message("over", { network: spec.network });
    counter.textContent = status;
    counter.classList.toggle("plan-counter--over", over);
    counter.setAttribute("data-count", String(length));
    textOut.textContent = composed;
    linkOut.textContent = link;
    linkOut.setAttribute("href", link);
    // The link is shown on its own only when the network does not put it in the text (a card).
    linkOut.parentNode.hidden = composed.indexOf(link) !== -1;
    this.showImage(child, imageOut, spec);
  };

  Panel.prototype.showImage = function (child, out, spec) {
    var imageInput = field(child, "image");
    var altInput = field(child, "image_alt");
    var own = chosenImage(imageInput);
    var src = own || chosenImage(this.form.querySelector("[name='hero_image']"));
    var alt = (altInput ? altInput.value.trim() : "") || (own ? "" : this.heroAlt());
    out.textContent = "";
    if (!src) {
      var none = document.createElement("figcaption");
      none.textContent = spec.requires_media ? this.message("needs-image", { network: spec.network }) : this.message("no-image");
      if (spec.requires_media) none.className = "plan-availability--blocked";
      out.appendChild(none);
      return;
    }
    var image = document.createElement("img");
    image.src = src;
    image.alt = alt;
    out.appendChild(image);
    var caption = document.createElement("figcaption");
    caption.textContent = alt || this.message("needs-alt");
    if (!alt) caption.className = "plan-availability--blocked";
    out.appendChild(caption);
  };

  Panel.prototype.showAvailability = function (child, account, spec) {
    var note = child.querySelector("[data-plan-availability]");
    if (!note) {
      note = document.createElement("p");
      note.setAttribute("data-plan-availability", "");
      note.setAttribute("aria-live", "polite");
      account.parentNode.appendChild(note);
    }
    var unavailable = spec && !spec.available;
    note.textContent = unavailable ? spec.reason : "";
    var className = "plan-availability" + (spec && spec.blocking ? " plan-availability--blocked" : "");
    if (note.className !== className) note.className = className;
    if (note.hidden !== !unavailable) note.hidden = !unavailable;
  };

  function init(root) {
    if (root.planPanel) return;
    var panel = new Panel(root);
    root.planPanel = panel;
    var scheduled = false;
    var refresh = function () {
      if (scheduled) return;
      scheduled = true;
      window.requestAnimationFrame(function () {
        scheduled = false;
        panel.updateAll();
      });
    };
    panel.form.addEventListener("input", refresh);
    panel.form.addEventListener("change", refresh);
    // Choosing an image or adding a planned post changes the page without an input event.
    if (typeof MutationObserver === "function") {
      // Ignore the changes this script makes to its own previews, or it would feed itself.
      var ownOutput = function (node) {
        var element = node.nodeType === 1 ? node : node.parentElement;
        return element && element.closest("[data-plan-preview], [data-plan-availability]");
      };
      new MutationObserver(function (records) {
        for (var i = 0; i < records.length; i += 1) {
          if (!ownOutput(records[i].target)) {
            refresh();
            return;
          }
        }
      }).observe(panel.form, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["class", "src", "value"],
      });
    }
    panel.updateAll();
  }

  function start() {
    var roots = document.querySelectorAll("[data-plan-panel]");
    for (var i = 0; i < roots.length; i += 1) init(roots[i]);
  }

  // Exposed for the browser tests and for anyone embedding the counter elsewhere.
  window.vertelPlanCount = function (text, spec) { return countText(text, spec); };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
