#!/usr/bin/env bash
# summary: the hostile-request corpus through nginx and HAProxy (and Tandem when built), against one recording server
# Runs proxy/src/test/resources/hostile/corpus.txt through nginx and HAProxy, each in front of the same strict
# recording server on loopback, and prints per group how many cases each answered with the statuses the
# corpus expects, how many whole requests it forwarded where the corpus expects none, and how many targets
# reached the server changed. Tandem is asserted against the same corpus in CI (HostileCorpusTest); it runs
# here too when TANDEM_DIST (or packaging/target/tandem) holds a built distribution.
#
#   benchmarks/scenarios/hostile.sh
#
# Needs nginx, haproxy and python3. Everything listens on 127.0.0.1 only; nothing is timed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CORPUS=$REPO/proxy/src/test/resources/hostile/corpus.txt
WORK=$(mktemp -d /tmp/tandem-hostile-XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local i
  for i in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1" >&2
  return 1
}

BACKEND=$(free_port)
NGINX=$(free_port)
HAPROXY=$(free_port)
TANDEM=$(free_port)

cat >"$WORK/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/body;
  proxy_temp_path $WORK/proxy;
  client_header_buffer_size 1k;
  large_client_header_buffers 4 8k;
  client_max_body_size 1m;
  client_body_timeout 1s;
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 8; }
  server {
    listen 127.0.0.1:$NGINX;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_request_buffering off;
    }
  }
}
CONF
cat >"$WORK/haproxy.cfg" <<CONF
global
  maxconn 1000
defaults
  mode http
  timeout connect 2s
  timeout client 1s
  timeout server 5s
  timeout http-request 1s
  option forwardfor
frontend f
  bind 127.0.0.1:$HAPROXY
  default_backend b
backend b
  server s1 127.0.0.1:$BACKEND
CONF

nginx -c "$WORK/nginx.conf" -p "$WORK" 2>"$WORK/nginx.out" & PIDS+=($!)
haproxy -f "$WORK/haproxy.cfg" -db 2>"$WORK/haproxy.out" & PIDS+=($!)
targets=("nginx=$NGINX" "haproxy=$HAPROXY")

DIST=${TANDEM_DIST:-$REPO/packaging/target/tandem}
if [[ -f $DIST/bin/tandem ]]; then
  cat >"$WORK/tandem.yaml" <<CONF
workers: 1
listeners:
  - name: http
    bind: 127.0.0.1:$TANDEM
sites:
  - hosts: ["*"]
    upstream: web
upstreams:
  web:
    servers: [{ address: 127.0.0.1:$BACKEND }]
    retries: 0
limits: { max_header_bytes: 8k, max_body_bytes: 1m, client_timeout: 1s, keepalive_timeout: 5s }
admin:
  bind: 127.0.0.1:$(free_port)
CONF
  sh "$DIST/bin/tandem" run --config "$WORK/tandem.yaml" >"$WORK/tandem.out" 2>&1 & PIDS+=($!)
  targets=("tandem=$TANDEM" "${targets[@]}")
fi

wait_port "$NGINX"
wait_port "$HAPROXY"
if [[ ${targets[0]} == tandem=* ]]; then wait_port "$TANDEM"; fi
python3 "$REPO/benchmarks/lib/hostile_corpus.py" "$CORPUS" "$BACKEND" "${targets[@]}"
