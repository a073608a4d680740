#!/bin/sh
# Entry point: a reference file and a certificate for the dstack key 'web'
# (the certificate is made now, with the key the agent gives this app), then
# nginx in the foreground. APP_HOSTNAME names the certificate's subject;
# LISTEN is nginx's listen address (443, or 127.0.0.1:8443).
set -eu
name=${APP_HOSTNAME:-localhost}
mkdir -p /run/dstack-app
dstack-key ref web >/run/dstack-app/web.pem
dstack-key cert web --subject "/CN=$name" --san "DNS:$name" --days 30 >/run/dstack-app/web.crt.new
mv /run/dstack-app/web.crt.new /run/dstack-app/web.crt
sed -i "s/^\( *listen \)[^ ]* ssl;/\1${LISTEN:-443} ssl;/" /etc/nginx/conf.d/https.conf
echo "start.sh: HTTPS on ${LISTEN:-443} with the dstack key web, certificate for $name"
exec nginx -g 'daemon off;'
