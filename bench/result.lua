-- wrk script for bench/proxy.sh: fixed request (built once), one RESULT line at the end.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.path = os.getenv("BENCH_PATH") or "/"
wrk.headers["Host"] = "localhost"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
wrk.headers["Accept-Language"] = "en-US,en;q=0.5"
wrk.headers["Accept-Encoding"] = "gzip, deflate, br"

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_us=%.0f p99_us=%.0f non2xx=%d errors=%d\n",
    summary.requests, summary.requests / secs,
    latency:percentile(50), latency:percentile(99),
    summary.errors.status, e.connect + e.read + e.write + e.timeout))
end
