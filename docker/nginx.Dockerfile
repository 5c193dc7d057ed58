# nginx from Debian's package: TLS and HTTP/2 in front of fremdrift, for
# docker/compose.yaml. Build from the repository root:
#
#   podman build -f docker/nginx.Dockerfile -t fremdrift-nginx .
#
# The certificate and its key are compose secrets (tls_cert, tls_key),
# never in the image.
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/* \
    && rm -f /etc/nginx/sites-enabled/default
COPY docker/nginx.conf /etc/nginx/nginx.conf
COPY docker/dhparam-ffdhe2048 /etc/nginx/ffdhe2048.dhparam
EXPOSE 80 443
# QUIT lets requests in flight finish.
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
