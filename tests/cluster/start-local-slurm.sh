#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for tests/cluster/test_slurm.py and for trying
# profiles/slurm by hand. Debian/Ubuntu, run as root, no systemd needed: every daemon is started
# directly. Idempotent: installs what is missing, rewrites the configs, starts what is not
# running, and returns once `sinfo` shows the node idle and `sacct` answers.
#
#   tests/cluster/start-local-slurm.sh     # ~15 s when installed, ~1-2 min with the apt step
#   tests/cluster/stop-local-slurm.sh
#
# slurmdbd (with MariaDB) is not optional: the Snakemake SLURM executor polls job status with
# `sacct`, and without accounting storage sacct fails and the run waits forever, silently.
set -euo pipefail

CLUSTER=${SLURM_CLUSTER_NAME:-localcluster}
PARTITION=${SLURM_PARTITION:-debug}
ACCOUNT=${SLURM_TEST_ACCOUNT:-workflow}
DB_PASS=${SLURM_DB_PASS:-slurmdbpass}
ETC=/etc/slurm
LOG=/var/log/slurm
RUN=/run/slurm
TIMEOUT=${SLURM_START_TIMEOUT:-120}

say() { echo "start-local-slurm: $*" >&2; }
die() { say "error: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts daemons)"

# Wait until "$@" succeeds, or fail after $TIMEOUT seconds naming what did not come up.
wait_for() {
    local what=$1; shift
    local deadline=$((SECONDS + TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "$what did not come up in ${TIMEOUT}s (logs in $LOG, /var/log/munge)"
        sleep 0.5
    done
}
# Daemons are tracked by their pid files (the ones named in the configs below), never by name.
declare -A PIDFILE=(
    [munged]=/run/munge/munged.pid [mariadbd]=/run/mysqld/mysqld.pid
    [slurmdbd]=$RUN/slurmdbd.pid [slurmctld]=$RUN/slurmctld.pid [slurmd]=$RUN/slurmd.pid
)
pid_of() { cat "${PIDFILE[$1]}" 2>/dev/null || true; }
running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# ------------------------------------------------------------------------------ packages
missing=()
for pair in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client slurmdbd:slurmdbd \
            munged:munge mariadbd:mariadb-server; do
    command -v "${pair%%:*}" >/dev/null || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} slurm-wlm (apt)"
    apt-get update -qq
    # policy-rc.d (containers) or no init: the packages' own service starts fail harmlessly.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurm-wlm slurmctld slurmd slurm-client slurmdbd munge mariadb-server mariadb-client >/dev/null
fi
PATH=/usr/sbin:/usr/bin:$PATH

# ------------------------------------------------------------------------------- configs
HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
id slurm >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin slurm
mkdir -p "$ETC" "$LOG" "$RUN" /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /run/munge /run/mysqld
chown slurm:slurm "$LOG" "$RUN" /var/lib/slurm/slurmctld
chown munge:munge /run/munge
chown mysql:mysql /run/mysqld

cat > "$ETC/slurm.conf.new" <<CONF
# Written by tests/cluster/start-local-slurm.sh: one node, this machine, for tests.
ClusterName=$CLUSTER
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
# No cgroups in containers: track processes by parent pid, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
MpiDefault=none
SchedulerType=sched/backfill
# Cores and memory are both consumable, so mem_mb requests are scheduled like on a real cluster.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# sacct (the executor's status command) needs accounting storage.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
# Keep the executor's --comment (rule_<rule>_wildcards_...) so sacct shows which rule a job ran.
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

cat > "$ETC/slurmdbd.conf.new" <<CONF
# Written by tests/cluster/start-local-slurm.sh: accounting in MariaDB on localhost.
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
LogFile=$LOG/slurmdbd.log
PidFile=$RUN/slurmdbd.pid
CONF

# A changed config needs the daemons that read it restarted.
changed=()
for conf in slurm.conf slurmdbd.conf; do
    if ! cmp -s "$ETC/$conf.new" "$ETC/$conf"; then
        mv "$ETC/$conf.new" "$ETC/$conf"
        changed+=("$conf")
    else
        rm "$ETC/$conf.new"
    fi
done
chown slurm:slurm "$ETC/slurmdbd.conf"
chmod 600 "$ETC/slurmdbd.conf"
stop() {
    local pid; pid=$(pid_of "$1")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    say "restarting $1 (config changed)"
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
}
if [[ " ${changed[*]} " == *" slurmdbd.conf "* ]]; then stop slurmdbd; fi
if [[ " ${changed[*]} " == *" slurm.conf "* ]]; then stop slurmd; stop slurmctld; fi

# ------------------------------------------------------------------------------- daemons
[ -s /etc/munge/munge.key ] || { mungekey --create --force 2>/dev/null || create-munge-key -f; }
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
if ! running munged; then
    say "starting munged"
    runuser -u munge -- /usr/sbin/munged --pid-file="${PIDFILE[munged]}"
fi
wait_for munged bash -c 'munge -n | unmunge'

if ! running mariadbd; then
    say "starting mariadbd"
    [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    setsid /usr/sbin/mariadbd --user=mysql --datadir=/var/lib/mysql --pid-file="${PIDFILE[mariadbd]}" \
        >>"$LOG/mariadbd.log" 2>&1 </dev/null &
fi
wait_for mariadbd mariadb-admin ping
mariadb -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
            ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
            GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"

if ! running slurmdbd; then
    say "starting slurmdbd"
    slurmdbd
fi
wait_for slurmdbd sacctmgr -n list cluster

# The cluster must exist in the database before slurmctld registers with it; the account
# and user let jobs run under a real association (like on a site cluster) and let the
# executor find a default account.
if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
    sacctmgr -i add cluster "$CLUSTER" >/dev/null
fi
if ! sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT"; then
    sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" description="workflow tests" organization=local >/dev/null
fi
USER_NAME=$(id -un)
if [ -z "$(sacctmgr -n -P list assoc user="$USER_NAME" account="$ACCOUNT" format=user)" ]; then
    sacctmgr -i add user "$USER_NAME" account="$ACCOUNT" cluster="$CLUSTER" >/dev/null
fi

if ! running slurmctld; then
    say "starting slurmctld"
    slurmctld
fi
if ! running slurmd; then
    say "starting slurmd"
    slurmd
fi
wait_for "slurmctld" scontrol ping
# idle on a fresh start; mix/alloc when a re-run finds jobs still running on it.
node_up() { [[ "$(sinfo -h -N -n "$HOST" -o %t)" =~ ^(idle|mix|alloc)$ ]]; }
wait_for "node $HOST (idle)" node_up
wait_for sacct sacct -n -X -S now-1hour
say "up: node $HOST ($CPUS CPUs, $MEM_MB MB), partition $PARTITION, cluster $CLUSTER, account $ACCOUNT"
