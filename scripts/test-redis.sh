#!/usr/bin/env bash
# Starts (or stops) a throw-away Redis server for the tests and benchmarks, on loopback only and
# without persistence (rate-limit counters are worth nothing after a restart).
#   scripts/test-redis.sh start   -> prints the configuration string (CUSTOMMODELS_REDIS) on stdout
#   scripts/test-redis.sh stop
set -euo pipefail
port="${CUSTOMMODELS_TEST_REDIS_PORT:-56379}"
dir="${CUSTOMMODELS_TEST_REDIS_DIR:-/tmp/custom-models-test-redis}"

case "${1:-start}" in
  start)
    if ! redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
      mkdir -p "$dir"
      redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
      for _ in $(seq 50); do
        redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.1
      done
      redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null
    fi
    echo "127.0.0.1:$port"
    ;;
  stop)
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    ;;
esac
