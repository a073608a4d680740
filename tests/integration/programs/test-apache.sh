#!/bin/bash
# Apache httpd 2.4 (Debian apache2) with mod_ssl serves HTTPS with dstack
# keys, fetched by curl; the certificate's public key is the dstack key's:
#   - a P-256 key from a reference file (SSLCertificateKeyFile ref-web.pem),
#     through the provider;
#   - an RSA-2048 key by `SSLCertificateKeyFile "pkcs11:..."` through the
#     libp11 engine (SSLCryptoDevice pkcs11 makes it the default engine) on
#     our module, in the same process as the provider.
# Then, with the simulator stopped at start, Apache refuses to start and its
# error log holds the project's message (key, socket, what to do).
# Apache gets OPENSSL_CONF from its environment (on Debian: export it in
# /etc/apache2/envvars, docs/recipes.md).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/progslib.sh"
APACHE=/usr/sbin/apache2
MODS=/usr/lib/apache2/modules
need "$APACHE"
[ -f "$ENGINE_SO" ] || fail "libp11 engine not installed ($ENGINE_SO): run scripts/deps.sh test"

progs_setup
refs
engine_cnf "$TMP/engine.cnf"
export OPENSSL_CONF="$TMP/engine.cnf"
cert web
cert rsa

AP="$TMP/apache"
mkdir -p "$AP/htdocs"
PORT1=$(free_port)
PORT2=$(free_port)

# ap_conf KEYFILE-WEB: the configuration, with the web key given as $1.
ap_conf() {
    cat >"$AP/httpd.conf" <<CONF
ServerRoot $AP
ServerName localhost
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule ssl_module $MODS/mod_ssl.so
PidFile $AP/httpd.pid
DefaultRuntimeDir $AP
Mutex file:$AP default
ErrorLog $AP/error.log
LogLevel warn
User www-data
Group www-data
DocumentRoot $AP/htdocs
<Directory $AP/htdocs>
    Require all granted
</Directory>
SSLSessionCache none
SSLCryptoDevice pkcs11
Listen 127.0.0.1:$PORT1
Listen 127.0.0.1:$PORT2
<VirtualHost 127.0.0.1:$PORT1>
    SSLEngine on
    SSLCertificateFile $TMP/web.crt
    SSLCertificateKeyFile $1
</VirtualHost>
<VirtualHost 127.0.0.1:$PORT2>
    SSLEngine on
    SSLCertificateFile $TMP/rsa.crt
    SSLCertificateKeyFile "pkcs11:token=dstack;object=rsa;type=private"
</VirtualHost>
CONF
}

ap_conf "$TMP/ref-web.pem"
PORTS="$PORT1 $PORT2" SERVED_LOGS="$AP/error.log" serve apache "$AP/stdout" \
    "$APACHE" -f "$AP/httpd.conf" -DFOREGROUND
fetch apache-ref "$PORT1" web
fetch apache-engine "$PORT2" rsa
unserve
ok "apache mod_ssl: reference file (P-256) and pkcs11: through the libp11 engine (RSA-2048)"

# dstack down when Apache starts: it cannot start, and says why in its log,
# for the pkcs11: key (the module's message) and, with that virtual host
# taken out, for the reference file (the provider's).
sim_stop
ap_down() {
    rm -f "$AP/error.log"
    # it must exit by itself (timeout's 124: it was still running after 20 s)
    local rc=0
    timeout 20 "$APACHE" -f "$AP/httpd.conf" -DFOREGROUND >"$AP/stdout" 2>&1 || rc=$?
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "apache started with dstack down (exit $rc)"
    grep -q "error: key '$1'.*$SIM_SOCK.*check" "$AP/error.log" ||
        fail "apache's error log lacks the project's message for $1: $(cat "$AP/error.log" "$AP/stdout")"
}
ap_down rsa
sed -i "/<VirtualHost 127.0.0.1:$PORT2>/,/<\/VirtualHost>/d" "$AP/httpd.conf"
ap_down web
ok "dstack down at start: apache's error log names the key, the socket and the fix"
