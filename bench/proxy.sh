#!/usr/bin/env bash
# Whole-proxy benchmark on loopback, in one run: the upstream directly, nginx as a plain
# reverse proxy (when installed), Palisade as a plain proxy (WAF off) and Palisade with the
# OWASP CRS at paranoia level 1 in blocking mode (its embedded default), each measured with
# wrk against the same upstream. Prints requests/s, p50/p99 latency, the proxy's CPU time per
# request (from /proc/PID/stat of its process tree) and the ratios against nginx and against
# the plain Palisade.
#
#   bench/proxy.sh                      build release, run, print the table
#   DURATION=10 REPEATS=3 CONNS=32 THREADS=2 bench/proxy.sh
#   CRS=0 bench/proxy.sh                skip the CRS row (no CRS checkout at hand)
#
# The CRS row needs a CRS checkout (PALISADE_CRS_DIR, or ../shared/crs, or data/crs from
# `palisade rules fetch-crs`).
#
# Needs: wrk, and nginx for the upstream and the nginx peer (apt-get install wrk nginx).
# Every process started here is stopped here, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10}"
REPEATS="${REPEATS:-3}"
CONNS="${CONNS:-32}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-2}"
PORT_UPSTREAM="${PORT_UPSTREAM:-18000}"
PORT_NGINX="${PORT_NGINX:-18080}"
PORT_PALISADE="${PORT_PALISADE:-18090}"
PORT_ADMIN="${PORT_ADMIN:-18091}"
PORT_PALISADE_CRS="${PORT_PALISADE_CRS:-18092}"
PORT_ADMIN_CRS="${PORT_ADMIN_CRS:-18093}"
CRS="${CRS:-1}"
BENCH_PATH="${BENCH_PATH:-/products/search?q=running+shoes&category=sport&sort=price_asc&page=2}"
export BENCH_PATH
CLK_TCK="$(getconf CLK_TCK)"

command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 2; }
NGINX="$(command -v nginx || true)"
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx

STATE="$(mktemp -d "${TMPDIR:-/tmp}/palisade-bench.XXXXXX")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$STATE"
}
trap cleanup EXIT INT TERM

wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: nothing listens on port $1" >&2
  return 1
}

# CPU ticks (user+system) of a process and its descendant processes (-T: a process's stat
# already sums its threads; counting threads again would double it).
tree_ticks() {
  local total=0 pid
  for pid in $(pstree -p -T "$1" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()' || echo "$1"); do
    if [ -r "/proc/$pid/stat" ]; then
      total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    fi
  done
  echo "$total"
}

cargo build --release -q -p palisade
BIN="${CARGO_TARGET_DIR:-target}/release/palisade"

mkdir -p "$STATE/tmp"
if [ -n "$NGINX" ]; then
  cat > "$STATE/upstream.conf" <<CONF
worker_processes 1;
daemon off;
pid $STATE/upstream.pid;
error_log $STATE/upstream.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $STATE/tmp;
  proxy_temp_path $STATE/tmp;
  fastcgi_temp_path $STATE/tmp;
  uwsgi_temp_path $STATE/tmp;
  scgi_temp_path $STATE/tmp;
  server {
    listen 127.0.0.1:$PORT_UPSTREAM backlog=4096;
    location / { return 200 "ok\n"; }
  }
}
CONF
  cat > "$STATE/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $STATE/nginx.pid;
