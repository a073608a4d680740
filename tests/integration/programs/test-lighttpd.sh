#!/bin/bash
# lighttpd 1.4.69 (Debian lighttpd, mod_openssl) serves HTTPS with dstack
# keys from reference files: P-256 and RSA-2048 on two ports; curl fetches,
# the certificate's key is the dstack key's.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
LIGHTTPD=/usr/sbin/lighttpd
need "$LIGHTTPD"
[ -f /usr/lib/lighttpd/mod_openssl.so ] || fail "lighttpd-mod-openssl is not installed: run scripts/deps.sh test"

progs_setup
refs
cert web
cert rsa
LT="$TMP/lighttpd"
mkdir -p "$LT/htdocs"
echo "hello from lighttpd" >"$LT/htdocs/index.html"
PORT1=$(free_port)
PORT2=$(free_port)
cat >"$LT/lighttpd.conf" <<CONF
server.modules = ("mod_openssl")
server.document-root = "$LT/htdocs"
server.bind = "127.0.0.1"
server.port = $PORT1
server.errorlog = "$LT/error.log"
index-file.names = ("index.html")
ssl.engine = "enable"
ssl.pemfile = "$TMP/web.crt"
ssl.privkey = "$TMP/ref-web.pem"
\$SERVER["socket"] == "127.0.0.1:$PORT2" {
    ssl.engine = "enable"
    ssl.pemfile = "$TMP/rsa.crt"
    ssl.privkey = "$TMP/ref-rsa.pem"
}
CONF
PORTS="$PORT1 $PORT2" SERVED_LOGS="$LT/error.log" serve lighttpd "$LT/stdout" \
    "$LIGHTTPD" -D -f "$LT/lighttpd.conf"
fetch_both lighttpd "hello from lighttpd"
ok "lighttpd serves HTTPS with P-256 and RSA-2048 keys from reference files"
