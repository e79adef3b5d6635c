// Viewer request on the brand site's /g/*: a guest code (/g/XHQGMDH42, any case, trailing
// slash or not) is served from the flat object g/<code>.html that the charter intake publishes.
// A path that is not a code maps to a key that cannot exist, so the guest sees the 404 page.
var CODE = /^\/g\/([2-9A-HJ-NP-TV-Z]{9})\/?$/i;

function handler(event) {
  var request = event.request;
  var match = request.uri.match(CODE);
  request.uri = match ? '/g/' + match[1].toLowerCase() + '.html' : '/g/-not-a-guest-code-.html';
  return request;
}