error_log $STATE/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $STATE/tmp;
  proxy_temp_path $STATE/tmp;
  fastcgi_temp_path $STATE/tmp;
  uwsgi_temp_path $STATE/tmp;
  scgi_temp_path $STATE/tmp;
  upstream backend { server 127.0.0.1:$PORT_UPSTREAM; keepalive 64; }
  server {
    listen 127.0.0.1:$PORT_NGINX backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
CONF
  "$NGINX" -e "$STATE/upstream.err" -c "$STATE/upstream.conf" & PIDS+=($!)
  wait_port "$PORT_UPSTREAM"
  "$NGINX" -e "$STATE/nginx.err" -c "$STATE/nginx.conf" & PID_NGINX=$!; PIDS+=($PID_NGINX)
  wait_port "$PORT_NGINX"
else
  echo "bench: nginx is missing (apt-get install nginx); it is the upstream for every row" >&2
  exit 2
fi

# Plain Palisade: one site, WAF off.
cat > "$STATE/plain.toml" <<CONF
data_dir = "$STATE/data-plain"
[admin]
listen = "127.0.0.1:$PORT_ADMIN"
[[listener]]
name = "http"
address = "127.0.0.1:$PORT_PALISADE"
[[upstream]]
name = "backend"
targets = ["http://127.0.0.1:$PORT_UPSTREAM"]
[[site]]
name = "bench"
hosts = ["*"]
upstream = "backend"
[site.waf]
mode = "off"
CONF
RUST_LOG=warn "$BIN" serve --config "$STATE/plain.toml" >"$STATE/palisade.out" 2>&1 &
PID_PALISADE=$!; PIDS+=($PID_PALISADE)
wait_port "$PORT_PALISADE"

# Palisade on embedded defaults: CRS PL1, blocking, anomaly threshold 5.
PID_CRS=""
if [ "$CRS" = 1 ]; then
  RUST_LOG=warn "$BIN" serve --upstream "http://127.0.0.1:$PORT_UPSTREAM" \
    --listen "127.0.0.1:$PORT_PALISADE_CRS" --admin-listen "127.0.0.1:$PORT_ADMIN_CRS" \
    --data-dir "$STATE/data-crs" >"$STATE/palisade-crs.out" 2>&1 & PID_CRS=$!; PIDS+=($PID_CRS)
  wait_port "$PORT_PALISADE_CRS"
  for _ in $(seq 1 50); do grep -q "CRS from" "$STATE/palisade-crs.out" && break; sleep 0.1; done
  grep -q "CRS from" "$STATE/palisade-crs.out" || {
    echo "bench: the CRS gateway did not load CRS:" >&2; cat "$STATE/palisade-crs.out" >&2; exit 2; }
fi

run_one() { # name port pid -> "rps p50 p99 cpu_us_per_req errors"
  local name=$1 port=$2 pid=${3:-} out t0 t1 requests
  wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s bench/result.lua "http://127.0.0.1:$port" >/dev/null
  t0=0; [ -n "$pid" ] && t0=$(tree_ticks "$pid")
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/result.lua "http://127.0.0.1:$port" | grep '^RESULT')
  t1=0; [ -n "$pid" ] && t1=$(tree_ticks "$pid")
  requests=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$out")
  local rps p50 p99 errs non2xx cpu
  rps=$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$out")
  p50=$(sed -E 's/.*p50_us=([0-9]+).*/\1/' <<<"$out")
  p99=$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<<"$out")
  errs=$(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$out")
  non2xx=$(sed -E 's/.*non2xx=([0-9]+).*/\1/' <<<"$out")
  if [ -n "$pid" ] && [ "$requests" -gt 0 ]; then
    cpu=$(awk -v a="$t0" -v b="$t1" -v n="$requests" -v hz="$CLK_TCK" 'BEGIN{printf "%.1f", (b-a)/hz*1e6/n}')
  else
    cpu="-"
  fi
  echo "$name $rps $p50 $p99 $cpu $((errs + non2xx))"
}

echo "bench: wrk -t$THREADS -c$CONNS, ${DURATION}s x $REPEATS, GET $BENCH_PATH"
RESULTS="$STATE/results.txt"
: > "$RESULTS"
for r in $(seq 1 "$REPEATS"); do
  run_one upstream "$PORT_UPSTREAM" >> "$RESULTS"
  [ -n "$NGINX" ] && run_one nginx "$PORT_NGINX" "$PID_NGINX" >> "$RESULTS"
  run_one palisade "$PORT_PALISADE" "$PID_PALISADE" >> "$RESULTS"
  [ -n "$PID_CRS" ] && run_one palisade-crs "$PORT_PALISADE_CRS" "$PID_CRS" >> "$RESULTS"
done

# Median of the repeats per target.
python3 - "$RESULTS" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    name, rps, p50, p99, cpu, errs = line.split()
    rows.setdefault(name, []).append((float(rps), float(p50), float(p99), None if cpu == "-" else float(cpu), int(errs)))
def med(xs): 
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
table = {}
print(f"{'target':<13} {'req/s':>10} {'p50 us':>8} {'p99 us':>8} {'CPU us/req':>11} {'errors':>7}")
for name, rs in rows.items():
    m = tuple(med([r[i] for r in rs]) for i in range(4)) + (sum(r[4] for r in rs),)
    table[name] = m
    cpu = "-" if m[3] is None else f"{m[3]:.1f}"
    print(f"{name:<13} {m[0]:>10.0f} {m[1]:>8.0f} {m[2]:>8.0f} {cpu:>11} {m[4]:>7}")
if "nginx" in table and "palisade" in table:
    p, n = table["palisade"], table["nginx"]
    print(f"ratio palisade/nginx: throughput {p[0]/n[0]:.2f}x, p99 {p[2]/n[2]:.2f}x"
          + (f", CPU per request {p[3]/n[3]:.2f}x" if p[3] and n[3] else ""))
if "palisade-crs" in table and "palisade" in table:
    c, p = table["palisade-crs"], table["palisade"]
    print(f"ratio palisade-crs/palisade: throughput {c[0]/p[0]:.2f}x, p99 {c[2]/p[2]:.2f}x"
          + (f", CPU per request {c[3]/p[3]:.2f}x (+{c[3]-p[3]:.1f} us for CRS PL1)" if c[3] and p[3] else ""))
PY
