#!/usr/bin/env bash
# Measures the hostinfo service on loopback: time from exec to the first 200
# on /health, idle RSS, and wrk throughput of /health and /info side by side
# on the same server. Bounded: it stops by itself and kills what it started.
#
# Environment:
#   BENCH_BINARY    use this binary instead of building target/release/hostinfo
#   BENCH_CARGO_ARGS extra args for `cargo build --release` (e.g. --no-default-features)
#   BENCH_DURATION  wrk duration per run (default 5s)
#   BENCH_ROUNDS    rounds of /health then /info, interleaved; the best run
#                   of each endpoint is reported, as a shared 2-core machine
#                   is noisy (default 2)
#   BENCH_THREADS / BENCH_CONNECTIONS  wrk -t / -c (default 2 / 64)
#   BENCH_RUST_LOG  the server's RUST_LOG (default info: the access log is on,
#                   as in production; it goes to /dev/null)
set -euo pipefail

cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-5s}
threads=${BENCH_THREADS:-2}
connections=${BENCH_CONNECTIONS:-64}
rust_log=${BENCH_RUST_LOG:-info}
rounds=${BENCH_ROUNDS:-2}

command -v wrk >/dev/null || { echo "wrk is missing (apt-get install -y wrk)" >&2; exit 1; }

if [[ -n ${BENCH_BINARY:-} ]]; then
    binary=$BENCH_BINARY
else
    # shellcheck disable=SC2086 # word splitting of the extra args is wanted
    cargo build --release --quiet ${BENCH_CARGO_ARGS:-}
    binary=target/release/hostinfo
fi

# The free port every test and benchmark takes (scripts/stacktool/ports.py).
port=$(python3 scripts/stack.py free-port)
listen=127.0.0.1:$port

pid=
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

now_ns() { date +%s%N; }

# The binary's own health check is the poller: one fast exec per attempt.
started=$(now_ns)
HOSTINFO_LISTEN=$listen RUST_LOG=$rust_log "$binary" 2>/dev/null &
pid=$!
deadline=$((started + 5000000000))
until HOSTINFO_LISTEN=$listen "$binary" healthcheck 2>/dev/null; do
    if (($(now_ns) > deadline)); then
        echo "no 200 on /health within 5 s" >&2
        exit 1
    fi
done
ready_ms=$(( ($(now_ns) - started) / 1000000 ))

sleep 1
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")

run_wrk() {
    timeout 60 wrk -t"$threads" -c"$connections" -d"$duration" --latency "http://$listen$1"
}
summarise() {
    # wrk prints "Requests/sec: N" and a latency distribution with "99% X".
    awk '/^Requests\/sec:/ {rps=$2} $1 == "99%" {p99=$2} END {printf "%s %s\n", rps, p99}'
}

health_rps=0 health_p99=- info_rps=0 info_p99=-
higher() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a > b)}'; }
for round in $(seq "$rounds"); do
    read -r rps p99 < <(run_wrk /health | summarise)
    echo "round $round /health: $rps req/s, p99 $p99"
    if higher "$rps" "$health_rps"; then health_rps=$rps health_p99=$p99; fi
    read -r rps p99 < <(run_wrk /info | summarise)
    echo "round $round /info:   $rps req/s, p99 $p99"
    if higher "$rps" "$info_rps"; then info_rps=$rps info_p99=$p99; fi
done
ratio=$(awk -v a="$info_rps" -v b="$health_rps" 'BEGIN {printf "%.2f", a / b}')

echo "binary:               $binary ($(stat -c %s "$binary") bytes)"
echo "exec to first 200:    ${ready_ms} ms (goal < 50)"
echo "idle RSS:             $((rss_kb / 1024)).$(( (rss_kb % 1024) * 10 / 1024 )) MB (${rss_kb} kB, goal < 10 MB)"
echo "wrk:                  -t$threads -c$connections -d$duration, best of $rounds, RUST_LOG=$rust_log"
printf '/health:              %10s req/s   p99 %s\n' "$health_rps" "$health_p99"
printf '/info:                %10s req/s   p99 %s\n' "$info_rps" "$info_p99"
echo "ratio info/health:    $ratio (goal >= 0.80)"
