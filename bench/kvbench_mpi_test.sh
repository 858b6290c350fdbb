#!/usr/bin/env bash
# MPI: `mpirun -np 2 kvbench` spreads the cells of configs/smoke over two ranks; rank 0's
# JSON must hold the same metrics as a single-process run.
#   kvbench_mpi_test.sh KVBENCH CONFIG WORKDIR
set -euo pipefail
kvbench=$1 config=$2 work=$3
here=$(dirname "$0")
mkdir -p "$work"
rm -f "$work"/single.json "$work"/mpi.json
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI machines run as root
"$kvbench" --config "$config" --out "$work/single.json" --summary=false
mpirun -np 2 --oversubscribe "$kvbench" --config "$config" --out "$work/mpi.json" --summary=false
/usr/bin/python3 - "$work/mpi.json" <<'PY'
import json, sys
ranks = json.load(open(sys.argv[1]))["context"]["mpi_ranks"]
sys.exit(0 if ranks == "2" else f"mpi_ranks is {ranks}, expected 2")
PY
/usr/bin/python3 "$here/check_result_json.py" "$work/mpi.json" --same-metrics-as "$work/single.json"
echo "kvbench_mpi_test: 2 ranks give the single-process metrics"
