"""Multi-GPU and mixed precision through skorch's AccelerateMixin (Hugging Face Accelerate).

On one machine with several GPUs::

    accelerate config                       # once: multi-GPU, mixed precision bf16/fp16
    accelerate launch examples/accelerate_recipe.py

Here (CPU) it runs as a plain script. Use DataLoader iterators so Accelerate can shard
the batches across processes, and device=None (Accelerate places the tensors). Do not
put an Accelerate net into GridSearchCV: it does not survive clone/deepcopy (skorch
#944); search with the plain estimator, then train the chosen one with Accelerate.

    python examples/accelerate_recipe.py [--quick]
"""

import argparse

import numpy as np
from accelerate import Accelerator
from skorch.hf import AccelerateMixin
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score
from torch.utils.data import DataLoader

from imbsk import ImbalancedNetClassifier


class AcceleratedImbalancedNet(AccelerateMixin, ImbalancedNetClassifier):
    """ImbalancedNetClassifier trained through Hugging Face Accelerate."""


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mixed-precision", default="no", choices=["no", "fp16", "bf16"])
    args = parser.parse_args(argv)
    X, y = make_classification(2_000 if args.quick else 100_000, n_features=20,
                               weights=[0.95], random_state=0)
    X = X.astype(np.float32)
    net = AcceleratedImbalancedNet(
        accelerator=Accelerator(mixed_precision=args.mixed_precision),
        device=None, rebalance="cb_focal", iterator_train=DataLoader,
        iterator_valid=DataLoader, batch_size=512, max_epochs=2 if args.quick else 20,
        random_state=0)
    net.fit(X, y)
    print(f"balanced accuracy on the training data "
          f"{balanced_accuracy_score(y, net.predict(X)):.3f}")
    return net


if __name__ == "__main__":
    main()
