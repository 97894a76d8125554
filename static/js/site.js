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
