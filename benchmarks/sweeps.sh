#!/usr/bin/env bash
# What was tried on MNIST (FIP weight, distance, epochs) and how EWC responds to its
# weight on digits; figures in RESULTS.md. Run from the repository root.
set -e


python benchmarks/continual.py --dataset ../shared/data/mnist --methods fip --seeds 0 --epochs 5 --fip-weight 10,30,100,300 --out benchmarks/results/sweep_mnist_fip_weight.json
python benchmarks/continual.py --dataset ../shared/data/mnist --methods fip --seeds 0 --epochs 5 --fip-weight 100 --fip-distance kl --out benchmarks/results/sweep_mnist_fip_kl.json
python benchmarks/continual.py --dataset ../shared/data/mnist --methods fip,replay --seeds 0 --epochs 20 --fip-weight 10,100 --out benchmarks/results/sweep_mnist_20_epochs.json
for w in 100 10000 1000000; do python benchmarks/continual.py --dataset digits --methods ewc --seeds 0 --ewc-weight $w --out benchmarks/results/sweep_digits_ewc_$w.json; done
