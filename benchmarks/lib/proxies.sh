# The common reverse-proxy setup: backends, and nginx / HAProxy / Tandem configured the same way in front
# of them. Every proxy:
#   - listens on 127.0.0.1:PORT, one worker / one thread / one event loop;
#   - spreads requests 1:1 over the backends by (smooth) weighted round robin;
#   - keeps idle keep-alive connections to the backends (nginx: 32 per backend, as a total of 32 x N
#     because nginx's `keepalive` is per worker for the whole upstream; HAProxy: `http-reuse always`;
#     Tandem: `keepalive: 32`, which is per backend per event loop);
#   - sends the same forwarding headers (Host kept, X-Forwarded-For, X-Real-IP, X-Forwarded-Proto,
#     X-Forwarded-Host, Forwarded), the set Tandem always sends;
#   - writes no access log.

BENCH_BACKEND_BODY_PAD=${BENCH_BACKEND_BODY_PAD:-}

# backends_start CPU PORT...: one nginx (1 worker) answering GET on every PORT with 200 and a small body
# naming the backend ("backend 1", "backend 2", ...), keep-alive unlimited, plus stub_status on its own
# port (BACKEND_STATUS_PORT) to count the connections the proxies open. Sets BACKEND_PORTS.
backends_start() {
  local cpu=$1 conf i=0 p
  shift
  BACKEND_PORTS=("$@")
  free_port BACKEND_STATUS_PORT
  conf=$({
    for p in "${BACKEND_PORTS[@]}"; do
      i=$((i + 1))
      cat <<EOF
    server {
        listen 127.0.0.1:$p backlog=4096;
        location / { return 200 "backend $i$BENCH_BACKEND_BODY_PAD\n"; }
    }
EOF
    done
    cat <<EOF
    server {
        listen 127.0.0.1:$BACKEND_STATUS_PORT;
        location / { stub_status; }
    }
EOF
  } | nginx_conf backends 1)
  nginx_start backends "$cpu" "$conf" "$BACKEND_STATUS_PORT"
  for p in "${BACKEND_PORTS[@]}"; do
    wait_port "$p" 10 || die "backend port $p does not listen"
  done
}

# Connections the backends accepted since they started (nginx stub_status "accepts").
backends_accepted() {
  curl -s --max-time 2 "http://127.0.0.1:$BACKEND_STATUS_PORT/" | awk 'NR == 3 { print $1 }'
}

# Workers of the proxy under test: nginx worker_processes, HAProxy nbthread, Tandem workers (event loops).
BENCH_PROXY_WORKERS=${BENCH_PROXY_WORKERS:-1}

