// Viewer request on /track/*: every tracking link is served by the one tracking page, which
// reads the token from the address bar and asks /api/track/{token}. The token never becomes an
// S3 key, so a made-up link shows the page's own "not found", not a bucket error.
var PAGE = '/track/index.html';

function handler(event) {
  var request = event.request;
  request.uri = PAGE;
  return request;
}
