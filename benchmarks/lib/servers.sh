# Starting and stopping the servers a scenario compares: nginx, HAProxy and Tandem, each from a config
# generated into its own directory under BENCH_WORK, pinned to a core, tracked so that it is stopped on
# any exit. Each start function returns once the server listens on the port given, and records its pid
# in SERVER_PID[NAME]. Servers are started as `taskset ... SERVER &` (taskset and bin/tandem exec the
# server), never through a shell function, so that $! is the server's own pid and not a subshell's.

# server_dir NAME: the directory of a server's config, pid file, temp files and logs (created).
server_dir() {
  mkdir -p "$BENCH_WORK/$1"
  echo "$BENCH_WORK/$1"
}

# ---- nginx ----

# nginx_conf NAME WORKERS [MASTER_PROCESS] <<<SERVERS: writes the config of the nginx server NAME and
# prints its path. Its http {} block has what every one of ours has (private temp paths, not
# /var/lib/nginx; no access log; keep-alive connections not cut after nginx's default 1000 requests), then
# the lines read on stdin (upstreams, servers). With MASTER_PROCESS off nginx is one process: the pid it
# runs as is all its CPU time, and a kill -9 of it closes its ports.
nginx_conf() {
  local workers=$2 master=${3:-on} dir
  dir=$(server_dir "$1")
  {
    cat <<EOF
daemon off;
master_process $master;
worker_processes $workers;
worker_rlimit_nofile 16384;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections 8192;
}
http {
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    access_log off;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    default_type text/plain;
EOF
    cat
    echo "}"
  } >"$dir/nginx.conf"
  echo "$dir/nginx.conf"
}

# nginx_start NAME CPU CONF PORT: checks the config (nginx -t), starts nginx in the foreground pinned to
# CPU, waits until PORT listens.
nginx_start() {
  local name=$1 cpu=$2 conf=$3 port=$4 dir pid
  dir=$(server_dir "$name")
  mkdir -p "$dir/tmp"
  nginx -q -t -p "$dir" -e "$dir/error.log" -c "$conf" >"$dir/check.log" 2>&1 \
      || die "$name: nginx rejects $conf: $(cat "$dir/check.log")"
  taskset -c "$cpu" nginx -p "$dir" -e "$dir/error.log" -c "$conf" >>"$dir/stdout.log" 2>&1 &
  pid=$!
  track "$name" "$pid"
  SERVER_PID[$name]=$pid
  wait_port "$port" 10 "$pid" || die "$name: nginx did not listen on $port: $(tail -5 "$dir/error.log" 2>/dev/null)"
}

# ---- HAProxy ----

# haproxy_conf_head DIR: the global and defaults sections of every HAProxy config of ours (one thread,
# keep-alive both ways). What the caller writes next may add to the defaults, then has the frontend and
# the backend.
haproxy_conf_head() {
  cat <<EOF
global
    nbthread 1
    maxconn 4096
    pidfile $1/haproxy.pid

defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 75s
EOF
}

# haproxy_start NAME CPU CONF PORT: checks the config (haproxy -c), starts HAProxy in the foreground
# (-db) pinned to CPU, waits until PORT listens.
haproxy_start() {
  local name=$1 cpu=$2 conf=$3 port=$4 dir pid
  dir=$(server_dir "$name")
  haproxy -q -c -f "$conf" >"$dir/check.log" 2>&1 || die "$name: haproxy rejects $conf: $(cat "$dir/check.log")"
  taskset -c "$cpu" haproxy -db -f "$conf" >"$dir/haproxy.log" 2>&1 &
  pid=$!
  track "$name" "$pid"
  SERVER_PID[$name]=$pid
  wait_port "$port" 10 "$pid" || die "$name: haproxy did not listen on $port: $(tail -5 "$dir/haproxy.log")"
}

# ---- Tandem ----

TANDEM_DIST=${TANDEM_DIST:-}

# Builds Tandem's distribution from this checkout (mvn package, never install) unless TANDEM_DIST points
# at one already.
tandem_build() {
  if [[ -n $TANDEM_DIST ]]; then
    [[ -x $TANDEM_DIST/bin/tandem || -f $TANDEM_DIST/bin/tandem ]] || die "TANDEM_DIST=$TANDEM_DIST has no bin/tandem"
    return
  fi
  mvn_package packaging
  TANDEM_DIST=$BENCH_REPO/packaging/target/tandem
}

# tandem_conf_head PORT: how every Tandem config of ours starts: one event loop, the admin listener on any
# free port (not the default 9090, which another node may hold), a plain HTTP listener on 127.0.0.1:PORT,
# and the site for every host, whose keys (upstream:, static:) the caller writes next, four spaces in.
tandem_conf_head() {
  cat <<EOF
workers: 1
admin:
  bind: 127.0.0.1:0
listeners:
  - name: http
    bind: 127.0.0.1:$1
sites:
  - hosts: ["*"]
EOF
}

# tandem_start NAME CPU CONF PORT: validates the config with `tandem check`, then runs
# `tandem run --config CONF` pinned to CPU (the JVM sees one processor), and waits until PORT listens.
# TANDEM_JAVA_OPTS is passed through (e.g. a JFR recording).
tandem_start() {
  local name=$1 cpu=$2 conf=$3 port=$4 dir pid
  dir=$(server_dir "$name")
  # The check runs without TANDEM_JAVA_OPTS: options such as a JFR recording are meant for the server.
  pinned "$BENCH_CPU_LOAD" env TANDEM_JAVA_OPTS= sh "$TANDEM_DIST/bin/tandem" check "$conf" >"$dir/check.log" 2>&1 \
      || die "$name: tandem check rejects $conf: $(cat "$dir/check.log")"
  taskset -c "$cpu" sh "$TANDEM_DIST/bin/tandem" run --config "$conf" >"$dir/tandem.log" 2>&1 &
  pid=$!
  track "$name" "$pid"
  SERVER_PID[$name]=$pid
  wait_port "$port" 30 "$pid" || die "$name: tandem did not listen on $port: $(tail -5 "$dir/tandem.log")"
}

# ---- any ----

# server_stop NAME: stops a server started by one of the above, and its descendants.
server_stop() {
  local name=$1 pid=${SERVER_PID[$1]:-}
  [[ -n $pid ]] || return 0
  stop_tree "$pid" "$name"
  untrack "$pid"
  unset 'SERVER_PID[$name]'
}

# server_alive NAME: true while the server's main process runs.
server_alive() {
  local pid=${SERVER_PID[$1]:-}
  [[ -n $pid && -d /proc/$pid ]] && [[ $(sed 's/^.*) //' /proc/"$pid"/stat | awk '{print $1}') != Z ]]
}
