// Viewer request on a site's pages (the S3 origin): "/dir/" serves "/dir/index.html", and a
// path without an extension ("/dir") is redirected to "/dir/" so relative links resolve.
//
// A redirect never leaves the site: "//evil.example/x" or "/\evil.example/x" would be read by a
// browser as another host, and browsers drop tabs and newlines before they read a URL. So the
// leading run of slashes, backslashes, spaces and control characters becomes one "/", and any
// backslash or control character left is percent-encoded (nor can CR/LF split the header).
var LEADING = /^[\/\\\x00-\x20\x7f]+/;
var UNSAFE = /[\\\x00-\x20\x7f]/g;

function encode(ch) {
  var hex = ch.charCodeAt(0).toString(16).toUpperCase();
  return '%' + (hex.length < 2 ? '0' + hex : hex);
}

function queryString(querystring) {
  var parts = [];
  for (var name in querystring) {
    var entry = querystring[name];
    var values = entry.multiValue ? entry.multiValue : [entry];
    for (var i = 0; i < values.length; i++) {
      parts.push(values[i].value === '' ? name : name + '=' + values[i].value);
    }
  }
  return parts.length ? '?' + parts.join('&') : '';
}

function handler(event) {
  var request = event.request;
  var uri = request.uri.replace(LEADING, '/');
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
    return request;
  }
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    var location = (uri + '/' + queryString(request.querystring)).replace(UNSAFE, encode);
    return {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: { location: { value: location } }
    };
  }
  request.uri = uri;
  return request;
}