# proxy_conf_nginx NAME PORT: writes the config of nginx as a proxy in front of BACKEND_PORTS; prints its path.
proxy_conf_nginx() {
  local name=$1 port=$2 p
  {
    echo "    upstream backends {"
    for p in "${BACKEND_PORTS[@]}"; do
      echo "        server 127.0.0.1:$p weight=1;"
    done
    cat <<EOF
        keepalive $((32 * ${#BACKEND_PORTS[@]}));
        keepalive_requests 1000000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:$port backlog=4096;
        location / {
            proxy_pass http://backends;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$host;
            proxy_set_header Forwarded "for=\$remote_addr;host=\$host;proto=\$scheme";
        }
    }
EOF
  } | nginx_conf "$name" "$BENCH_PROXY_WORKERS"
}

# proxy_conf_haproxy NAME PORT: writes the config of HAProxy (BENCH_PROXY_WORKERS threads) in front of BACKEND_PORTS.
proxy_conf_haproxy() {
  local name=$1 port=$2 dir i=0 p
  dir=$(server_dir "$name")
  {
    haproxy_conf_head "$dir" | sed "s/^    nbthread 1\$/    nbthread $BENCH_PROXY_WORKERS/"
    cat <<EOF

frontend proxy
    bind 127.0.0.1:$port
    option forwardfor
    http-request set-header X-Real-IP %[src]
    http-request set-header X-Forwarded-Proto http
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    http-request set-header Forwarded "for=%[src];host=%[req.hdr(host)];proto=http"
    default_backend backends

backend backends
    balance roundrobin
    http-reuse always
EOF
    for p in "${BACKEND_PORTS[@]}"; do
      i=$((i + 1))
      echo "    server b$i 127.0.0.1:$p weight 1"
    done
  } >"$dir/haproxy.cfg"
  echo "$dir/haproxy.cfg"
}

# proxy_conf_tandem NAME PORT: writes the config of Tandem (BENCH_PROXY_WORKERS event loops) in front of BACKEND_PORTS.
proxy_conf_tandem() {
  local name=$1 port=$2 dir p
  dir=$(server_dir "$name")
  {
    tandem_conf_head "$port" | sed "s/^workers: 1\$/workers: $BENCH_PROXY_WORKERS/"
    cat <<EOF
    upstream: backends
upstreams:
  backends:
    balance: weighted-round-robin
    servers:
EOF
    for p in "${BACKEND_PORTS[@]}"; do
      echo "      - { address: 127.0.0.1:$p, weight: 1 }"
    done
    cat <<EOF
    keepalive: 32
access_log: off
EOF
  } >"$dir/tandem.yaml"
  echo "$dir/tandem.yaml"
}

# proxy_conf_tandem_routes NAME PORT: Tandem's config of proxy_conf_tandem with routes in the site: 100 routes
# (10 exact, 70 prefixes, 20 regexes, none of which the benchmark's path matches), and the route the
# benchmark's path takes (prefix /, so every regex is tried first) with 8 header rules of its own after the
# site's 3. What routing costs per request is the difference with plain tandem in the same run.
proxy_conf_tandem_routes() {
  local name=$1 port=$2 dir conf i
  dir=$(server_dir "$name")
  conf=$(proxy_conf_tandem "$name" "$port")
  {
    tandem_conf_head "$port"
    echo '    upstream: backends'
    echo '    headers:'
    echo '      request: { set: { X-Site: bench, X-Scheme: "$scheme" }, remove: [X-Debug] }'
    echo '    routes:'
    for ((i = 0; i < 10; i++)); do echo "      - { exact: /health$i, return: { status: 200, body: ok } }"; done
    for ((i = 0; i < 35; i++)); do
      echo "      - { prefix: /app$i/, upstream: backends }"
      echo "      - { prefix: /app$i/api/, upstream: backends, strip_prefix: true }"
    done
    for ((i = 0; i < 20; i++)); do echo "      - { regex: '\\.(ext$i|x$i)\$', ignore_case: true, upstream: backends }"; done
    echo '      - prefix: /'
    echo '        upstream: backends'
    echo '        headers:'
    echo '          request: { set: { X-Route: root, X-Host: "$host", X-Uri: "$uri" }, add: { X-Node: "$node" }, remove: [X-Forbidden] }'
    echo '          response: { set: { X-Frame-Options: DENY, X-Content-Type-Options: nosniff }, remove: [X-Powered-By] }'
    sed -n '/^upstreams:/,$p' "$conf"
  } >"$dir/tandem-routes.yaml"
  echo "$dir/tandem-routes.yaml"
}

tandem_routes_start() {
  tandem_start "$@"
}

# proxy_start KIND NAME CPU PORT: generates the config for KIND (nginx, haproxy, tandem) and starts it.
proxy_start() {
  local kind=$1 name=$2 cpu=$3 port=$4 conf
  conf=$("proxy_conf_$kind" "$name" "$port")
  "${kind}_start" "$name" "$cpu" "$conf" "$port"
}

# proxy_check_spread URL: true when a few requests through the proxy reach every backend.
proxy_check_spread() {
  local url=$1 bodies i n=${#BACKEND_PORTS[@]}
  bodies=$(for ((i = 0; i < 4 * n; i++)); do curl -s --max-time 2 "$url"; echo; done)
  for ((i = 1; i <= n; i++)); do
    grep -qx "backend $i$BENCH_BACKEND_BODY_PAD" <<<"$bodies" || { log "backend $i never answered through $url"; return 1; }
  done
}
