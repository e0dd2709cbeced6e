#!/usr/bin/env bash
# Submit command of the local-cluster profile: start one Snakemake job script as a
# detached background process and print its process id (the "cluster job id").
# The job's own output goes to .snakemake/cluster_logs/<job script name>.log.
set -euo pipefail
jobscript="$1"
logdir=".snakemake/cluster_logs"
mkdir -p "$logdir"
nohup bash "$jobscript" </dev/null >"$logdir/$(basename "$jobscript").log" 2>&1 &
echo $!
