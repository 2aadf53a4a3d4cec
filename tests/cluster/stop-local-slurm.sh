#!/usr/bin/env bash
# Stops what tests/cluster/start-local-slurm.sh started (slurmd, slurmctld, slurmdbd, mariadbd,
# munged), in reverse order, each by the pid in its pid file, and waits until each is gone.
# Configs, the accounting database and the packages stay, so the next start takes seconds.
# Idempotent: a daemon that is not running is skipped.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "stop-local-slurm: run as root" >&2; exit 1; }
for entry in slurmd:/run/slurm/slurmd.pid slurmctld:/run/slurm/slurmctld.pid \
             slurmdbd:/run/slurm/slurmdbd.pid mariadbd:/run/mysqld/mysqld.pid \
             munged:/run/munge/munged.pid; do
    daemon=${entry%%:*} pidfile=${entry#*:}
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # The pid must still be that daemon (not a recycled pid) before it is signalled.
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$daemon" ] || { rm -f "$pidfile"; continue; }
    echo "stop-local-slurm: stopping $daemon ($pid)" >&2
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "stop-local-slurm: $daemon ignored SIGTERM for 20 s; sending SIGKILL" >&2
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
done
