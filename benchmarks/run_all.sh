#!/usr/bin/env bash
# Every figure in RESULTS.md, in one go (about 2 hours on 2 CPU cores).
# Run from the repository root; MNIST comes from ../shared/data/mnist.
set -e
python benchmarks/continual.py --dataset digits --out benchmarks/results/continual_digits.json
python benchmarks/continual.py --dataset ../shared/data/mnist --epochs 5 --fip-weight 100 --out benchmarks/results/continual_mnist.json
python benchmarks/step_cost.py --out benchmarks/results/step_cost.json
bash benchmarks/sweeps.sh
python benchmarks/two_task.py --out benchmarks/results/two_task_mnist_permuted.json
python benchmarks/sparsity.py --models lenet_300_100 --out benchmarks/results/sparsity_mnist_lenet.json
python benchmarks/sparsity.py --models reference_cnn --budget reference_cnn=300 --dense-epochs reference_cnn=20 --cnn-filters 16,32 --cnn-dense 128 --out benchmarks/results/sparsity_mnist_cnn.json
python benchmarks/sparsity_step_cost.py --out benchmarks/results/sparsity_step_cost.json
python benchmarks/robustness.py --dataset ../shared/data/mnist --out benchmarks/results/robustness_mnist.json -- --cnn-filters 16,32 --cnn-dense 128 --epochs 2 --batch-size 32 --members 10 --burn-in 200 --steps-between 30 --step-size 0.3 --path-batch-size 64 --attacks fgsm,pgd --eps 0.1,0.2,0.3 --nb-iter 40 --attack-samples 500 --whitebox-samples 100 --matrix-samples 200
keras-fip continual --out docs/continual_digits
python saved_models/make.py
