// Click-to-load video: nothing is requested from the video host until the visitor asks for it.
document.addEventListener("click", function (event) {
  var link = event.target.closest(".video-link");
  if (!link) return;
  var figure = link.closest(".video[data-embed]");
  if (!figure || !figure.dataset.embed) return;
  event.preventDefault();
  var frame = document.createElement("iframe");
  frame.src = figure.dataset.embed;
  frame.title = link.textContent.trim();
  frame.allow = "autoplay; fullscreen; picture-in-picture";
  frame.setAttribute("allowfullscreen", "");
  frame.className = "video-frame";
  var poster = figure.querySelector("img, picture");
  if (poster) poster.replaceWith(frame); else figure.insertBefore(frame, figure.firstChild);
  frame.focus();
});

// Reach without tracking: a story opened through a channel's link (utm_source in the address)
// is counted once, by story, channel and day. No cookie, nothing about the reader; the address
// loses its utm_* part so a reload or a shared copy is not counted again.
(function () {
  var story = document.querySelector("[data-story-id]");
  if (!story || !window.URLSearchParams) return;
  var params = new URLSearchParams(window.location.search);
  var source = params.get("utm_source");
  if (!source) return;
  if (navigator.sendBeacon) {
    var body = new URLSearchParams({ page: story.getAttribute("data-story-id"), source: source });
    navigator.sendBeacon("/reach/", body);
  }
  if (window.history && history.replaceState) {
    ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (key) {
      params.delete(key);
    });
    var query = params.toString();
    history.replaceState(history.state, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
  }
})();
