"""The stacked engine: K members trained as one network, through skorch's loop.

One concern per module:

* :mod:`~imbsk.engine.layers` -- stacked linear layers and the stacked MLP (a single
  network is a stack of one); :mod:`~imbsk.engine.fused` -- its training forward as one
  autograd node; :mod:`~imbsk.engine.dropout` -- dropout masks from random bytes;
* :mod:`~imbsk.engine.loss` -- the per-member loss (member k's gradient is its own
  loss's);
* :mod:`~imbsk.engine.members` -- member seeds, rows and the out-of-fold validation data;
* :mod:`~imbsk.engine.selection` -- each member's best epoch, as a skorch callback;
* :mod:`~imbsk.engine.sampling` -- per-member random streams and training batches;
* :mod:`~imbsk.engine.train` -- members whose losses differ (a search's candidates).
"""

from .dropout import fast_dropout
from .layers import (StackedDropout, StackedFeatureScaling, StackedLinear, StackedMLP,
                     ensemble_logits)
from .loss import StackedLoss, member_loss_sum
from .members import (MEMBER_SAMPLINGS, OutOfFoldDataset, cross_fit_folds, draw_member_rows,
                      fold_of_row, member_seeds, stacked_mlp)
from .selection import MemberSelection
from .sampling import MemberBatchIterator, MemberStreams
from .train import ELEMENTWISE_OPTIMIZERS, MemberSpec, member_spec, train_members

__all__ = ["ELEMENTWISE_OPTIMIZERS", "MEMBER_SAMPLINGS", "MemberBatchIterator", "MemberSelection",
           "MemberSpec", "MemberStreams", "OutOfFoldDataset", "StackedDropout",
           "StackedFeatureScaling", "StackedLinear", "StackedLoss", "StackedMLP",
           "cross_fit_folds", "draw_member_rows", "ensemble_logits", "fast_dropout",
           "fold_of_row", "member_loss_sum", "member_seeds", "member_spec", "stacked_mlp",
           "train_members"]
