#!/usr/bin/env bash
# Every figure in RESULTS.md, in one go (about 25 minutes on 2 CPU cores).
# Run from the repository root; MNIST comes from ../shared/data/mnist.
set -e
python benchmarks/continual.py --dataset digits --out benchmarks/results/continual_digits.json
python benchmarks/continual.py --dataset ../shared/data/mnist --epochs 5 --fip-weight 100 --out benchmarks/results/continual_mnist.json
python benchmarks/step_cost.py --out benchmarks/results/step_cost.json
bash benchmarks/sweeps.sh
