// Viewer request on function routes: hand the viewer's Host to the origin as X-Forwarded-Host.
// A Function URL rejects a foreign Host, yet handlers need the public host to write links back
// to their own site. Whatever X-Forwarded-Host the viewer sent is replaced, never trusted.
function handler(event) {
  var request = event.request;
  var host = request.headers.host ? request.headers.host.value : '';
  request.headers['x-forwarded-host'] = { value: host };
  return request;
}
