#!/usr/bin/env bash
# Lesson 07's GPU check: run once on a CUDA machine, from the repository root (no network needed).
#
#  1. GPT-2 124M (the gpt2 preset's model) for 300 steps on one GPU with bf16 autocast, TF32, fused AdamW
#     and torch.compile, on random tokens (throughput does not depend on what the tokens say), 64 x 1024
#     tokens per step in 2 micro-batches of 32. Prints tokens/s and MFU; the target is MFU >= 40 % on an
#     H100/H200 (peak 989 TFLOP/s dense bf16).
#  2. The same code under torchrun with one GPU, 30 steps: NCCL initialises, all-reduces, shuts down.
#
#     bash benchmarks/gpu_check.sh            (PYTHON=... to pick the interpreter, WORK=... for the scratch folder)
set -euo pipefail
PY=${PYTHON:-python}
WORK=${WORK:-$(mktemp -d)}
TORCHRUN="$PY -m torch.distributed.run"

$PY - "$WORK/tokens" <<'PYEOF'
import json, sys
from pathlib import Path
import numpy as np

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(0)
for split, n in (("train", 50_000_000), ("val", 1_000_000)):
    rng.integers(0, 50257, size=n, dtype=np.uint16).tofile(out / f"{split}.bin")
(out / "meta.json").write_text(json.dumps({"dtype": "uint16", "vocab_size": 50257}))
PYEOF

$PY -c "import torch; print('torch', torch.__version__, '|', torch.cuda.get_device_name(0), '|', torch.cuda.device_count(), 'GPU(s)')"
COMMON=(--preset gpt2 --data "$WORK/tokens" --eval-interval 100000 --eval-batches 8 --checkpoint-interval 100000
        --batch-size 32 --global-batch-size 64 --quiet)

echo "== 1. one GPU: GPT-2 124M, bf16 + torch.compile, 300 steps"
$PY -m minillm.train "${COMMON[@]}" --out "$WORK/single" --max-steps 300 --warmup-steps 30 --log-interval 25 --compile \
    | tee "$WORK/single.json"
grep '"loss"' "$WORK/single/metrics.jsonl" | tail -4
$PY - "$WORK/single.json" <<'PYEOF'
import json, sys
run = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print(f"RESULT 124M bf16+compile: {run['tokens_per_sec']:,.0f} tokens/s, MFU {run.get('mfu', float('nan')):.1%} "
      f"(target >= 40 %), final train loss {run['train_loss']} (random tokens: ln 50257 = 10.82)")
PYEOF

echo "== 2. torchrun, NCCL, 1 GPU: 30 steps without compile"
$TORCHRUN --standalone --nproc-per-node=1 -m minillm.train "${COMMON[@]}" --out "$WORK/ddp" --max-steps 30 \
    --warmup-steps 5 --log-interval 10 --no-compile | tee "$WORK/ddp.json"
grep -q '"world_size": 1' "$WORK/ddp.json" && echo "RESULT torchrun + NCCL: ok"
