import pytest
import torch
import torch.nn.functional as F

from imbsk import ImbalancedNetBinaryClassifier, ImbalancedNetClassifier
from imbsk.rebalance import HardExampleMining
from imbsk.rebalance.losses import RebalancedLoss, hardest_mean

from .loss_checks import assert_exact_gradient_and_finite_at_extremes


def test_hardest_mean_hand_computed():
    losses = torch.tensor([0.1, 3.0, 1.0, 2.0, 0.5])
    assert hardest_mean(losses, 0.4).item() == pytest.approx(2.5)  # top 2 of 5
    assert hardest_mean(losses, 0.01).item() == pytest.approx(3.0)  # at least one
    assert hardest_mean(losses, 1.0).item() == pytest.approx(losses.mean().item())


def test_only_the_hardest_rows_get_a_gradient():
    logits = torch.tensor([[4.0, 0.0], [0.0, 4.0], [0.0, 0.0], [3.0, 0.0]], requires_grad=True)
    target = torch.tensor([0, 0, 1, 1])  # rows 1 and 3 are the hardest
    loss = RebalancedLoss(torch.ones(2), ohem_ratio=0.5)
    loss(logits, target).backward()
    per_row = F.cross_entropy(logits.detach(), target, reduction="none")
    assert loss(logits, target).item() == pytest.approx(per_row[[1, 3]].mean().item())
    assert torch.all(logits.grad[[0, 2]] == 0)
    assert torch.all(logits.grad[[1, 3]].abs().sum(1) > 0)


def test_class_weights_count_before_the_selection():
    logits = torch.zeros(4, 2)
    target = torch.tensor([0, 0, 0, 1])
    loss = RebalancedLoss(torch.tensor([1.0, 3.0]), ohem_ratio=0.25)
    assert loss(logits, target).item() == pytest.approx(3.0 * torch.log(torch.tensor(2.0)).item())


def test_evaluation_uses_every_row():
    logits, target = torch.randn(16, 3), torch.randint(0, 3, (16,))
    loss = RebalancedLoss(torch.ones(3), ohem_ratio=0.25).eval()
    torch.testing.assert_close(loss(logits, target), F.cross_entropy(logits, target))


def test_gradcheck_and_extreme_logits():
    assert_exact_gradient_and_finite_at_extremes(
        HardExampleMining(ohem_ratio=0.5).make_criterion([50, 20, 5], "multiclass"))


@pytest.mark.parametrize("Estimator", [ImbalancedNetClassifier, ImbalancedNetBinaryClassifier])
def test_estimators_train_with_ohem(Estimator, imbalanced_data):
    X, y = imbalanced_data
    clf = Estimator(rebalance=HardExampleMining(ohem_ratio=0.25), max_epochs=3,
                    random_state=0).fit(X, y)
    assert clf.criterion_.ohem_ratio == 0.25
    assert set(clf.predict(X)) <= set(y)


def test_bad_ratio_is_refused(imbalanced_data):
    with pytest.raises(ValueError, match="ohem_ratio"):
        ImbalancedNetClassifier(rebalance=HardExampleMining(ohem_ratio=0.0)).fit(
            *imbalanced_data)
