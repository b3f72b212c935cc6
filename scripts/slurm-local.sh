#!/usr/bin/env bash
# slurm-local.sh — a one-node Slurm cluster on this machine, for the sweep tests.
#
#   scripts/slurm-local.sh start DIR   write DIR/slurm.conf, start munged (unless one
#                                      answers already), slurmctld and slurmd; wait
#                                      until the node takes jobs; print the line
#                                      export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-local.sh stop DIR    stop what start started (by the PIDs it kept
#                                      in DIR), leave the rest of DIR for reading
#
# Needs Debian's slurm-wlm and munge (scripts/setup-test.sh installs them) and
# root (slurmd runs jobs as their submitter). No systemd: the daemons run in the
# foreground (-D) in their own sessions, logs in DIR/*.log.
#
#   SLURM_LOCAL_PORT   slurmctld's port (default 6817; slurmd takes the next one).
#                      Two clusters on one machine need two ports.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
log() { printf 'slurm-local: %s\n' "$*" >&2; }

# stop_all NAME…: SIGTERM the PIDs in DIR/NAME.pid at once (each daemon takes
# a second or more to exit), SIGKILL what is left after 5 s.
stop_all() {
	local n pids=()
	for n in "$@"; do
		[ -f "$dir/$n.pid" ] && pids+=("$(cat "$dir/$n.pid")")
		rm -f "$dir/$n.pid"
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	kill "${pids[@]}" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "${pids[@]}" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "${pids[@]}" 2>/dev/null || true
}

case $cmd in
stop)
	stop_all slurmd slurmctld munged
	log "stopped (logs in $dir)"
	exit 0
	;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

for b in slurmctld slurmd munged sinfo; do
	command -v "$b" >/dev/null || PATH=$PATH:/usr/sbin
	command -v "$b" >/dev/null || { log "$b not found: install slurm-wlm and munge (scripts/setup-test.sh)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { log "needs root (slurmd runs each job as the user who submitted it)"; exit 1; }

mkdir -p "$dir/state" "$dir/spool"
dir=$(cd "$dir" && pwd)
host=$(hostname -s)
port=${SLURM_LOCAL_PORT:-6817}
cpus=$(nproc)

# munged: reuse one that answers; else start one as user munge with the
# package's key (created by its install; made here when missing).
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
	if [ ! -s /etc/munge/munge.key ]; then
		dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
	fi
	chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
	mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
	setsid runuser -u munge -- munged --foreground >"$dir/munged.log" 2>&1 </dev/null &
	echo $! >"$dir/munged.pid"
	for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
	munge -n | unmunge >/dev/null || { log "munged did not start (see $dir/munged.log)"; exit 1; }
fi

cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm-local.sh: one node ($host, $cpus CPUs), one partition.
ClusterName=gabor-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.daemon.pid
SlurmdPidFile=$dir/slurmd.daemon.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf

setsid slurmctld -D -i -f "$SLURM_CONF" >>"$dir/slurmctld.log" 2>&1 </dev/null &
echo $! >"$dir/slurmctld.pid"
setsid slurmd -D -f "$SLURM_CONF" >>"$dir/slurmd.log" 2>&1 </dev/null &
echo $! >"$dir/slurmd.pid"

# The node takes jobs once sinfo reports it idle (or mixed/allocated); 30 s in
# all, each sinfo cut off after 5 (one that cannot reach slurmctld retries far
# longer). The daemons are given 127.0.0.1, so a hostname that does not resolve
# (a chroot, a container without its name in /etc/hosts) does not matter.
deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
	state=$(timeout 5 sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
	case $state in idle* | mixed* | alloc*) break ;; esac
	sleep 0.2
done
case ${state:-} in
idle* | mixed* | alloc*) ;;
*)
	log "the node did not come up (state '${state:-none}'); logs: $dir/slurmctld.log $dir/slurmd.log"
	tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
	"$0" stop "$dir"
	exit 1
	;;
esac
log "up: node $host, $cpus CPUs, port $port, in $dir"
echo "export SLURM_CONF=$SLURM_CONF"
