#!/usr/bin/env bash
# Prints the configuration of worker-scraping shard INDEX of COUNT from the template
# prometheus/shards/prometheus-shard.yml (docs/operations.md#sharding-the-worker-scrape):
#   scripts/prometheus-shard-config.sh 3 0 > prometheus/shards/prometheus-shard-0.yml
# REPLICA (default 0) names the replica of that shard when each shard runs as an HA pair.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-}
index=${2:-}
replica=${REPLICA:-0}
if ! [[ "$count" =~ ^[1-9][0-9]*$ ]]; then
  echo "prometheus-shard-config: COUNT '$count': expected a number of shards, 1 or more" >&2
  exit 2
fi
if ! [[ "$index" =~ ^[0-9]+$ ]] || [ "$index" -ge "$count" ]; then
  echo "prometheus-shard-config: INDEX '$index': expected a shard index from 0 to $((count - 1))" >&2
  exit 2
fi
if ! [[ "$replica" =~ ^[0-9]+$ ]]; then
  echo "prometheus-shard-config: REPLICA '$replica': expected a number" >&2
  exit 2
fi
sed -e "s/SHARD_COUNT/$count/g" \
    -e "s/prometheus-shard-SHARD_INDEX-0/prometheus-shard-$index-$replica/g" \
    -e "s/SHARD_INDEX/$index/g" \
    "$root/prometheus/shards/prometheus-shard.yml"
